import COpenSSL
import Foundation
@testable import SwiftSSL
import XCTest

/// `Certificate.info` against the oracle, CPython's own `_ssl._test_decode_cert`: CPython's test
/// certificates, plus certificates built here with every GeneralName type and the hostile shapes
/// CPython has had CVEs for (NUL bytes, empty distribution points, odd lengths, long OIDs).
/// The fields of certificates decoded without the oracle are in `CertificateDecoderFieldTests`.
final class CertificateDecoderTests: XCTestCase {
    // MARK: Against CPython

    func testCPythonTestCertificatesDecodeAsCPythonDecodesThem() throws {
        let directory = try PythonOracle.evaluate(
            "import test, os; print(os.path.join(os.path.dirname(test.__file__), 'certdata'))")
        let paths = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".pem") }.sorted().map { directory + "/" + $0 }
        XCTAssertTrue(paths.contains { $0.hasSuffix("/nullbytecert.pem") }, "CPython's certdata not found in \(directory)")
        try assertDecodesLikeCPython(paths.map { ($0, $0) })
    }

    func testGeneratedCertificatesDecodeAsCPythonDecodesThem() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftssl-decoder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [(label: String, path: String)] = []
        for (label, specification) in Self.hostileSpecifications() {
            let certificate = try TestCertificate.make(specification)
            let path = directory.appendingPathComponent("\(files.count).pem").path
            try certificate.pemString.write(toFile: path, atomically: true, encoding: .utf8)
            files.append((label, path))
        }
        try assertDecodesLikeCPython(files)
    }

    /// Without the oracle too: every hostile certificate decodes or throws, repeatedly (run it under
    /// valgrind to see that decoding frees what it allocates).
    func testHostileCertificatesDecodeOrThrow() throws {
        var decoded = 0
        for (label, specification) in Self.hostileSpecifications() {
            let certificate = try TestCertificate.make(specification)
            for _ in 0..<3 {
                if (try? certificate.info) != nil { decoded += 1 }
                XCTAssertEqual(ERR_peek_error(), 0, label)
            }
        }
        XCTAssertGreaterThan(decoded, 0)
    }

    /// Decodes every file with CPython and with `Certificate.info`; both must give the same dict
    /// (compared as CPython's repr) or both must fail.
    func assertDecodesLikeCPython(_ files: [(label: String, path: String)]) throws {
        let script = """
            import sys, _ssl
            for path in sys.stdin.read().splitlines():
                try:
                    print('OK', repr(_ssl._test_decode_cert(path)))
                except Exception as error:
                    print('ERR', type(error).__name__)
            """
        let output = try PythonOracle.run(script, input: files.map(\.path).joined(separator: "\n"))
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertGreaterThanOrEqual(lines.count, files.count)
        var compared = 0
        for (index, file) in files.enumerated() where index < lines.count {
            let expected = lines[index]
            let contents = try Data(contentsOf: URL(fileURLWithPath: file.path))
            let info: CertificateInfo
            do {
                // _test_decode_cert reads the first PEM certificate; key-only files fail there too.
                guard let certificate = try contents.withUnsafeBytes({ try Certificate.parseAllPEM($0, trustedFirst: false) }).first else {
                    throw TLSError.invalidArgument("no certificate")
                }
                info = try certificate.info
            } catch {
                XCTAssertTrue(expected.hasPrefix("ERR "), "\(file.label): CPython decoded it, swiftssl threw \(error)")
                continue
            }
            XCTAssertEqual("OK " + PythonRendering.dictionary(info), expected, file.label)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 0)
    }

    // MARK: The certificates

    /// Certificates in shapes CPython decodes with care, each labelled by what it exercises.
    static func hostileSpecifications() -> [(String, TestCertificate.Specification)] {
        typealias Spec = TestCertificate.Specification
        var cases: [(String, Spec)] = []
        func add(_ label: String, _ change: (inout Spec) -> Void) {
            var specification = Spec()
            change(&specification)
            cases.append((label, specification))
        }
        func san(_ names: [UInt8]...) -> (String, [UInt8]) { ("2.5.29.17", DER.tlv(0x30, names.flatMap { $0 })) }
        let longOID = "1.2." + Array(repeating: "123456789", count: 40).joined(separator: ".")

        add("plain, version 1") { $0.version = 0 }
        add("every GeneralName type") {
            $0.extensions = [san(
                GeneralNameDER.dns("DNS.example"), GeneralNameDER.email("user@example.org"),
                GeneralNameDER.uri("https://example.org/"), GeneralNameDER.ip([10, 0, 0, 1]),
                GeneralNameDER.ip([UInt8](0..<16)), GeneralNameDER.ip([]), GeneralNameDER.ip([1, 2, 3, 4, 5]),
                GeneralNameDER.registeredID("1.2.3.4.5"), GeneralNameDER.registeredID("2.5.4.3"),
                GeneralNameDER.directoryName(DER.name([("2.5.4.6", DER.printableString("XY")), ("2.5.4.3", DER.utf8String("dir"))])),
                GeneralNameDER.otherName("1.2.3.4", DER.utf8String("unsupported")),
                GeneralNameDER.otherName("1.3.6.1.5.5.7.8.9", DER.utf8String("smtp@example.org")),
                GeneralNameDER.otherName("1.3.6.1.5.5.7.8.9", DER.utf8String("line\nbreak")),
                GeneralNameDER.otherName("1.3.6.1.5.5.7.8.9", DER.utf8String("nul\u{0}byte")),
                GeneralNameDER.otherName("1.3.6.1.5.5.7.8.9", DER.tlv(0x16, Array("wrong type".utf8))),
                GeneralNameDER.otherName("1.3.6.1.5.5.7.8.7", DER.tlv(0x16, Array("_srv.example".utf8))),
                GeneralNameDER.otherName("1.3.6.1.4.1.311.20.2.3", DER.utf8String("upn@example.org")),
                GeneralNameDER.x400Address(), GeneralNameDER.ediPartyName("party"))]
        }
        add("NUL bytes and non-ASCII in IA5 names") {
            $0.extensions = [san(
                GeneralNameDER.dns("altnull.python.org\u{0}example.com"), GeneralNameDER.email("a\u{0}b@example.org"),
                GeneralNameDER.uri("http://a\u{0}b/"), GeneralNameDER.dns("caf\u{E9}.example"), GeneralNameDER.dns(""))]
        }
        add("invalid UTF-8 in a DNS name") { $0.extensions = [san(GeneralNameDER.dns([0x61, 0xC3]))] }
        add("UTF-8-encoded surrogate in a URI") { $0.extensions = [san(GeneralNameDER.uri([0xED, 0xA0, 0x80]))] }
        add("empty subjectAltName") { $0.extensions = [san()] }
        add("duplicate subjectAltName") {
            $0.extensions = [san(GeneralNameDER.dns("one")), san(GeneralNameDER.dns("two"))]
        }
        add("malformed subjectAltName") { $0.extensions = [("2.5.29.17", [0x30, 0x05, 0x82, 0x09, 0x61])] }
        add("Registered IDs, long") {
            $0.extensions = [san(
                GeneralNameDER.registeredID("1.2" + String(repeating: ".1", count: 560)),
                GeneralNameDER.registeredID(longOID))]
        }
        // OpenSSL 3 refuses to print OIDs this long (so CPython's "<INVALID>" for texts of 2048 bytes
        // and more cannot happen); both sides fail.
        add("Registered ID over OpenSSL's length limit") {
            $0.extensions = [san(GeneralNameDER.registeredID("1.2" + String(repeating: ".1", count: 1022)))]
        }
        add("names: multi-valued, unknown and long OIDs, string types, NUL, empty") {
            $0.subject = [
                .init("C", "XY"), .init("CN", "first"), .init("CN", "second", joinsPrevious: true),
                .init("1.2.3.4.5.6.7", "unknown"), .init(longOID, "long OID"),
                .init("O", raw: [0x00, 0x41, 0x00, 0xE9, 0x20, 0xAC], type: V_ASN1_BMPSTRING),
                .init("OU", raw: [0x41, 0xE9, 0xFF], type: V_ASN1_T61STRING),
                .init("L", raw: [0x00, 0x01, 0xF6, 0x00], type: V_ASN1_UNIVERSALSTRING),
                .init("ST", raw: [0x41, 0xE9], type: V_ASN1_IA5STRING),
                .init("CN", "null.python.org\u{0}example.org"), .init("serialNumber", raw: [], type: V_ASN1_PRINTABLESTRING),
                .init("emailAddress", "a@b"), .init("DC", "example"), .init("2.5.4.97", "VATXY-1"),
            ]
            $0.issuer = []
        }
        add("serial: zero") { $0.serial = [0] }
        add("serial: negative") { $0.serial = [0x01, 0x02]; $0.negativeSerial = true }
        add("serial: 20 bytes") { $0.serial = [0x7F] + [UInt8](repeating: 0xEE, count: 19) }
        add("serial: 40 bytes, printed over two lines") { $0.serial = [UInt8](1...40) }
        add("times: GeneralizedTime, single-digit day") {
            $0.notBefore = "19500101000000Z"
            $0.notAfter = "99991231235959Z"
        }
        add("times: malformed") { $0.rawNotAfter = Array("not a time".utf8) }
        add("authority information access") {
            let access = { (method: String, location: [UInt8]) in DER.sequence(DER.oid(method), location) }
            $0.extensions = [("1.3.6.1.5.5.7.1.1", DER.sequence(
                access("1.3.6.1.5.5.7.48.1", GeneralNameDER.uri("http://ocsp.example/")),
                access("1.3.6.1.5.5.7.48.2", GeneralNameDER.uri("http://ca.example/ca.cer")),
                access("1.3.6.1.5.5.7.48.1", GeneralNameDER.dns("not-a-uri.example")),
                access("1.3.6.1.5.5.7.48.5", GeneralNameDER.uri("http://repository.example/")),
                access("1.3.6.1.5.5.7.48.1", GeneralNameDER.uri("http://ocsp2.example/\u{0}x"))))]
        }
        add("authority information access, empty") { $0.extensions = [("1.3.6.1.5.5.7.1.1", DER.sequence())] }
        add("CRL distribution points, CVE-2019-5010 and relative names") {
            let fullName = { (names: [UInt8]) in DER.sequence(DER.tlv(0xA0, DER.tlv(0xA0, names))) }
            let relativeName = DER.sequence(DER.tlv(0xA0, DER.tlv(0xA1,
                DER.sequence(DER.oid("2.5.4.3"), DER.utf8String("relative")))))
            $0.extensions = [("2.5.29.31", DER.sequence(
                DER.sequence(),
                fullName(GeneralNameDER.uri("http://crl.example/1.crl") + GeneralNameDER.dns("crl.example")),
                relativeName,
                fullName(GeneralNameDER.uri("http://crl.example/2.crl") + GeneralNameDER.uri("ldap://crl.example/"))))]
        }
        add("CRL distribution points, only empty ones") {
            $0.extensions = [("2.5.29.31", DER.sequence(DER.sequence(), DER.sequence()))]
        }
        return cases
    }
}
