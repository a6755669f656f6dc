import Dispatch
import Foundation
import Synchronization
import XCTest
@testable import SwiftSSL

/// A context's callbacks replaced and removed while other threads handshake with it: every
/// handshake sees one whole callback (the old or the new) or none, nothing a callback captured is
/// freed under it, and OpenSSL never finds a callback it already checked for gone (before, removing
/// the key log had OpenSSL call NULL, most runs). Runs under valgrind in CI; build with
/// `--sanitize=thread` to have TSan check the locking too.
final class TLSContextCallbacksTests: XCTestCase {
    /// Something a closure captures, so that replacing the closure frees it.
    private final class Capture: @unchecked Sendable {
        let name: String
        init(_ name: String) { self.name = name }
    }

    func testCallbacksReplacedWhileOtherThreadsHandshake() throws {
        let serverContext = try TestPKI.serverContext()
        let clientContext = try TestPKI.clientContext()
        let keyLogPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftssl-callbacks-\(getpid()).keylog").path
        defer { try? FileManager.default.removeItem(atPath: keyLogPath) }
        try serverContext.setALPNProtocols(["h2", "http/1.1"])
        try clientContext.setALPNProtocols(["http/1.1"])
        let seen = Mutex(0)
        func install(_ round: Int) throws {
            let capture = Capture("round \(round)")
            // Removed now and then: OpenSSL must never find a NULL callback in the middle.
            serverContext.serverNameCallback = round % 4 == 3 ? nil : { _, name in
                seen.withLock { $0 += capture.name.isEmpty || name == nil ? 0 : 1 }
                return .accept
            }
            try serverContext.setMessageObserver { _, _ in _ = capture.name.count }
            try serverContext.setALPNProtocols(round % 2 == 0 ? ["h2", "http/1.1"] : ["http/1.1", "h2"])
            try serverContext.setKeyLogPath(round % 3 == 0 ? nil : keyLogPath)
        }
        try install(0)

        let handshakers = 2, handshakesEach = 30
        let failures = Mutex([String]())
        let done = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: handshakers + 1) { worker in
            if worker == handshakers {
                // The replacing thread: new callbacks, each capturing a new object, until the
                // handshakers are through.
                var round = 1
                while done.load(ordering: .acquiring) < handshakers {
                    do { try install(round) } catch { failures.withLock { $0.append("install: \(error)") } }
                    round += 1
                }
                return
            }
            for _ in 0..<handshakesEach {
                do {
                    let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
                    let client = try TLSConnection(context: clientContext, incoming: toClient, outgoing: toServer,
                                                   serverHostname: "localhost")
                    let server = try TLSConnection(context: serverContext, incoming: toServer, outgoing: toClient,
                                                   serverSide: true)
                    try TLSConnection.completeHandshakes(client: client, server: server)
                    if server.selectedALPNProtocol != "http/1.1" {
                        failures.withLock { $0.append("ALPN: \(String(describing: server.selectedALPNProtocol))") }
                    }
                } catch {
                    failures.withLock { $0.append("handshake: \(error)") }
                }
            }
            done.add(1, ordering: .releasing)
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertLessThanOrEqual(seen.withLock { $0 }, handshakers * handshakesEach, "one SNI callback per handshake at most")
    }
}
