import XCTest
@testable import SwiftSSL

/// Context defaults (CPython 3.11's), setters, and credential loading from paths, memory and readers.
final class TLSContextTests: XCTestCase {
    func testClientDefaultsMatchCPython() throws {
        let context = try TLSContext(protocol: .tlsClient)
        XCTAssertEqual(context.verifyMode, .required)
        XCTAssertTrue(context.checkHostname)
        XCTAssertEqual(context.minimumVersion, .tlsv1_2)
        XCTAssertEqual(context.maximumVersion, .maximumSupported)
        XCTAssertEqual(context.options, 0x8252_0050)
        XCTAssertEqual(context.verifyFlags, 0x8000)
        XCTAssertEqual(context.securityLevel, 2)
        XCTAssertEqual(context.ciphers.count, 17)
    }

    func testAKeyWithoutItsChainIsRefusedWhenTheContextIsMade() throws {
        var configuration = TLSConfiguration(protocol: .tlsServer)
        configuration.privateKey = .path(TestPKI.selfSignedKey)
        XCTAssertThrowsError(try TLSContext(configuration: configuration)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidArgument)
        }
        configuration.certificateChain = .path(TestPKI.selfSignedCertificate)
        XCTAssertNoThrow(try TLSContext(configuration: configuration))
    }

    func testServerAndGenericDefaults() throws {
        XCTAssertEqual(try TLSContext(protocol: .tlsServer).verifyMode, .none)
        XCTAssertFalse(try TLSContext(protocol: .tls).checkHostname)
    }

    func testVerifyModeNoneRefusedWhileCheckingHostnames() throws {
        let context = try TLSContext(protocol: .tlsClient)
        XCTAssertThrowsError(try context.setVerifyMode(.none)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidArgument)
        }
        try context.setCheckHostname(false)
        try context.setVerifyMode(.none)
        XCTAssertEqual(context.verifyMode, .none)
        try context.setCheckHostname(true)
        XCTAssertEqual(context.verifyMode, .required, "turning hostname checks on upgrades CERT_NONE")
    }

    func testPinnedContextRefusesVersionChanges() throws {
        let context = try TLSContext(protocol: .tlsv1_2)
        XCTAssertThrowsError(try context.setMinimumVersion(.tlsv1_3))
    }

    func testBadCipherStringSaysNoCipherCanBeSelected() throws {
        let context = try TLSContext(protocol: .tls)
        XCTAssertThrowsError(try context.setCiphers("NOT-A-CIPHER")) { error in
            XCTAssertEqual((error as? TLSError)?.message, "No cipher can be selected.")
        }
    }

    func testCertificateChainFromMemoryAndReader() throws {
        let context = try TLSContext(protocol: .tlsServer)
        try context.loadCertificateChain(
            certificate: .memory(TestPKI.contents(TestPKI.leafChain)),
            privateKey: .reader { SensitiveBytes(copying: TestPKI.contents(TestPKI.leafKey)) })
        let combined = TestPKI.contents(TestPKI.leafChain) + TestPKI.contents(TestPKI.leafKey)
        try TLSContext(protocol: .tlsServer).loadCertificateChain(certificate: .memory(combined))
    }

    func testEncryptedKeyWithPasswordAndCallback() throws {
        let context = try TLSContext(protocol: .tlsServer)
        try context.loadCertificateChain(
            certificate: .path(TestPKI.leafCertificate), privateKey: .path(TestPKI.leafEncryptedKey),
            password: .text(TestPKI.keyPassword))
        var asked = 0
        try context.loadCertificateChain(
            certificate: .path(TestPKI.leafCertificate), privateKey: .path(TestPKI.leafEncryptedKey),
            password: .callback { asked += 1; return SensitiveBytes(copying: TestPKI.keyPassword.utf8) })
        XCTAssertEqual(asked, 1)
    }

    func testWrongPasswordAndMissingPasswordAreTLSErrors() throws {
        let context = try TLSContext(protocol: .tlsServer)
        for password in [PasswordSource.text("wrong"), nil] {
            XCTAssertThrowsError(try context.loadCertificateChain(
                certificate: .path(TestPKI.leafCertificate), privateKey: .path(TestPKI.leafEncryptedKey),
                password: password)) { error in
                XCTAssertEqual((error as? TLSError)?.message, "[SSL] PEM lib (swiftssl)")
            }
        }
    }

    func testPasswordCallbackErrorPropagatesUnchanged() throws {
        struct Refused: Error {}
        let context = try TLSContext(protocol: .tlsServer)
        XCTAssertThrowsError(try context.loadCertificateChain(
            certificate: .path(TestPKI.leafCertificate), privateKey: .path(TestPKI.leafEncryptedKey),
            password: .callback { throw Refused() })) { error in
            XCTAssertTrue(error is Refused)
        }
    }

    func testTooLongPasswordIsInvalidArgument() throws {
        let context = try TLSContext(protocol: .tlsServer)
        XCTAssertThrowsError(try context.loadCertificateChain(
            certificate: .path(TestPKI.leafCertificate), privateKey: .path(TestPKI.leafEncryptedKey),
            password: .text(String(repeating: "x", count: 1025)))) { error in
            XCTAssertEqual((error as? TLSError)?.message, "password cannot be longer than 1024 bytes")
        }
    }

    func testMismatchedKeyIsKeyValuesMismatch() throws {
        let context = try TLSContext(protocol: .tlsServer)
        XCTAssertThrowsError(try context.loadCertificateChain(
            certificate: .path(TestPKI.intermediateCertificate), privateKey: .path(TestPKI.selfSignedKey))) { error in
            // Both EC keys, so OpenSSL compares them (keys of another type fill another slot).
            XCTAssertEqual((error as? TLSError)?.reason, "KEY_VALUES_MISMATCH")
        }
    }

    func testCiphersCarryCPythonsGetCiphersFields() throws {
        let context = try TLSContext(protocol: .tls)
        try context.setCiphers("ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA")
        let byName = Dictionary(uniqueKeysWithValues: context.ciphers.map { ($0.name, $0) })
        let gcm = try XCTUnwrap(byName["ECDHE-RSA-AES128-GCM-SHA256"])
        XCTAssertTrue(gcm.isAEAD)
        XCTAssertEqual(gcm.symmetricCipher, "aes-128-gcm")
        XCTAssertNil(gcm.digest)
        XCTAssertEqual(gcm.keyExchange, "kx-ecdhe")
        XCTAssertEqual(gcm.authentication, "auth-rsa")
        let cbc = try XCTUnwrap(byName["AES256-SHA"])
        XCTAssertFalse(cbc.isAEAD)
        XCTAssertEqual(cbc.digest, "sha1")
        XCTAssertEqual(cbc.keyExchange, "kx-rsa")
        XCTAssertFalse(cbc.description.hasSuffix("\n"))
        XCTAssertTrue(cbc.description.hasSuffix("Mac=SHA1"))
    }

    func testPinnedBoundsAreRefusedBeforeTheVersionIsLookedAt() throws {
        XCTAssertThrowsError(try TLSContext(protocol: .tlsv1_2).requireVersionsAdjustable())
        XCTAssertNoThrow(try TLSContext(protocol: .tls).requireVersionsAdjustable())
        let context = try TLSContext(protocol: .tls)
        try context.setMaximumVersion(.minimumSupported)
        XCTAssertEqual(context.maximumVersion, .tlsv1)  // libssl has no SSL 3
    }

    func testMessageOnlyErrorsHaveNoErrorNumber() throws {
        let context = try TLSContext(protocol: .tls)
        XCTAssertThrowsError(try context.setCiphers("NOT-A-CIPHER")) { error in
            XCTAssertEqual((error as? TLSError)?.isMessageOnly, true)
        }
    }

    func testANameWithANulIsRefusedWhereOpenSSLWouldCutIt() throws {
        let context = try TLSContext(protocol: .tlsServer)
        let directory = NSTemporaryDirectory() + "swiftssl-nul-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for attempt in [{ try context.setKeyLogPath(directory + "/a.log\0junk") },
                        { try context.setKeyExchangeGroup("prime256v1\0junk") },
                        { try context.loadDiffieHellmanParameters(path: directory + "/dh.pem\0junk") },
                        { try context.loadCertificateChain(certificate: .path(TestPKI.leafChain + "\0junk")) }] {
            XCTAssertThrowsError(try attempt()) { error in
                XCTAssertEqual((error as? TLSError)?.kind, .invalidArgument)
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
    }

    func testAFileNameThatIsNotUTF8IsOpenedByItsBytes() throws {
        let directory = NSTemporaryDirectory() + "swiftssl-name-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = Array((directory + "/root-").utf8) + [0xFF] + Array(".pem".utf8)
        let content = try Data(contentsOf: URL(fileURLWithPath: TestPKI.rootCertificate))
        let descriptor = (name + [0]).withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o600) }
        }
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        _ = content.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        let context = try TLSContext(protocol: .tlsClient)
        try context.loadVerifyLocations(file: .fileSystemPath(name))
        XCTAssertEqual(context.trustStoreStatistics.certificates, 1)
    }

    func testMissingFileIsSystemErrorWithErrno() throws {
        let context = try TLSContext(protocol: .tlsServer)
        XCTAssertThrowsError(try context.loadCertificateChain(certificate: .path("/nonexistent/cert.pem"))) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .system)
            XCTAssertEqual((error as? TLSError)?.code, ENOENT)
        }
    }

    func testGarbageIsPEMLibNotACrash() throws {
        let context = try TLSContext(protocol: .tlsServer)
        for garbage in [[UInt8](), Array("-----BEGIN CERTIFICATE-----\nnot base64\n".utf8), [0x30, 0x82, 0xff, 0xff]] {
            XCTAssertThrowsError(try context.loadCertificateChain(certificate: .memory(garbage)))
            XCTAssertThrowsError(try context.loadVerifyLocations(data: .memory(garbage)))
        }
    }

    func testTrustStoreFromPEMAndDER() throws {
        let context = try TLSContext(protocol: .tlsClient)
        try context.loadVerifyLocations(data: .memory(TestPKI.contents(TestPKI.rootCertificate)))
        let der = try Certificate(bytes: TestPKI.contents(TestPKI.intermediateCertificate)).derBytes
        try context.loadVerifyLocations(data: .memory(der))
        // Loading the same CA twice is harmless.
        try context.loadVerifyLocations(file: .path(TestPKI.rootCertificate))
        XCTAssertEqual(context.trustedCertificates().count, 2)
    }

    func testSystemTrustStoreAlsoReadsTheAppEngineBundleWhereItExists() throws {
        let context = try TLSContext(protocol: .tlsClient)
        try context.loadSystemTrustStore(extraBundles: ["/nonexistent/ca-certificates.crt", TestPKI.rootCertificate])
        let names = try context.trustedCertificates().map { try $0.info.subject.commonNames }
        XCTAssertTrue(names.contains(["swiftssl test root"]))
    }
}
