import Foundation
import XCTest
@testable import SwiftSSL

/// A connection's operations started again on the thread already inside one (from a callback
/// OpenSSL makes during the handshake) are refused with ``TLSError/reentrantOperation``; before
/// ``ConnectionLock``, `Mutex` trapped on them and killed the process.
final class ConnectionLockTests: XCTestCase {
    func testOperationsFromTheServerNameCallbackAreRefused() throws {
        let serverContext = try TestPKI.serverContext()
        var refusals: [String] = []
        serverContext.serverNameCallback = { connection, _ in
            var byte: UInt8 = 0
            let attempts: [() throws -> Void] = [
                { _ = try withUnsafeMutableBytes(of: &byte) { try connection.read(into: $0) } },
                { _ = try withUnsafeBytes(of: byte) { try connection.write($0) } },
                { try connection.handshake() },
                { try connection.shutdown() },
            ]
            for attempt in attempts {
                do {
                    try attempt()
                    refusals.append("returned")
                } catch let error as TLSError {
                    refusals.append(error.message)
                } catch {
                    refusals.append("\(error)")
                }
            }
            connection.detachSocket()  // takes the lock too; from here it must not wait for it
            return .accept
        }
        let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
        let client = try TLSConnection(context: try TestPKI.clientContext(), incoming: toClient, outgoing: toServer,
                                       serverHostname: "localhost")
        let server = try TLSConnection(context: serverContext, incoming: toServer, outgoing: toClient, serverSide: true)
        try TLSConnection.completeHandshakes(client: client, server: server)
        XCTAssertEqual(refusals, Array(repeating: TLSError.reentrantOperation.message, count: 4))
        XCTAssertEqual(TLSError.reentrantOperation.kind, .ssl)
        // The lock was let go: the connection works after the callback.
        _ = try Array("after".utf8).withUnsafeBytes { try client.write($0) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = try buffer.withUnsafeMutableBytes { try server.read(into: $0) }
        XCTAssertEqual(Array(buffer[0..<count]), Array("after".utf8))
    }

    /// A place for the lock (non-copyable) that another thread can reach.
    private final class Shared {
        let lock = ConnectionLock()
    }

    func testTheLockKnowsWhetherThisThreadHoldsIt() throws {
        let shared = Shared()
        XCTAssertFalse(shared.lock.isHeldByCurrentThread)
        // The other thread starts outside the lock (so valgrind, which cannot tell when an
        // unjoined thread's stack goes, does not see its allocation under project frames).
        let lockIsHeld = DispatchSemaphore(value: 0)
        let otherThread = Background { () throws -> Bool? in
            lockIsHeld.wait()
            return try shared.lock.withLockIfAvailable { true }
        }
        try shared.lock.withLock {
            XCTAssertTrue(shared.lock.isHeldByCurrentThread)
            XCTAssertThrowsError(try shared.lock.withLock {}) { error in
                XCTAssertEqual((error as? TLSError)?.message, TLSError.reentrantOperation.message)
            }
            XCTAssertThrowsError(try shared.lock.withLockIfAvailable {})
            lockIsHeld.signal()
            XCTAssertNil(try otherThread.wait())  // another thread is told it is taken, not refused
        }
        XCTAssertFalse(shared.lock.isHeldByCurrentThread)
        XCTAssertEqual(try shared.lock.withLockIfAvailable { 7 }, 7)
    }
}
