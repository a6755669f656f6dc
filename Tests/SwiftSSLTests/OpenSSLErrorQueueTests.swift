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

    func testEveryLibraryAndReasonIsNamedAsCPythonNamesIt() throws {
        // CPython 3.11's tables (3.12 and later keep the same ones but no longer expose them);
        // swiftssl derived every reason from its text and named OSSL_DECODER "DECODER", so 37
        // reasons and two libraries came out otherwise ("[SSL: TLSV1_ALERT_NO_APPLICATION_PROTOCOL]"
        // where CPython says "[SSL]").
        let table = try PythonOracle.run("""
            import _ssl
            if not hasattr(_ssl, "err_codes_to_names"):
                raise SystemExit(1)
            for (library, name) in _ssl.lib_codes_to_names.items():
                print("L", library, name)
            for (library, reason), name in _ssl.err_codes_to_names.items():
                print("R", library, reason, name)
            """)
        var libraries: [Int32: String] = [:]
        var reasons: [[Int32]: String] = [:]
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields[0] == "L", let library = Int32(fields[1]) {
                libraries[library] = fields[2]
            } else if fields[0] == "R", let library = Int32(fields[1]), let reason = Int32(fields[2]) {
                reasons[[library, reason]] = fields[3]
            }
        }
        XCTAssertGreaterThan(reasons.count, 1000)
        _ = try TestPKI.serverContext()  // loads libssl's reason texts
        var compared = 0
        for library in Int32(1)...255 {
            let expectedLibrary = ["OFFSET", "MASK"].contains(libraries[library]) ? nil : libraries[library]
            XCTAssertEqual(CPythonErrorNames.library(library), expectedLibrary, "library \(library)")
            for reason in Int32(1)..<4096 {
                let code = UInt(library) << 23 | UInt(reason)
                guard ERR_reason_error_string(code) != nil else { continue }
                let entry = OpenSSLErrorQueue.entry(for: code)
                XCTAssertEqual(entry.reason, reasons[[library, reason]], "library \(library) reason \(reason)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 1000)
    }
}
