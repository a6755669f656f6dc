import XCTest
@testable import SwiftSSL

/// A connection over a ``TLSRecordChannel`` (``ChannelTransport``): records go to and come from
/// the channel as OpenSSL makes and asks for them, its answers mapped as a memory BIO's are.
final class ChannelTransportTests: XCTestCase {
    /// Two byte queues, with switches to make a call fail or to end the incoming stream.
    final class QueueChannel: TLSRecordChannel {
        var incoming: [UInt8] = []
        var outgoing: [UInt8] = []
        var incomingEnded = false
        var failReceives = false
        var failSends = false
        /// Makes `receive` claim more bytes than the buffer holds (a broken channel).
        var overclaim = false
        private(set) var receiveCalls = 0

        func receive(into buffer: UnsafeMutableRawBufferPointer) -> TLSRecordChannelReceipt {
            receiveCalls += 1
            if failReceives { return .failed }
            if overclaim { return .received(buffer.count + 1) }
            if incoming.isEmpty { return incomingEnded ? .endOfStream : .empty }
            let count = min(buffer.count, incoming.count)
            buffer.copyBytes(from: incoming[..<count])
            incoming.removeFirst(count)
            return .received(count)
        }

        func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
            if failSends { return false }
            outgoing += bytes
            return true
        }

        var pendingCount: Int { incoming.count }
    }

    /// A client over a channel and a server over memory buffers, handshaken.
    private func connectedPair() throws -> (client: TLSConnection, channel: QueueChannel, server: TLSConnection,
                                            toServer: TLSMemoryBuffer, toClient: TLSMemoryBuffer) {
        let channel = QueueChannel()
        let client = try TLSConnection(context: try TestPKI.clientContext(), channel: channel, serverHostname: "localhost")
        let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
        let server = try TLSConnection(context: try TestPKI.serverContext(), incoming: toServer, outgoing: toClient,
                                       serverSide: true)
        for _ in 0..<10 where !(client.isHandshakeComplete && server.isHandshakeComplete) {
            _ = try? client.handshake(timeout: .nonBlocking)
            try channel.outgoing.withUnsafeBytes { _ = try toServer.write($0) }
            channel.outgoing.removeAll()
            _ = try? server.handshake(timeout: .nonBlocking)
            channel.incoming += toClient.read()
        }
        XCTAssertTrue(client.isHandshakeComplete && server.isHandshakeComplete)
        return (client, channel, server, toServer, toClient)
    }

    private func read(_ connection: TLSConnection, capacity: Int = 1 << 20) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let count = try buffer.withUnsafeMutableBytes { try connection.read(into: $0, timeout: .nonBlocking) }
        return Array(buffer[..<count])
    }

    func testCarriesDataBothWaysAndReportsWhatWaits() throws {
        let (client, channel, server, toServer, toClient) = try connectedPair()
        let upload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        _ = try upload.withUnsafeBytes { try client.write($0, timeout: .nonBlocking) }
        // The records are in the channel as soon as the write returns.
        XCTAssertGreaterThan(channel.outgoing.count, upload.count)
        try channel.outgoing.withUnsafeBytes { _ = try toServer.write($0) }
        channel.outgoing.removeAll()
        XCTAssertEqual(try read(server), upload)

        let download = Array("from the server".utf8)
        _ = try download.withUnsafeBytes { try server.write($0, timeout: .nonBlocking) }
        channel.incoming += toClient.read()
        XCTAssertEqual(client.bufferedIncomingCount, channel.incoming.count)
        XCTAssertEqual(try read(client), download)
        XCTAssertEqual(client.bufferedIncomingCount, 0)
        XCTAssertTrue(client.channel === channel)
    }

    func testAnEmptyChannelIsAWantRead() throws {
        let (client, channel, _, _, _) = try connectedPair()
        let calls = channel.receiveCalls
        XCTAssertThrowsError(try read(client)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .wantRead)
        }
        XCTAssertGreaterThan(channel.receiveCalls, calls)
    }

    func testTheEndOfTheStreamBeforeACloseNotifyIsAnEOFError() throws {
        let (client, channel, _, _, _) = try connectedPair()
        channel.incomingEnded = true
        XCTAssertThrowsError(try read(client)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .eof)
        }
    }

    func testFailedCallsFailTheOperationWithoutTrapping() throws {
        var (client, channel, _, _, _) = try connectedPair()
        channel.failSends = true
        XCTAssertThrowsError(try [UInt8](repeating: 1, count: 10).withUnsafeBytes {
            try client.write($0, timeout: .nonBlocking)
        }) { error in
            XCTAssertNotEqual((error as? TLSError)?.kind, .wantWrite)
        }
        (client, channel, _, _, _) = try connectedPair()
        channel.failReceives = true
        XCTAssertThrowsError(try read(client)) { error in
            XCTAssertNotEqual((error as? TLSError)?.kind, .wantRead)
        }
        (client, channel, _, _, _) = try connectedPair()
        channel.incoming = [23, 3, 3, 0, 40]  // a record header, so OpenSSL asks for its body
        channel.overclaim = true
        XCTAssertThrowsError(try read(client)) { error in
            XCTAssertNotEqual((error as? TLSError)?.kind, .wantRead)
        }
    }
}
