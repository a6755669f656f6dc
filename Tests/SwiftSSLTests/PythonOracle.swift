import Foundation
@testable import SwiftSSL
import XCTest

// CPython as a subprocess: the oracle some tests compare with, and CPython's rendering of a
// decoded certificate.

/// Runs snippets in the `python3` on PATH (CPython 3.11 on the development machines), the oracle
/// `CertificateDecoderTests` and `HostnameMatcherTests` compare with. Tests skip when there is no
/// interpreter.
enum PythonOracle {
    static func run(_ script: String, input: String = "") throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-W", "ignore", "-c", script]
        let standardInput = Pipe()
        let standardOutput = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        do {
            try process.run()
        } catch {
            throw XCTSkip("python3 is not available: \(error)")
        }
        // Write from another thread: a large input and output could otherwise fill both pipes.
        let writer = Thread {
            standardInput.fileHandleForWriting.write(Data(input.utf8))
            try? standardInput.fileHandleForWriting.close()
        }
        writer.start()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw XCTSkip("python3 failed (status \(process.terminationStatus)); is it CPython 3.11?")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// One expression's printed value, without the trailing newline.
    static func evaluate(_ script: String) throws -> String {
        try run(script).trimmingCharacters(in: .newlines)
    }
}

/// CPython's `repr()` of the dict `getpeercert()` builds from a ``CertificateInfo``.
enum PythonRendering {
    static func dictionary(_ info: CertificateInfo) -> String {
        var items = [
            "'subject': \(name(info.subject))", "'issuer': \(name(info.issuer))", "'version': \(info.version)",
            "'serialNumber': \(pythonRepr(info.serialNumber))", "'notBefore': \(pythonRepr(info.notBefore))",
            "'notAfter': \(pythonRepr(info.notAfter))",
        ]
        if let names = info.subjectAltNames {
            items.append("'subjectAltName': \(tuple(names.map(generalName)))")
        }
        for (key, values) in [("OCSP", info.ocspResponders), ("caIssuers", info.caIssuers),
                              ("crlDistributionPoints", info.crlDistributionPoints)] where !values.isEmpty {
            items.append("'\(key)': \(tuple(values.map(pythonRepr)))")
        }
        return "{" + items.joined(separator: ", ") + "}"
    }

    static func name(_ name: DistinguishedName) -> String {
        tuple(name.relativeNames.map { relativeName in
            tuple(relativeName.map { tuple([pythonRepr($0.name), pythonRepr($0.value)]) })
        })
    }

    static func generalName(_ entry: GeneralName) -> String {
        switch entry {
        case .dnsName(let value), .ipAddress(let value), .email(let value), .uri(let value), .registeredID(let value),
             .other(_, let value):
            return tuple([pythonRepr(entry.pythonTag), pythonRepr(value)])
        case .directoryName(let directoryName):
            return tuple([pythonRepr(entry.pythonTag), name(directoryName)])
        }
    }

    static func tuple(_ items: [String]) -> String {
        items.count == 1 ? "(\(items[0]),)" : "(" + items.joined(separator: ", ") + ")"
    }
}
