import Foundation
import SwiftSSL

/// Certificates made once per test run with the `openssl` command line into a temporary
/// directory: a root CA, an intermediate, a leaf for "localhost"/127.0.0.1 signed by the
/// intermediate, a self-signed certificate, and an encrypted copy of the leaf key.
enum TestPKI {
    /// The directory holding every file below.
    static let directory: String = {
        let path = NSTemporaryDirectory() + "swiftssl-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        generate(in: path)
        return path
    }()

    static var rootCertificate: String { directory + "/root.pem" }
    static var intermediateCertificate: String { directory + "/intermediate.pem" }
    static var leafCertificate: String { directory + "/leaf.pem" }
    static var leafKey: String { directory + "/leaf.key" }
    static var leafEncryptedKey: String { directory + "/leaf-encrypted.key" }
    /// Leaf then intermediate: what a server should send.
    static var leafChain: String { directory + "/leaf-chain.pem" }
    static var selfSignedCertificate: String { directory + "/self.pem" }
    static var selfSignedKey: String { directory + "/self.key" }
    static let keyPassword = "correct horse"

    static func contents(_ path: String) -> [UInt8] {
        (try? Array(Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }

    private static func generate(in directory: String) {
        let script = """
        set -e
        cd '\(directory)'
        cat > ca.ext <<'X'
        basicConstraints=critical,CA:TRUE
        keyUsage=critical,keyCertSign,cRLSign
        X
        cat > leaf.ext <<'X'
        basicConstraints=CA:FALSE
        subjectAltName=DNS:localhost,IP:127.0.0.1
        extendedKeyUsage=serverAuth,clientAuth
        X
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
            -days 30 -subj '/CN=swiftssl test root' -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout intermediate.key \
            -out intermediate.csr -subj '/CN=swiftssl test intermediate' 2>/dev/null
        openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root.key -CAcreateserial \
            -out intermediate.pem -days 30 -extfile ca.ext 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj '/CN=localhost' 2>/dev/null
        openssl x509 -req -in leaf.csr -CA intermediate.pem -CAkey intermediate.key -CAcreateserial \
            -out leaf.pem -days 30 -extfile leaf.ext 2>/dev/null
        cat leaf.pem intermediate.pem > leaf-chain.pem
        openssl pkey -in leaf.key -aes256 -passout 'pass:\(keyPassword)' -out leaf-encrypted.key
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.pem \
            -days 30 -subj '/CN=localhost' -addext subjectAltName=DNS:localhost 2>/dev/null
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        try? process.run()
        process.waitUntilExit()
    }
}
