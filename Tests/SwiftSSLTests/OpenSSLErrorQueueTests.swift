import COpenSSL
import XCTest
@testable import SwiftSSL
#if canImport(Glibc)
import Glibc
#endif

/// OpenSSLErrorQueue.swift: decoding OpenSSL's packed error codes.
final class OpenSSLErrorQueueTests: XCTestCase {
    func testASystemErrorIsNamedByItsErrnoAsCPythonNamesIt() throws {
        // OpenSSL 3 packs a system error as a flag and errno (0x80000002 for ENOENT), which newer
        // releases push for failed socket writes; BIO_new_file pushes one for a missing file.
        OpenSSLErrorQueue.clear()
        XCTAssertNil(BIO_new_file("/nonexistent/swiftssl-test", "r"))
        let entries = OpenSSLErrorQueue.drain()
        let system = try XCTUnwrap(entries.first { $0.libraryCode == ERR_LIB_SYS }, "\(entries)")
        XCTAssertEqual(system.reasonCode, ENOENT)
        XCTAssertEqual(system.library, "SYS")
        XCTAssertNil(system.reason)  // CPython's table has no mnemonic for errno values
        XCTAssertEqual(system.text, String(cString: strerror(ENOENT)))
    }

    func testEveryErrnoOfASystemErrorHasItsText() {
        // A system error code OpenSSL has no string for (its table stops at errno 127; newer
        // releases have none) was "unknown error (2147483680)".
        for code in [EPIPE, ECONNRESET, 130, 4095] {
            let entry = OpenSSLErrorQueue.entry(for: 0x8000_0000 | UInt(code))
            XCTAssertEqual(entry.libraryCode, ERR_LIB_SYS)
            XCTAssertEqual(entry.reasonCode, Int32(code))
            XCTAssertNil(entry.reason)
            XCTAssertEqual(entry.text, String(cString: strerror(Int32(code))), "errno \(code)")
        }
    }
}
