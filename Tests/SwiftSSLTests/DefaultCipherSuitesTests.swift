import COpenSSL
import XCTest
@testable import SwiftSSL

/// What new contexts start with under each ``DefaultCipherSuites`` choice (CPython's build option
/// `--with-ssl-default-suites`); python/tests/test_default_cipher_suites.py compares the Python
/// module with interpreters built each way.
final class DefaultCipherSuitesTests: XCTestCase {
    override func tearDown() {
        DefaultCipherSuites.current = .python  // process-wide: every other test expects CPython's
        super.tearDown()
    }

    /// The cipher names of a context OpenSSL makes and nobody configures.
    private func namesOfAnUntouchedContext() throws -> [String] {
        let context = try XCTUnwrap(SSL_CTX_new(TLS_client_method()))
        defer { SSL_CTX_free(context) }
        let ssl = try XCTUnwrap(SSL_new(context))
        defer { SSL_free(ssl) }
        let stack = try XCTUnwrap(SSL_get_ciphers(ssl))
        return (0..<CSwiftSSL_sk_SSL_CIPHER_num(stack)).compactMap { index in
            CSwiftSSL_sk_SSL_CIPHER_value(stack, index).map { CipherDescription($0).name }
        }
    }

    func testCPythonsListAndTLS12AtLeastUntilAProgramChooses() throws {
        XCTAssertEqual(DefaultCipherSuites.current, .python)
        XCTAssertEqual(DefaultCipherSuites.current.cipherString, TLSContext.defaultCipherString)
        let context = try TLSContext(protocol: .tlsClient)
        XCTAssertEqual(context.minimumVersion, .tlsv1_2)
        XCTAssertFalse(context.ciphers.map(\.name).contains("ECDHE-ECDSA-AES128-SHA"))
    }

    func testOpenSSLLeavesTheConfiguredListAndNoLowestVersion() throws {
        DefaultCipherSuites.current = .openssl
        XCTAssertEqual(DefaultCipherSuites.current.cipherString, "ALL:!COMPLEMENTOFDEFAULT:!eNULL")
        for selection in [TLSProtocol.tlsClient, .tlsServer, .tls] {
            let context = try TLSContext(protocol: selection)
            XCTAssertEqual(context.minimumVersion, .minimumSupported, "\(selection)")
            XCTAssertEqual(context.maximumVersion, .maximumSupported, "\(selection)")
            XCTAssertEqual(context.ciphers.map(\.name), try namesOfAnUntouchedContext(), "\(selection)")
        }
        XCTAssertTrue(try TLSContext(protocol: .tlsClient).ciphers.map(\.name).contains("ECDHE-ECDSA-AES128-SHA"))
    }

    func testABuildersOwnStringIsAppliedWithTLS12AtLeast() throws {
        let own = "HIGH:!aNULL:!kRSA:!PSK:!SRP"
        let expected = try TLSContext(protocol: .tlsClient)
        try expected.setCiphers(own)
        DefaultCipherSuites.current = .custom(own)
        XCTAssertEqual(DefaultCipherSuites.current.cipherString, own)
        let context = try TLSContext(protocol: .tlsClient)
        XCTAssertEqual(context.ciphers.map(\.name), expected.ciphers.map(\.name))
        XCTAssertEqual(context.minimumVersion, .tlsv1_2)
    }

    func testABuildersStringThatSelectsNothingFailsEveryContextAsInCPython() {
        DefaultCipherSuites.current = .custom("NOT-A-CIPHER")
        XCTAssertThrowsError(try TLSContext(protocol: .tlsClient)) { error in
            XCTAssertEqual((error as? TLSError)?.message, "No cipher can be selected.")
        }
    }

    func testContextsPinnedToTLS10KeepTheirLegacySettingsUnderEveryChoice() throws {
        for choice in [DefaultCipherSuites.python, .openssl, .custom("HIGH:!aNULL")] {
            DefaultCipherSuites.current = choice
            let context = try TLSContext(protocol: .tlsv1)
            XCTAssertEqual(context.securityLevel, 0, "\(choice)")
            XCTAssertEqual(context.minimumVersion, .tlsv1, "\(choice)")
        }
    }

    func testTheContextCacheDoesNotShareAcrossChoices() throws {
        let cache = TLSContextCache(capacity: 4)
        let configuration = TLSConfiguration(protocol: .tlsClient)
        let underPython = try cache.context(for: configuration)
        DefaultCipherSuites.current = .openssl
        let underOpenSSL = try cache.context(for: configuration)
        XCTAssertFalse(underPython === underOpenSSL)
        XCTAssertEqual(underOpenSSL.minimumVersion, .minimumSupported)
        DefaultCipherSuites.current = .custom(DefaultCipherSuites.openssl.cipherString)
        let underTheSameString = try cache.context(for: configuration)
        XCTAssertFalse(underTheSameString === underOpenSSL, "the same string, applied with a TLS 1.2 floor")
        XCTAssertEqual(underTheSameString.minimumVersion, .tlsv1_2)
        DefaultCipherSuites.current = .python
        XCTAssertTrue(underPython === (try cache.context(for: configuration)))
    }
}
