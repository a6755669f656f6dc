import COpenSSL
@testable import SwiftSSL
import XCTest

/// `Certificate.info` without the oracle: the fields of a certificate built here, the names that
/// cannot be decoded and must throw, and the OpenSSL error queue left empty. The comparison with
/// CPython's decoder is in `CertificateDecoderTests`.
final class CertificateDecoderFieldTests: XCTestCase {
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
}
