import COpenSSL
import Foundation
@testable import SwiftSSL
import XCTest

/// `Certificate.info` against the oracle, CPython's own `_ssl._test_decode_cert`: CPython's test
/// certificates, plus certificates built here with every GeneralName type and the hostile shapes
/// CPython has had CVEs for (NUL bytes, empty distribution points, odd lengths, long OIDs).
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

    // MARK: Without the oracle

    func testFieldsOfAKnownCertificate() throws {
        var specification = TestCertificate.Specification()
        specification.subject = [
            .init("C", "XY"), .init("CN", "a\u{0}b.example"), .init("O", "Multi", joinsPrevious: true),
        ]
        specification.issuer = [.init("CN", "Issuer")]
        specification.serial = [0x01, 0x0A, 0xFF]
        specification.notBefore = "180105093443Z"
        specification.notAfter = "20500228235959Z"
        specification.extensions = [
            ("2.5.29.17", DER.sequence(
                GeneralNameDER.dns("x.example"), GeneralNameDER.ip([192, 0, 2, 1]),
                GeneralNameDER.ip([0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]),
                GeneralNameDER.ip([1, 2, 3]), GeneralNameDER.registeredID("1.2.3.4"),
                GeneralNameDER.otherName("1.2.3.4.5", DER.utf8String("x")))),
        ]
        let info = try TestCertificate.make(specification).info
        XCTAssertEqual(info.subject.relativeNames, [
            [.init(name: "countryName", value: "XY")],
            // DER sorts a SET by encoding, and the shorter attribute encodes first.
            [.init(name: "organizationName", value: "Multi"), .init(name: "commonName", value: "a\u{0}b.example")],
        ])
        XCTAssertEqual(info.subject.commonNames, ["a\u{0}b.example"])
        XCTAssertEqual(info.issuer.commonNames, ["Issuer"])
        XCTAssertEqual(info.version, 3)
        XCTAssertEqual(info.serialNumber, "010AFF")
        XCTAssertEqual(info.notBefore, "Jan  5 09:34:43 2018 GMT")
        XCTAssertEqual(info.notAfter, "Feb 28 23:59:59 2050 GMT")
        XCTAssertEqual(info.subjectAltNames, [
            .dnsName("x.example"), .ipAddress("192.0.2.1"), .ipAddress("2001:DB8:0:0:0:0:0:1"),
            .ipAddress("<invalid>"), .registeredID("1.2.3.4"), .other(tag: "othername", value: "<unsupported>"),
        ])
        XCTAssertEqual(info.ocspResponders, [])
        XCTAssertEqual(info.crlDistributionPoints, [])
    }

    func testAbsentAndEmptySubjectAltNameDiffer() throws {
        XCTAssertNil(try TestCertificate.make(.init()).info.subjectAltNames)
        var empty = TestCertificate.Specification()
        empty.extensions = [("2.5.29.17", DER.sequence())]
        XCTAssertEqual(try TestCertificate.make(empty).info.subjectAltNames, [])
    }

    func testInvalidUTF8InANameThrowsInsteadOfSubstituting() throws {
        var specification = TestCertificate.Specification()
        specification.extensions = [("2.5.29.17", DER.sequence(GeneralNameDER.dns([0x61, 0xFF])))]
        XCTAssertThrowsError(try TestCertificate.make(specification).info) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidArgument)
        }
    }

    /// Name values `ASN1_STRING_to_UTF8` rejects cannot come from the wire (OpenSSL's parser
    /// canonicalizes names with the same conversion and refuses the certificate), but an in-memory
    /// `X509` can hold them; decoding must throw, as CPython raises SSLError.
    func testUnconvertibleNameValuesThrow() throws {
        let values: [(bytes: [UInt8], type: Int32)] = [
            ([0x61, 0xFF], V_ASN1_UTF8STRING), ([0xC0, 0x80], V_ASN1_UTF8STRING),
            ([0xD8, 0x00, 0x00, 0x41], V_ASN1_BMPSTRING), ([0x00, 0x11, 0x00, 0x00], V_ASN1_UNIVERSALSTRING),
            ([0x00, 0x00, 0xD8, 0x00], V_ASN1_UNIVERSALSTRING),
        ]
        for value in values {
            var specification = TestCertificate.Specification()
            specification.subject = [.init("CN", raw: value.bytes, type: value.type)]
            specification.inMemoryOnly = true
            XCTAssertThrowsError(try TestCertificate.make(specification).info, "\(value)") { error in
                XCTAssertEqual((error as? TLSError)?.kind, .ssl, "\(error)")
            }
            XCTAssertEqual(ERR_peek_error(), 0)
        }
    }

    func testDecodingLeavesNoOpenSSLErrorsBehind() throws {
        var specification = TestCertificate.Specification()
        specification.extensions = [("2.5.29.17", [0x30, 0x03, 0x82, 0x05, 0x61])]  // truncated
        XCTAssertNil(try TestCertificate.make(specification).info.subjectAltNames)
        XCTAssertEqual(ERR_peek_error(), 0)
    }

    func testIPAddressFormats() {
        XCTAssertEqual(CertificateDecoder.ipAddressText([127, 0, 0, 1]), "127.0.0.1")
        XCTAssertEqual(CertificateDecoder.ipAddressText([UInt8](repeating: 0, count: 15) + [1]), "0:0:0:0:0:0:0:1")
        XCTAssertEqual(CertificateDecoder.ipAddressText([UInt8](repeating: 0xAB, count: 16)),
                       "ABAB:ABAB:ABAB:ABAB:ABAB:ABAB:ABAB:ABAB")
        XCTAssertEqual(CertificateDecoder.ipAddressText([]), "<invalid>")
        XCTAssertEqual(CertificateDecoder.ipAddressText([1, 2, 3, 4, 5]), "<invalid>")
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

// MARK: - CPython as a subprocess

/// Runs snippets in the `python3` on PATH (CPython 3.11 on the development machines), the oracle
/// these tests compare with. Tests skip when there is no interpreter.
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

// MARK: - Building certificates

/// Minimal DER encoding, enough to write extensions byte by byte (including malformed ones that no
/// certificate tool would produce).
enum DER {
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        if content.count < 0x80 {
            length = [UInt8(content.count)]
        } else {
            var remaining = content.count
            while remaining > 0 {
                length.insert(UInt8(remaining & 0xFF), at: 0)
                remaining >>= 8
            }
            length.insert(0x80 | UInt8(length.count), at: 0)
        }
        return [tag] + length + content
    }

    static func sequence(_ items: [UInt8]...) -> [UInt8] { tlv(0x30, items.flatMap { $0 }) }
    static func utf8String(_ text: String) -> [UInt8] { tlv(0x0C, Array(text.utf8)) }
    static func printableString(_ text: String) -> [UInt8] { tlv(0x13, Array(text.utf8)) }
    static func oid(_ dotted: String) -> [UInt8] { tlv(0x06, oidContent(dotted)) }

    static func oidContent(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").compactMap { UInt64($0) }
        guard arcs.count >= 2 else { return [] }
        return ([arcs[0] * 40 + arcs[1]] + arcs.dropFirst(2)).flatMap { arc -> [UInt8] in
            var bytes = [UInt8(arc & 0x7F)]
            var remaining = arc >> 7
            while remaining > 0 {
                bytes.insert(UInt8(remaining & 0x7F) | 0x80, at: 0)
                remaining >>= 7
            }
            return bytes
        }
    }

    /// An RDNSequence with one attribute per relative name.
    static func name(_ attributes: [(oid: String, value: [UInt8])]) -> [UInt8] {
        tlv(0x30, attributes.flatMap { tlv(0x31, sequence(oid($0.oid), $0.value)) })
    }
}

/// GeneralName encodings (RFC 5280 section 4.2.1.6), context-tagged as in a certificate.
enum GeneralNameDER {
    static func email(_ text: String) -> [UInt8] { DER.tlv(0x81, Array(text.utf8)) }
    static func dns(_ text: String) -> [UInt8] { dns(Array(text.utf8)) }
    static func dns(_ bytes: [UInt8]) -> [UInt8] { DER.tlv(0x82, bytes) }
    static func uri(_ text: String) -> [UInt8] { uri(Array(text.utf8)) }
    static func uri(_ bytes: [UInt8]) -> [UInt8] { DER.tlv(0x86, bytes) }
    static func ip(_ bytes: [UInt8]) -> [UInt8] { DER.tlv(0x87, bytes) }
    static func registeredID(_ oid: String) -> [UInt8] { DER.tlv(0x88, DER.oidContent(oid)) }
    static func directoryName(_ name: [UInt8]) -> [UInt8] { DER.tlv(0xA4, name) }
    static func otherName(_ oid: String, _ value: [UInt8]) -> [UInt8] {
        DER.tlv(0xA0, DER.oid(oid) + DER.tlv(0xA0, value))
    }
    static func x400Address() -> [UInt8] { DER.tlv(0xA3, DER.sequence()) }
    static func ediPartyName(_ party: String) -> [UInt8] { DER.tlv(0xA5, DER.tlv(0xA1, DER.utf8String(party))) }
}

/// Self-signed test certificates made with OpenSSL's C API, Ed25519-signed (fast to generate).
enum TestCertificate {
    struct Attribute {
        var field: String
        var bytes: [UInt8]
        var type: Int32
        /// Adds the attribute to the previous relative name instead of starting a new one.
        var joinsPrevious = false

        init(_ field: String, _ value: String, joinsPrevious: Bool = false) {
            self.init(field, raw: Array(value.utf8), type: MBSTRING_UTF8, joinsPrevious: joinsPrevious)
        }

        /// `type` other than an `MBSTRING_*` value stores the bytes unchecked, as a hostile CA could.
        init(_ field: String, raw: [UInt8], type: Int32, joinsPrevious: Bool = false) {
            self.field = field
            self.bytes = raw
            self.type = type
            self.joinsPrevious = joinsPrevious
        }
    }

    struct Specification {
        var version = 2
        var subject: [Attribute] = [.init("C", "XY"), .init("CN", "test.example")]
        /// Nil means self-issued (the subject again).
        var issuer: [Attribute]?
        var serial: [UInt8] = [0x12, 0x34]
        var negativeSerial = false
        var notBefore = "20240101000000Z"
        var notAfter = "20340101000000Z"
        var rawNotAfter: [UInt8]?
        /// (OID, DER value) pairs, added in order, non-critical.
        var extensions: [(String, [UInt8])] = []
        /// Builds the names in place and skips signing and the DER round trip, so that values
        /// OpenSSL would refuse to encode or parse stay in the certificate.
        var inMemoryOnly = false
    }

    struct BuildError: Error, CustomStringConvertible {
        var description: String
    }

    static func make(_ specification: Specification) throws -> Certificate {
        guard let x509 = X509_new() else { throw BuildError(description: "X509_new") }
        let certificate = Certificate(taking: x509)
        try check(X509_set_version(x509, specification.version), "X509_set_version")

        guard let serial = ASN1_INTEGER_new() else { throw BuildError(description: "ASN1_INTEGER_new") }
        defer { ASN1_INTEGER_free(serial) }
        try check(ASN1_STRING_set(serial, specification.serial, Int32(specification.serial.count)), "serial")
        if specification.negativeSerial { serial.pointee.type = V_ASN1_NEG_INTEGER }
        try check(X509_set_serialNumber(x509, serial), "X509_set_serialNumber")

        // X509_set_subject_name copies by encoding and re-parsing, so add entries in place.
        try add(specification.subject, to: X509_get_subject_name(x509))
        try add(specification.issuer ?? specification.subject, to: X509_get_issuer_name(x509))

        try check(ASN1_TIME_set_string(X509_getm_notBefore(x509), specification.notBefore), "notBefore")
        try check(ASN1_TIME_set_string(X509_getm_notAfter(x509), specification.notAfter), "notAfter")
        if let raw = specification.rawNotAfter {
            try check(ASN1_STRING_set(X509_getm_notAfter(x509), raw, Int32(raw.count)), "raw notAfter")
        }
        for (oid, value) in specification.extensions {
            try addExtension(x509, oid: oid, value: value)
        }
        if specification.inMemoryOnly {
            return certificate
        }

        guard let keyContext = EVP_PKEY_CTX_new_from_name(nil, "ED25519", nil) else {
            throw BuildError(description: "EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(keyContext) }
        var key: OpaquePointer?
        try check(EVP_PKEY_keygen_init(keyContext), "EVP_PKEY_keygen_init")
        try check(EVP_PKEY_generate(keyContext, &key), "EVP_PKEY_generate")
        defer { EVP_PKEY_free(key) }
        try check(X509_set_pubkey(x509, key), "X509_set_pubkey")
        guard X509_sign(x509, key, nil) > 0 else { throw BuildError(description: "X509_sign") }
        // Round-trip through DER so the decoder sees what a peer would send, not the builder's state.
        return try certificate.derBytes.withUnsafeBytes { try Certificate.fromDER($0) }
    }

    static func add(_ attributes: [Attribute], to name: OpaquePointer?) throws {
        for attribute in attributes {
            let added = X509_NAME_add_entry_by_txt(
                name, attribute.field, attribute.type, attribute.bytes, Int32(attribute.bytes.count), -1,
                attribute.joinsPrevious ? -1 : 0)
            guard added == 1 else {
                ERR_clear_error()
                throw BuildError(description: "X509_NAME_add_entry_by_txt \(attribute.field)")
            }
        }
    }

    static func addExtension(_ x509: OpaquePointer, oid: String, value: [UInt8]) throws {
        guard let object = OBJ_txt2obj(oid, 1), let octets = ASN1_OCTET_STRING_new() else {
            throw BuildError(description: "extension \(oid)")
        }
        defer {
            ASN1_OBJECT_free(object)
            ASN1_OCTET_STRING_free(octets)
        }
        try check(ASN1_OCTET_STRING_set(octets, value, Int32(value.count)), "extension value")
        guard let ext = X509_EXTENSION_create_by_OBJ(nil, object, 0, octets) else {
            throw BuildError(description: "X509_EXTENSION_create_by_OBJ")
        }
        defer { X509_EXTENSION_free(ext) }
        try check(X509_add_ext(x509, ext, -1), "X509_add_ext")
    }

    static func check(_ result: Int32, _ what: String) throws {
        guard result == 1 else {
            ERR_clear_error()
            throw BuildError(description: what)
        }
    }
}
