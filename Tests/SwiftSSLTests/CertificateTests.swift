import Foundation
import XCTest
@testable import SwiftSSL

/// Certificate.swift: one certificate from DER, and lists of them from PEM or DER.
final class CertificateTests: XCTestCase {
    private func derOfTestCertificate() throws -> [UInt8] {
        let pem = try XCTUnwrap(FileManager.default.contents(atPath: TestPKI.selfSignedCertificate))
        return try Certificate(bytes: Array(pem)).derBytes
    }

    func testFromDERTakesExactlyOneCertificate() throws {
        let der = try derOfTestCertificate()
        let parsed = try der.withUnsafeBytes { try Certificate.fromDER($0) }
        XCTAssertEqual(parsed.derBytes, der)
        // The doc says the whole input must be consumed; trailing bytes were ignored before.
        XCTAssertThrowsError(try (der + [0xDE, 0xAD]).withUnsafeBytes { try Certificate.fromDER($0) }) { error in
            XCTAssertEqual((error as? TLSError)?.message, "2 bytes after the DER certificate")
        }
        XCTAssertThrowsError(try [UInt8]().withUnsafeBytes { try Certificate.fromDER($0) })
        XCTAssertThrowsError(try Array(der.prefix(100)).withUnsafeBytes { try Certificate.fromDER($0) })
    }

    func testADERListEndsWhereTheDataEnds() throws {
        let der = try derOfTestCertificate()
        XCTAssertEqual(try (der + der).withUnsafeBytes { try Certificate.parseAll($0) }.count, 2)
        // CPython 3.12 and later: anything after the last certificate is OpenSSL's error.
        XCTAssertThrowsError(try (der + [0]).withUnsafeBytes { try Certificate.parseAll($0) }) { error in
            XCTAssertEqual((error as? TLSError)?.reason, "HEADER_TOO_LONG")
        }
    }
}
