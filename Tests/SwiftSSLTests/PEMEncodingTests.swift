import XCTest
@testable import SwiftSSL

/// PEMEncoding.swift: armour and base64 both ways.
final class PEMEncodingTests: XCTestCase {
    func testEncodeThenDecodeGivesTheBytesBack() {
        for count in [0, 1, 2, 3, 4, 47, 48, 49, 1000] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            let pem = PEMEncoding.encode(der: bytes, label: "X")
            XCTAssertEqual(PEMEncoding.decode(pem: pem, label: "X"), bytes, "\(count) bytes")
        }
    }

    func testABodyThatIsNotBase64IsNil() {
        func decode(_ body: String) -> [UInt8]? {
            PEMEncoding.decode(pem: "-----BEGIN X-----\n\(body)\n-----END X-----", label: "X")
        }
        XCTAssertEqual(decode("QUJD"), Array("ABC".utf8))
        XCTAssertEqual(decode("QUI="), Array("AB".utf8))
        XCTAssertNil(decode("A"))        // one character of a group: 6 bits, not a byte (was [])
        XCTAssertNil(decode("QUJDR"))
        XCTAssertNil(decode("QU==="))
        XCTAssertNil(decode("QU=J"))
        XCTAssertNil(decode("QU!J"))
        XCTAssertNil(PEMEncoding.decode(pem: "QUJD", label: "X"))
    }
}
