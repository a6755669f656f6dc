import XCTest
@testable import SwiftSSL

/// Hostile certificates (issue 4, item 1) through the core API over loopback: a ``TLSConnection``
/// server presents each certificate (from ``HostileTestPKI``) and a client whose
/// `TLSContext(protocol: .tlsClient)` trusts only the test root connects with a hostname.
///
/// The expected outcomes — success, or a `.certificateVerification` error with this verify code
/// and message — are the ones CPython's stdlib `ssl` gives for the same categories, measured with
/// the live stdlib oracle in python/tests/test_verification_matrix.py (CPython 3.11, OpenSSL 3.0).
final class HostileCertificateTests: XCTestCase {
    override func setUpWithError() throws {
        _ = HostileTestPKI.directory
        if let failure = HostileTestPKI.generationFailure {
            XCTFail(failure)
            throw XCTSkip("hostile certificates could not be generated")
        }
    }

    // MARK: Helpers

    /// The client's error from one handshake against a server presenting `name-chain.pem`
    /// (or `serverChain`), nil when the handshake succeeded. `weak` lets the server load a
    /// certificate below the default security level (RSA-1024, SHA-1), as a badly run server would.
    private func clientError(
        _ name: String, serverChain: String? = nil, hostname: String, weak: Bool = false
    ) throws -> TLSError? {
        let serverContext = try TLSContext(protocol: .tlsServer)
        if weak {
            try serverContext.setCiphers("DEFAULT@SECLEVEL=0")
        }
        try serverContext.loadCertificateChain(certificate: .path(serverChain ?? HostileTestPKI.chain(name)),
                                               privateKey: .path(HostileTestPKI.key(name)))
        let clientContext = try TLSContext(protocol: .tlsClient)
        try clientContext.loadVerifyLocations(file: .path(HostileTestPKI.root))
        let pair = try LoopbackPair()
        let server = Background {
            try TLSConnection(context: serverContext, socket: pair.server, serverSide: true)
                .handshake(timeout: LoopbackPair.serverTimeout)
        }
        let client = try TLSConnection(context: clientContext, socket: pair.client, serverHostname: hostname)
        do {
            try client.handshake()
        } catch {
            pair.shutdownClient()
            _ = try? server.wait()
            guard let failure = error as? TLSError else {
                XCTFail("not a TLSError: \(error)")
                return nil
            }
            return failure
        }
        try server.wait()
        return nil
    }

    private func assertAccepted(
        _ name: String, serverChain: String? = nil, hostname: String = "localhost",
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let failure = try clientError(name, serverChain: serverChain, hostname: hostname)
        XCTAssertNil(failure, "\(name) for \(hostname): \(String(describing: failure))", file: file, line: line)
    }

    private func assertRejected(
        _ name: String, serverChain: String? = nil, hostname: String = "localhost", weak: Bool = false,
        code: Int, message: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let failure = try clientError(name, serverChain: serverChain, hostname: hostname, weak: weak)
        XCTAssertNotNil(failure, "\(name) for \(hostname) was accepted", file: file, line: line)
        guard let failure else { return }
        XCTAssertEqual(failure.kind, .certificateVerification, "\(name): \(failure)", file: file, line: line)
        XCTAssertEqual(failure.verifyCode, code, "\(name) for \(hostname)", file: file, line: line)
        XCTAssertEqual(failure.verifyMessage, message, "\(name) for \(hostname)", file: file, line: line)
        XCTAssertEqual(failure.reason, "CERTIFICATE_VERIFY_FAILED", file: file, line: line)
    }

    private static func hostnameMismatch(_ hostname: String) -> String {
        "Hostname mismatch, certificate is not valid for '\(hostname)'."
    }

    private static func addressMismatch(_ address: String) -> String {
        "IP address mismatch, certificate is not valid for '\(address)'."
    }

    // MARK: Validity, trust

    func testValidLeafIsAccepted() throws {
        try assertAccepted("valid")
    }

    func testExpiredLeafIsRejectedWithCode10() throws {
        try assertRejected("expired", code: 10, message: "certificate has expired")
    }

    func testNotYetValidLeafIsRejectedWithCode9() throws {
        try assertRejected("not-yet-valid", code: 9, message: "certificate is not yet valid")
    }

    func testSelfSignedLeafIsRejectedWithCode18() throws {
        try assertRejected("self-signed", code: 18, message: "self-signed certificate")
    }

    func testUnknownRootIsRejectedWithCode20() throws {
        try assertRejected("unknown-ca", code: 20, message: "unable to get local issuer certificate")
    }

    // MARK: Names

    func testWrongHostIsRejectedWithCode62() throws {
        try assertRejected("wrong-host", code: 62, message: Self.hostnameMismatch("localhost"))
    }

    func testWildcardCoversOneLabelOnly() throws {
        try assertAccepted("wildcard", hostname: "www.a.test")
        try assertRejected("wildcard", hostname: "a.test", code: 62, message: Self.hostnameMismatch("a.test"))
        try assertRejected("wildcard", hostname: "x.y.a.test", code: 62, message: Self.hostnameMismatch("x.y.a.test"))
    }

    func testPartialWildcardIsRejected() throws {
        try assertRejected("partial-wildcard", hostname: "foo.a.test", code: 62,
                           message: Self.hostnameMismatch("foo.a.test"))
        try assertRejected("partial-wildcard", hostname: "f.a.test", code: 62, message: Self.hostnameMismatch("f.a.test"))
    }

    func testCommonNameWithoutSubjectAltNameIsAccepted() throws {
        try assertAccepted("commonname-only")
    }

    func testNulByteInCommonNameIsRejected() throws {
        try assertRejected("nul-commonname", code: 62, message: Self.hostnameMismatch("localhost"))
        try assertRejected("nul-commonname", hostname: "localhost.evil.test", code: 62,
                           message: Self.hostnameMismatch("localhost.evil.test"))
    }

    func testNulByteInDNSSubjectAltNameIsRejected() throws {
        try assertRejected("nul-san", code: 62, message: Self.hostnameMismatch("localhost"))
        try assertRejected("nul-san", hostname: "localhost.evil.test", code: 62,
                           message: Self.hostnameMismatch("localhost.evil.test"))
    }

    func testIPv4SubjectAltName() throws {
        try assertAccepted("ip", hostname: "127.0.0.1")
        try assertRejected("ip", hostname: "127.0.0.2", code: 64, message: Self.addressMismatch("127.0.0.2"))
        try assertRejected("valid", hostname: "127.0.0.1", code: 64, message: Self.addressMismatch("127.0.0.1"))
    }

    func testIPv6SubjectAltName() throws {
        // Verification looks at the requested address, not the socket's: IPv4 loopback carries it.
        try assertAccepted("ip", hostname: "::1")
        try assertAccepted("ip", hostname: "0:0:0:0:0:0:0:1")
        try assertRejected("ip", hostname: "::2", code: 64, message: Self.addressMismatch("::2"))
    }

    func testIDNULabelMatchesALabelInCertificate() throws {
        try assertAccepted("idn", hostname: "bücher.example")
        try assertAccepted("idn", hostname: "xn--bcher-kva.example")
        try assertRejected("idn", hostname: "bucher.example", code: 62, message: Self.hostnameMismatch("bucher.example"))
    }

    // MARK: Chains

    func testChainSuppliedByServerIsAccepted() throws {
        try assertAccepted("chained")
    }

    func testIncompleteChainIsRejectedWithCode20() throws {
        try assertRejected("chained", serverChain: HostileTestPKI.certificate("chained"), code: 20,
                           message: "unable to get local issuer certificate")
    }

    func testTwoIntermediatesInEitherOrderAreAccepted() throws {
        try assertAccepted("two-intermediates")
        // Leaf first (a server's own certificate must be), then the intermediates root-side first.
        try assertAccepted("two-intermediates", serverChain: HostileTestPKI.chain("two-intermediates-reversed"))
    }

    func testIntermediateWithCAFalseIsRejectedWithCode79() throws {
        try assertRejected("under-not-a-ca", code: 79, message: "invalid CA certificate")
    }

    func testPathLengthZeroViolationIsRejectedWithCode25() throws {
        try assertAccepted("pathlen-respected")
        try assertRejected("pathlen-violated", code: 25, message: "path length constraint exceeded")
    }

    func testNameConstrainedIntermediateIsEnforcedWithCode47() throws {
        try assertAccepted("inside-constraints", hostname: "www.allowed.test")
        try assertRejected("outside-constraints", code: 47, message: "permitted subtree violation")
    }

    // MARK: Weak algorithms at the default security level

    func testSHA1SignedLeafIsRejectedWithCode68() throws {
        try assertRejected("sha1", weak: true, code: 68, message: "CA signature digest algorithm too weak")
    }

    func testRSA1024LeafIsRejectedWithCode66() throws {
        try assertRejected("rsa1024", weak: true, code: 66, message: "EE certificate key too weak")
    }
}
