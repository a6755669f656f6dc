import XCTest
@testable import SwiftSSL
#if canImport(Glibc)
import Glibc
#endif

/// CredentialSource.swift: reading credential files whole, regular or not.
final class CredentialSourceTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "/CredentialSourceTests-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testARegularFileIsReadToItsEndPastTheLimitForStreams() throws {
        // A 70 MB bundle loaded in CPython and was refused at 64 MiB (here: limits scaled down).
        let path = directory + "/big.pem"
        let content = [UInt8](repeating: 0x41, count: 100_000)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(content)))
        let bytes = try FileReader.readAll(path: Array(path.utf8), streamLimit: 16 * 1024, fileLimit: 1 << 20)
        XCTAssertEqual(bytes.bytes.count, content.count)
        XCTAssertThrowsError(try FileReader.readAll(path: Array(path.utf8), streamLimit: 16 * 1024, fileLimit: 32 * 1024)) {
            XCTAssertEqual(($0 as? TLSError)?.kind, .ssl)
            XCTAssertTrue("\($0)".contains("is larger than 32768 bytes"), "\($0)")
        }
    }

    func testADeviceThatNeverEndsIsAnSSLErrorAtTheLimitForStreams() {
        // /dev/zero as a cafile: CPython's SSLError; swiftssl's was a ValueError.
        XCTAssertThrowsError(try FileReader.readAll(path: Array("/dev/zero".utf8), streamLimit: 32 * 1024)) {
            XCTAssertEqual(($0 as? TLSError)?.kind, .ssl)
            XCTAssertTrue("\($0)".contains("/dev/zero is not a regular file and gave more than 32768 bytes"), "\($0)")
        }
    }

    func testAThrowingInterruptHandlerEndsTheRead() throws {
        // A FIFO with a writer that writes nothing: the read blocks until SIGALRM interrupts it
        // (a handler without SA_RESTART, as Python's), and the handler's error ends the load.
        let path = directory + "/fifo"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let writer = open(path, O_RDWR)  // keeps a writer without blocking, never writes
        defer { close(writer) }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        var previous = sigaction()
        sigaction(SIGALRM, &action, &previous)
        defer { sigaction(SIGALRM, &previous, nil) }
        struct Interrupted: Error {}
        var interruptions = 0
        alarm(1)
        XCTAssertThrowsError(try CredentialSource.path(path).load(onInterrupt: {
            interruptions += 1
            throw Interrupted()
        })) { XCTAssertTrue($0 is Interrupted, "\($0)") }
        XCTAssertEqual(interruptions, 1)
    }
}
