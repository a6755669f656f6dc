import Foundation
import XCTest
@testable import SwiftSSL

/// `TLSConnection.sendFile`: part of a file, read with pread, sent over loopback TLS.
final class FileSendingTests: XCTestCase {
    /// A temporary file of `count` bytes (a repeating pattern); its descriptor, open for reading.
    private func makeFile(count: Int) throws -> (descriptor: Int32, contents: [UInt8]) {
        let contents = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let path = NSTemporaryDirectory() + "swiftssl-sendfile-\(UUID().uuidString)"
        try Data(contents).write(to: URL(fileURLWithPath: path))
        let descriptor = open(path, O_RDONLY)
        unlink(path)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        return (descriptor, contents)
    }

    /// Sends with `send` from a client while a server reads `expected` bytes; returns them.
    private func receiveWhileSending(expected: Int, _ send: (TLSConnection) throws -> Void) throws -> [UInt8] {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext()
        let server = Background { () -> [UInt8] in
            let connection = try TLSConnection(context: serverContext, socket: pair.server, serverSide: true)
            try connection.handshake(timeout: LoopbackPair.serverTimeout)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while received.count < expected {
                let got = try buffer.withUnsafeMutableBytes { try connection.read(into: $0, timeout: LoopbackPair.serverTimeout) }
                if got == 0 { break }
                received += buffer[0..<got]
            }
            return received
        }
        let client = try TLSConnection(context: try TestPKI.clientContext(), socket: pair.client, serverHostname: "localhost")
        try client.handshake()
        try send(client)
        return try server.wait()
    }

    func testSendsTheRangeAskedForInBlocks() throws {
        let file = try makeFile(count: 2 * TLSConnection.fileBlockSize + 777)
        defer { close(file.descriptor) }
        for (offset, count) in [(0, nil), (10, 5), (1000, TLSConnection.fileBlockSize + 1), (file.contents.count - 3, nil)] as [(Int, Int?)] {
            let expected = Array(file.contents[offset..<(count.map { offset + $0 } ?? file.contents.count)])
            var sent = 0
            let received = try receiveWhileSending(expected: expected.count) { client in
                try client.sendFile(descriptor: file.descriptor, offset: offset, count: count, timeout: { .blocking },
                                    onInterrupt: {}, sent: &sent)
            }
            XCTAssertEqual(sent, expected.count, "offset \(offset)")
            XCTAssertEqual(received, expected, "offset \(offset)")
        }
        // pread leaves the descriptor's own position alone.
        XCTAssertEqual(lseek(file.descriptor, 0, SEEK_CUR), 0)
    }

    func testAnOffsetPastTheEndSendsNothing() throws {
        let file = try makeFile(count: 100)
        defer { close(file.descriptor) }
        var sent = 0
        _ = try receiveWhileSending(expected: 0) { client in
            try client.sendFile(descriptor: file.descriptor, offset: 500, count: 10, timeout: { .blocking },
                                onInterrupt: {}, sent: &sent)
        }
        XCTAssertEqual(sent, 0)
    }

    func testBadArgumentsAndUnreadableDescriptorsThrowTypedErrors() throws {
        let file = try makeFile(count: 100)
        defer { close(file.descriptor) }
        _ = try receiveWhileSending(expected: 0) { client in
            var sent = 0
            for (offset, count) in [(-1, nil), (0, -5)] as [(Int, Int?)] {
                XCTAssertThrowsError(try client.sendFile(descriptor: file.descriptor, offset: offset, count: count,
                                                         timeout: { .blocking }, onInterrupt: {}, sent: &sent)) { error in
                    XCTAssertEqual((error as? TLSError)?.kind, .invalidArgument)
                }
            }
            // An offset past any file sends nothing (and does not overflow).
            try client.sendFile(descriptor: file.descriptor, offset: Int.max, count: nil, timeout: { .blocking },
                                onInterrupt: {}, sent: &sent)
            XCTAssertThrowsError(try client.sendFile(descriptor: -1, offset: 0, count: nil, timeout: { .blocking },
                                                     onInterrupt: {}, sent: &sent)) { error in
                XCTAssertEqual((error as? TLSError)?.kind, .system)
                XCTAssertEqual((error as? TLSError)?.code, EBADF)
            }
            XCTAssertEqual(sent, 0)
        }
    }
}
