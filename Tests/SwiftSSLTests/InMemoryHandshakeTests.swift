import COpenSSL
import XCTest
@testable import SwiftSSL

/// `TLSConnection.completeHandshakes(client:server:)`: a client and a server wired back to back
/// through memory buffers.
final class InMemoryHandshakeTests: XCTestCase {
    /// A client for `hostname` that trusts the test root (up to `maximum`) and a server with the
    /// test leaf, each writing into the other's incoming buffer.
    func makeWiredPair(hostname: String = "localhost", maximum: TLSVersion = .tlsv1_3) throws
        -> (client: TLSConnection, server: TLSConnection) {
        let serverContext = try TestPKI.serverContext()
        let clientContext = try TestPKI.clientContext(maximum: maximum)
        let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
        let client = try TLSConnection(context: clientContext, incoming: toClient, outgoing: toServer,
                                       serverHostname: hostname)
        let server = try TLSConnection(context: serverContext, incoming: toServer, outgoing: toClient,
                                       serverSide: true)
        return (client, server)
    }

    func testCompletesTLS13AndTLS12HandshakesThatThenCarryData() throws {
        for (maximum, name) in [(TLSVersion.tlsv1_3, "TLSv1.3"), (.tlsv1_2, "TLSv1.2")] {
            let (client, server) = try makeWiredPair(maximum: maximum)
            try TLSConnection.completeHandshakes(client: client, server: server)
            XCTAssertTrue(client.isHandshakeComplete && server.isHandshakeComplete, name)
            XCTAssertEqual(client.negotiatedVersion, name)
            XCTAssertEqual(server.negotiatedVersion, name)
            let message = Array("ping".utf8)
            _ = try message.withUnsafeBytes { try client.write($0, timeout: .nonBlocking) }
            var buffer = [UInt8](repeating: 0, count: 16)
            let count = try buffer.withUnsafeMutableBytes { try server.read(into: $0, timeout: .nonBlocking) }
            XCTAssertEqual(Array(buffer[..<count]), message, name)
        }
    }

    /// A server's sessions carry CPython's session id context, so their tickets are as long as
    /// the stdlib's (with "swiftssl", one byte longer, they could take one more cipher block); a
    /// client's carry none, as CPython's (TLS 1.3 external PSKs depend on it: PreSharedKeyTests).
    func testServerSessionsCarryCPythonsSessionIDContextAndClientSessionsNone() throws {
        let (client, server) = try makeWiredPair()
        try TLSConnection.completeHandshakes(client: client, server: server)
        func idContext(of connection: TLSConnection) throws -> [UInt8] {
            let session = try XCTUnwrap(SSL_get_session(connection.ssl))
            var length: UInt32 = 0
            let context = try XCTUnwrap(SSL_SESSION_get0_id_context(session, &length))
            return Array(UnsafeBufferPointer(start: context, count: Int(length)))
        }
        XCTAssertEqual(try idContext(of: server), Array("Python\0".utf8))
        XCTAssertEqual(try idContext(of: client), [])
    }

    func testAnEmptyWriteGoesToOpenSSLAsCPythonsDoes() throws {
        let (client, server) = try makeWiredPair()
        // Before the handshake it starts it: the ClientHello goes out, and it wants the reply.
        XCTAssertThrowsError(try client.write(UnsafeRawBufferPointer(start: nil, count: 0), timeout: .nonBlocking)) {
            XCTAssertEqual(($0 as? TLSError)?.kind, .wantRead)
        }
        XCTAssertGreaterThan(client.outgoing?.pendingCount ?? 0, 0)
        try TLSConnection.completeHandshakes(client: client, server: server)
        XCTAssertEqual(try client.write(UnsafeRawBufferPointer(start: nil, count: 0), timeout: .nonBlocking), 0)
    }

    func testRethrowsTheClientsVerificationFailure() throws {
        let (client, server) = try makeWiredPair(hostname: "example.com")
        XCTAssertThrowsError(try TLSConnection.completeHandshakes(client: client, server: server)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .certificateVerification)
            XCTAssertEqual((error as? TLSError)?.verifyCode, 62)
        }
        XCTAssertFalse(client.isHandshakeComplete)
    }

    func testRefusesConnectionsNotWiredToEachOther() throws {
        let (client, _) = try makeWiredPair()
        let (_, otherServer) = try makeWiredPair()
        XCTAssertThrowsError(try TLSConnection.completeHandshakes(client: client, server: otherServer)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidArgument)
        }
        XCTAssertEqual(client.outgoing?.pendingCount, 0, "nothing may be sent before the check")
    }

    func testThrowsInsteadOfLoopingWhenNeitherSideCanGoOn() throws {
        let (client, server) = try makeWiredPair()
        // The ClientHello is sent, then lost: the server never hears from the client.
        XCTAssertThrowsError(try client.handshake(timeout: .nonBlocking))
        XCTAssertGreaterThan(client.outgoing?.read().count ?? 0, 0)
        XCTAssertThrowsError(try TLSConnection.completeHandshakes(client: client, server: server)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidState)
        }
        XCTAssertFalse(client.isHandshakeComplete || server.isHandshakeComplete)
    }

    /// Over memory buffers one read returns every complete record the incoming buffer holds, up
    /// to the buffer's size; a record whose rest has not arrived waits for the next read.
    func testOneReadReturnsEveryCompleteRecordInTheIncomingBuffer() throws {
        let (client, server) = try makeWiredPair()
        try TLSConnection.completeHandshakes(client: client, server: server)
        let payload = (0..<(4 * TLSConnection.maximumRecordPayload + 100)).map { UInt8(truncatingIfNeeded: $0 % 253) }
        _ = try payload.withUnsafeBytes { try server.write($0) }
        let tail = Array(repeating: UInt8(9), count: 1000)
        _ = try tail.withUnsafeBytes { try server.write($0) }
        // Hold back the last 10 bytes of the last record.
        let wire = server.outgoing!.read()
        _ = try wire.dropLast(10).withUnsafeBytes { try client.incoming!.write($0) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        let got = try buffer.withUnsafeMutableBytes { try client.read(into: $0) }
        XCTAssertEqual(Array(buffer[0..<got]), payload)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try client.read(into: $0) }) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .wantRead)
        }
        _ = try wire.suffix(10).withUnsafeBytes { try client.incoming!.write($0) }
        let rest = try buffer.withUnsafeMutableBytes { try client.read(into: $0) }
        XCTAssertEqual(Array(buffer[0..<rest]), tail)
    }
}
