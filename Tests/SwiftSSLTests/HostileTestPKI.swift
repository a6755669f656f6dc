import Foundation
import SwiftSSL

/// Hostile certificates for ``HostileCertificateTests``, made once per test run by
/// Tests/PKI/make-hostile-pki.sh (the `openssl` command line, OpenSSL 3) into a temporary directory;
/// nothing is committed. That script says how each one is made, the NUL bytes in a DNS
/// subjectAltName and in a commonName included.
///
/// The same categories, with the outcomes stdlib `ssl` gives, are in
/// python/tests/test_verification_matrix.py (where the stdlib oracle runs live).
enum HostileTestPKI {
    private static let prepared = PKIScripts.prepare("hostile", script: "make-hostile-pki.sh")

    /// The directory holding every file; the script ran when this is first read.
    static var directory: String { prepared.path }

    /// The trusted root every client below loads.
    static var root: String { directory + "/root.pem" }

    /// `name.pem`: one certificate (a leaf, alone).
    static func certificate(_ name: String) -> String { directory + "/\(name).pem" }
    /// `name.key`: the private key of `name.pem`.
    static func key(_ name: String) -> String { directory + "/\(name).key" }
    /// `name-chain.pem`: what the server sends, leaf first then intermediates (in the order named by the file).
    static func chain(_ name: String) -> String { directory + "/\(name)-chain.pem" }

    /// Non-nil when generation failed: the script's output, for the test failure message.
    static var generationFailure: String? { prepared.failure }
}
