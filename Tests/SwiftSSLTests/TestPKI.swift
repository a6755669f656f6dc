import Foundation
import SwiftSSL

/// Certificates made once per test run by Tests/PKI/make-test-pki.sh (the `openssl` command line)
/// into a temporary directory: a root CA, an intermediate, a leaf for "localhost"/127.0.0.1 signed
/// by the intermediate, a self-signed certificate, and an encrypted copy of the leaf key.
enum TestPKI {
    private static let prepared = PKIScripts.prepare("test", script: "make-test-pki.sh")

    /// The directory holding every file below.
    static var directory: String { prepared.path }

    static var rootCertificate: String { directory + "/root.pem" }
    static var intermediateCertificate: String { directory + "/intermediate.pem" }
    static var leafCertificate: String { directory + "/leaf.pem" }
    static var leafKey: String { directory + "/leaf.key" }
    static var leafEncryptedKey: String { directory + "/leaf-encrypted.key" }
    /// Leaf then intermediate: what a server should send.
    static var leafChain: String { directory + "/leaf-chain.pem" }
    static var selfSignedCertificate: String { directory + "/self.pem" }
    static var selfSignedKey: String { directory + "/self.key" }
    /// The password of `leaf-encrypted.key`, as the script wrote it next to the key.
    static var keyPassword: String {
        String(decoding: contents(directory + "/leaf-encrypted.password"), as: UTF8.self)
    }

    /// A server context presenting `leafChain` with `leafKey`.
    static func serverContext(protocol selection: TLSProtocol = .tlsServer) throws -> TLSContext {
        let context = try TLSContext(protocol: selection)
        try context.loadCertificateChain(certificate: .path(leafChain), privateKey: .path(leafKey))
        return context
    }

    /// A client context that trusts `rootCertificate`, capped at `maximum` when given.
    static func clientContext(maximum: TLSVersion? = nil) throws -> TLSContext {
        let context = try TLSContext(protocol: .tlsClient)
        try context.loadVerifyLocations(file: .path(rootCertificate))
        if let maximum { try context.setMaximumVersion(maximum) }
        return context
    }

    /// The bytes of the file at `path`, or none when it cannot be read.
    static func contents(_ path: String) -> [UInt8] {
        (try? Array(Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }
}

/// Runs the certificate scripts of Tests/PKI (shared with scripts/valgrind-swift-tests), or finds
/// what they made ahead of time.
///
/// When `SWIFTSSL_TEST_PKI_DIRECTORY` is set, each helper reads `$SWIFTSSL_TEST_PKI_DIRECTORY/NAME`
/// (made by `bash Tests/PKI/SCRIPT DIRECTORY/NAME`) and runs nothing: Foundation's `Process` cannot
/// spawn children under valgrind, so scripts/valgrind-swift-tests makes both sets first. Otherwise
/// the script runs once per test run into `NSTemporaryDirectory()/swiftssl-NAME-pki-PID`.
enum PKIScripts {
    static let environmentVariable = "SWIFTSSL_TEST_PKI_DIRECTORY"

    /// The directory holding the files of `script`, and why they are missing if they are
    /// (also written to standard error, for the helpers that have no failure to report).
    static func prepare(_ name: String, script: String) -> (path: String, failure: String?) {
        let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PKI").appendingPathComponent(script).path
        let path: String
        var failure: String?
        if let pregenerated = ProcessInfo.processInfo.environment[environmentVariable], !pregenerated.isEmpty {
            path = pregenerated + "/" + name
            if !FileManager.default.fileExists(atPath: path + "/root.pem") {
                failure = "\(environmentVariable) is set but \(path)/root.pem does not exist; "
                    + "make it first: bash \(scriptPath) \(path)"
            }
        } else {
            path = NSTemporaryDirectory() + "swiftssl-\(name)-pki-\(getpid())"
            failure = run(scriptPath, path)
        }
        if let failure {
            FileHandle.standardError.write(Data("error: test certificates: \(failure)\n".utf8))
        }
        return (path, failure)
    }

    /// Runs `bash script directory`, output captured; the failure message, or nil on success.
    private static func run(_ script: String, _ directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, directory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            return "could not run bash \(script): \(error)"
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            return "bash \(script) \(directory) failed (\(process.terminationStatus)):\n\(text)"
        }
        return nil
    }
}
