import XCTest
@testable import SwiftSSL

/// Real handshakes over loopback TCP and over memory buffers.
final class TLSConnectionTests: XCTestCase {
    func testVerifiedHandshakeAndEchoOverLoopback() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext()
        let server = Background { () -> [UInt8] in
            let connection = try TLSConnection(context: serverContext, socket: pair.server, serverSide: true)
            try connection.handshake(timeout: LoopbackPair.serverTimeout)
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = try buffer.withUnsafeMutableBytes { try connection.read(into: $0, timeout: LoopbackPair.serverTimeout) }
            _ = try buffer[0..<count].withUnsafeBytes { try connection.write($0, timeout: LoopbackPair.serverTimeout) }
            try connection.shutdown(timeout: LoopbackPair.serverTimeout)
            return Array(buffer[0..<count])
        }
        let client = try TLSConnection(context: try TestPKI.clientContext(), socket: pair.client, serverHostname: "localhost")
        try client.handshake()
        XCTAssertEqual(client.negotiatedVersion, "TLSv1.3")
        XCTAssertNotNil(client.negotiatedCipher)
        XCTAssertEqual(try client.peerCertificate?.info.subject.commonNames, ["localhost"])
        _ = try Array("ping".utf8).withUnsafeBytes { try client.write($0) }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = try reply.withUnsafeMutableBytes { try client.read(into: $0) }
        XCTAssertEqual(Array(reply[0..<count]), Array("ping".utf8))
        // The server's close_notify ends the stream in order: a read returns 0, not an error.
        let end = try reply.withUnsafeMutableBytes { try client.read(into: $0) }
        XCTAssertEqual(end, 0)
        // Our close_notify completes the server's two-way shutdown.
        try client.shutdown()
        XCTAssertEqual(try server.wait(), Array("ping".utf8))
    }

    /// One read returns every record that has arrived, up to the buffer's size, and never
    /// takes from the socket more than the buffer can hold.
    func testReadReturnsEveryRecordThatArrivedUpToTheBufferSize() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext()
        let records = 4, recordSize = TLSConnection.maximumRecordPayload
        let server = Background { () -> Void in
            let connection = try TLSConnection(context: serverContext, socket: pair.server, serverSide: true)
            try connection.handshake(timeout: LoopbackPair.serverTimeout)
            let payload = [UInt8](repeating: 7, count: records * recordSize)
            _ = try payload.withUnsafeBytes { try connection.write($0, timeout: LoopbackPair.serverTimeout) }
            _ = try Array("done".utf8).withUnsafeBytes { try connection.write($0, timeout: LoopbackPair.serverTimeout) }
        }
        let client = try TLSConnection(context: try TestPKI.clientContext(), socket: pair.client, serverHostname: "localhost")
        try client.handshake()
        try server.wait()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var received = 0
        var calls = 0
        while received < records * recordSize + 4 {
            received += try buffer.withUnsafeMutableBytes {
                try client.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[received...]))
            }
            calls += 1
        }
        XCTAssertEqual(received, records * recordSize + 4)
        XCTAssertLessThan(calls, records + 1, "one record per read is what OpenSSL alone gives")
        XCTAssertEqual(Array(buffer[(received - 4)..<received]), Array("done".utf8))
        XCTAssertEqual(client.socketTransport?.bufferedCount, 0)
    }

    /// The peer sends its last data and its close_notify together, then waits for ours (as
    /// `unwrap()` does). The read that returns the data must leave the socket readable, so a
    /// program that polls before each read (asyncore, pyftpdlib) reads again, sees the end and
    /// answers, as it does with OpenSSL's one-record reads.
    func testCloseNotifyAfterTheLastDataLeavesTheSocketReadable() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext()
        let server = Background { () -> Void in
            let connection = try TLSConnection(context: serverContext, socket: pair.server, serverSide: true)
            try connection.handshake(timeout: LoopbackPair.serverTimeout)
            _ = try Array("last words".utf8).withUnsafeBytes { try connection.write($0, timeout: LoopbackPair.serverTimeout) }
            try connection.shutdown(timeout: LoopbackPair.serverTimeout)  // close_notify, then waits for ours
        }
        let client = try TLSConnection(context: try TestPKI.clientContext(), socket: pair.client, serverHostname: "localhost")
        try client.handshake()
        var descriptor = pollfd(fd: pair.client, events: Int16(POLLIN), revents: 0)
        XCTAssertEqual(poll(&descriptor, 1, 10_000), 1)
        usleep(200_000)  // the close_notify follows the data on the wire
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let count = try buffer.withUnsafeMutableBytes { try client.read(into: $0, timeout: .nonBlocking) }
        XCTAssertEqual(Array(buffer[0..<count]), Array("last words".utf8))
        descriptor.revents = 0
        XCTAssertEqual(poll(&descriptor, 1, 2_000), 1, "the close_notify is in no one's sight")
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try client.read(into: $0, timeout: .nonBlocking) }, 0)
        try client.shutdown()
        try server.wait()
    }

    func testWrongHostnameFailsVerificationWithCode62() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext()
        let server = Background { try TLSConnection(context: serverContext, socket: pair.server, serverSide: true).handshake(timeout: LoopbackPair.serverTimeout) }
        let client = try TLSConnection(context: try TestPKI.clientContext(), socket: pair.client, serverHostname: "example.com")
        XCTAssertThrowsError(try client.handshake()) { error in
            let failure = error as? TLSError
            XCTAssertEqual(failure?.kind, .certificateVerification)
            XCTAssertEqual(failure?.verifyCode, 62)
            XCTAssertEqual(failure?.reason, "CERTIFICATE_VERIFY_FAILED")
            XCTAssertEqual(failure?.verifyMessage, "Hostname mismatch, certificate is not valid for 'example.com'.")
        }
        pair.shutdownClient()
        XCTAssertThrowsError(try server.wait())
    }

    func testUnknownCAFailsWithCode20() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext()
        let server = Background { try TLSConnection(context: serverContext, socket: pair.server, serverSide: true).handshake(timeout: LoopbackPair.serverTimeout) }
        let untrusting = try TLSContext(protocol: .tlsClient)
        let client = try TLSConnection(context: untrusting, socket: pair.client, serverHostname: "localhost")
        XCTAssertThrowsError(try client.handshake()) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .certificateVerification)
            XCTAssertEqual((error as? TLSError)?.verifyCode, 20)
        }
        pair.shutdownClient()
        XCTAssertThrowsError(try server.wait())
    }

    func testPinnedTLS12NegotiatesExactlyTLS12() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext()
        let server = Background { try TLSConnection(context: serverContext, socket: pair.server, serverSide: true).handshake(timeout: LoopbackPair.serverTimeout) }
        let pinned = try TLSContext(protocol: .tlsv1_2)
        let client = try TLSConnection(context: pinned, socket: pair.client)
        try client.handshake()
        XCTAssertEqual(client.negotiatedVersion, "TLSv1.2")
        try server.wait()
    }

    func testPinnedTLS12AgainstTLS13OnlyServerFails() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext()
        try serverContext.setMinimumVersion(.tlsv1_3)
        let server = Background { try TLSConnection(context: serverContext, socket: pair.server, serverSide: true).handshake(timeout: LoopbackPair.serverTimeout) }
        let client = try TLSConnection(context: try TLSContext(protocol: .tlsv1_2), socket: pair.client)
        XCTAssertThrowsError(try client.handshake()) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .ssl)
        }
        pair.shutdownClient()
        XCTAssertThrowsError(try server.wait())
    }

    func testDefaultProtocolRefusesTLS10Peer() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext(protocol: .tlsv1)
        let server = Background { try TLSConnection(context: serverContext, socket: pair.server, serverSide: true).handshake(timeout: LoopbackPair.serverTimeout) }
        let client = try TLSConnection(context: try TLSContext(protocol: .tls), socket: pair.client)
        XCTAssertThrowsError(try client.handshake())
        pair.shutdownClient()
        XCTAssertThrowsError(try server.wait())
    }

    func testExplicitTLS10PinNegotiatesTLS10() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext(protocol: .tlsv1)
        let server = Background { try TLSConnection(context: serverContext, socket: pair.server, serverSide: true).handshake(timeout: LoopbackPair.serverTimeout) }
        let pinned = try TLSContext(protocol: .tlsv1)
        XCTAssertEqual(pinned.securityLevel, 0)
        let client = try TLSConnection(context: pinned, socket: pair.client)
        try client.handshake()
        XCTAssertEqual(client.negotiatedVersion, "TLSv1")
        try server.wait()
    }

    func testReadTimesOutOnSilentPeer() throws {
        let pair = try LoopbackPair()
        let serverContext = try TestPKI.serverContext()
        let server = Background { () -> TLSConnection in
            let connection = try TLSConnection(context: serverContext, socket: pair.server, serverSide: true)
            try connection.handshake(timeout: LoopbackPair.serverTimeout)
            return connection
        }
        let client = try TLSConnection(context: try TestPKI.clientContext(), socket: pair.client, serverHostname: "localhost")
        try client.handshake()
        let serverConnection = try server.wait()
        _ = fcntl(pair.client, F_SETFL, fcntl(pair.client, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 16)
        let started = MonotonicInstant.now()
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try client.read(into: $0, timeout: .seconds(0.2)) }) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .timeout)
            XCTAssertEqual((error as? TLSError)?.message, "The read operation timed out")
        }
        XCTAssertGreaterThanOrEqual(MonotonicInstant.now().nanoseconds - started.nanoseconds, 150_000_000)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try client.read(into: $0, timeout: .nonBlocking) }) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .wantRead)
        }
        withExtendedLifetime(serverConnection) {}
    }

    func testMemoryTransportHandshakeAndTransfer() throws {
        let clientIn = try TLSMemoryBuffer(), clientOut = try TLSMemoryBuffer()
        let serverIn = try TLSMemoryBuffer(), serverOut = try TLSMemoryBuffer()
        let client = try TLSConnection(context: try TestPKI.clientContext(), incoming: clientIn, outgoing: clientOut,
                                       serverHostname: "localhost")
        let server = try TLSConnection(context: try TestPKI.serverContext(), incoming: serverIn, outgoing: serverOut,
                                       serverSide: true)
        func pump() throws {
            try clientOut.read().withUnsafeBytes { _ = try serverIn.write($0) }
            try serverOut.read().withUnsafeBytes { _ = try clientIn.write($0) }
        }
        for _ in 0..<10 where !(client.isHandshakeComplete && server.isHandshakeComplete) {
            for connection in [client, server] {
                do { try connection.handshake(timeout: LoopbackPair.serverTimeout) } catch let error as TLSError where error.kind == .wantRead {}
            }
            try pump()
        }
        XCTAssertTrue(client.isHandshakeComplete && server.isHandshakeComplete)
        let message = [UInt8](repeating: 7, count: 100_000)
        _ = try message.withUnsafeBytes { try client.write($0) }
        try pump()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while received.count < message.count {
            let count = try buffer.withUnsafeMutableBytes { try server.read(into: $0) }
            received += buffer[0..<count]
        }
        XCTAssertEqual(received, message)
    }

    func testServerNameCallbackSwitchesContext() throws {
        let pair = try LoopbackPair()
        let fallback = try TLSContext(protocol: .tlsServer)
        try fallback.loadCertificateChain(certificate: .path(TestPKI.selfSignedCertificate), privateKey: .path(TestPKI.selfSignedKey))
        let tenant = try TestPKI.serverContext()
        var seenName: String?
        fallback.serverNameCallback = { connection, name in
            seenName = name
            connection.switchContext(to: tenant)
            return .accept
        }
        let server = Background { try TLSConnection(context: fallback, socket: pair.server, serverSide: true).handshake(timeout: LoopbackPair.serverTimeout) }
        let client = try TLSConnection(context: try TestPKI.clientContext(), socket: pair.client, serverHostname: "localhost")
        try client.handshake()
        try server.wait()
        XCTAssertEqual(seenName, "localhost")
        XCTAssertEqual(try client.peerCertificate?.info.issuer.commonNames, ["swiftssl test intermediate"])
    }

    func testASideTheContextsProtocolCannotTakeIsRefused() throws {
        let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
        let serverOnly = try TLSContext(protocol: .tlsServer)
        XCTAssertThrowsError(try TLSConnection(context: serverOnly, incoming: toClient, outgoing: toServer)) { error in
            XCTAssertEqual((error as? TLSError)?.message,
                           "Cannot create a client socket with a PROTOCOL_TLS_SERVER context (swiftssl)")
            XCTAssertEqual((error as? TLSError)?.kind, .ssl)
        }
        let clientOnly = try TLSContext(protocol: .tlsClient)
        XCTAssertThrowsError(try TLSConnection(context: clientOnly, incoming: toServer, outgoing: toClient,
                                               serverSide: true)) { error in
            XCTAssertEqual((error as? TLSError)?.message,
                           "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context (swiftssl)")
        }
        // Either side of a context that takes both.
        let both = try TLSContext(protocol: .tls)
        XCTAssertNoThrow(try TLSConnection(context: both, incoming: toClient, outgoing: toServer))
        XCTAssertNoThrow(try TLSConnection(context: both, incoming: toServer, outgoing: toClient, serverSide: true))
    }

    /// The README's SNI pattern with the first context owned by the connection alone: after
    /// switchContext(to:) drops it, a HelloRetryRequest (the server takes P-256 only; the client
    /// offers X25519 first) makes OpenSSL call that context's servername callback again. It was
    /// freed: a use after free ("Unknown error occurred while attempting to acquire a Mutex").
    func testTheFirstContextOutlivesASwitchThroughAHelloRetryRequest() throws {
        let tenant = try TestPKI.serverContext()
        func serverConnection(incoming: TLSMemoryBuffer, outgoing: TLSMemoryBuffer) throws -> TLSConnection {
            let first = try TLSContext(protocol: .tlsServer)  // owned by the connection only
            try first.loadCertificateChain(certificate: .path(TestPKI.selfSignedCertificate),
                                           privateKey: .path(TestPKI.selfSignedKey))
            try first.setKeyExchangeGroup("prime256v1")
            first.serverNameCallback = { connection, _ in
                connection.switchContext(to: tenant)
                return .accept
            }
            return try TLSConnection(context: first, incoming: incoming, outgoing: outgoing, serverSide: true)
        }
        for _ in 0..<20 {
            let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
            let server = try serverConnection(incoming: toServer, outgoing: toClient)
            let client = try TLSConnection(context: try TestPKI.clientContext(), incoming: toClient,
                                           outgoing: toServer, serverHostname: "localhost")
            try TLSConnection.completeHandshakes(client: client, server: server)
            XCTAssertEqual(client.negotiatedVersion, "TLSv1.3")
            XCTAssertEqual(try client.peerCertificate?.info.issuer.commonNames, ["swiftssl test intermediate"])
        }
    }

    /// A descriptor that is not a socket (a pipe whose reader is gone): the write is an EPIPE
    /// error, not a SIGPIPE, which by default kills a Swift program (this test process).
    func testWritingToAPipeWithoutAReaderIsAnErrorNotASignal() throws {
        var descriptors: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&descriptors), 0)
        close(descriptors[0])
        defer { close(descriptors[1]) }
        let context = try TLSContext(protocol: .tlsClient)
        try context.setCheckHostname(false)
        try context.setVerifyMode(.none)
        let connection = try TLSConnection(context: context, socket: descriptors[1])
        XCTAssertThrowsError(try connection.handshake(timeout: .seconds(1))) { error in
            XCTAssertEqual((error as? TLSError)?.code, EPIPE, "\(error)")
        }
        var pending = sigset_t()
        sigpending(&pending)
        XCTAssertEqual(sigismember(&pending, SIGPIPE), 0, "a SIGPIPE was left pending")
    }

    func testHostnameRulesMatchCPython() throws {
        let context = try TLSContext(protocol: .tlsClient)
        let pair = try LoopbackPair()
        XCTAssertThrowsError(try TLSConnection(context: context, socket: pair.client)) { error in
            XCTAssertEqual((error as? TLSError)?.message, "check_hostname requires server_hostname")
        }
        XCTAssertThrowsError(try TLSConnection(context: context, socket: pair.client, serverHostname: ".example.com"))
        let eitherSide = try TLSContext(protocol: .tls)  // a client-only context refuses the server side first
        XCTAssertThrowsError(try TLSConnection(context: eitherSide, socket: pair.client, serverSide: true, serverHostname: "x")) { error in
            XCTAssertEqual((error as? TLSError)?.message, "server_hostname can only be specified in client mode")
        }
    }

    /// One thread reads while another writes the same connection (TLS 1.3 and 1.2), against a
    /// server echoing everything: every byte comes back, in order. OpenSSL forbids two calls on
    /// one `SSL` at once; the connection's lock makes this safe, and its waits outside the lock
    /// keep the reader's wait from holding up the writer.
    func testOneThreadReadsWhileAnotherWrites() throws {
        // Made before any connection: under valgrind a debug build takes seconds per megabyte.
        let block = (0..<65536).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let pattern = Array(repeating: block, count: 16).flatMap { $0 }
        for maximum in [TLSVersion.tlsv1_3, .tlsv1_2] {
            let pair = try LoopbackPair()
            let serverContext = try TestPKI.serverContext()
            let server = Background { () -> Int in
              do {
                let connection = try TLSConnection(context: serverContext, socket: pair.server, serverSide: true)
                try connection.handshake(timeout: LoopbackPair.serverTimeout)
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                var echoed = 0
                while true {
                    let count = try buffer.withUnsafeMutableBytes { try connection.read(into: $0, timeout: LoopbackPair.serverTimeout) }
                    if count == 0 {
                        try connection.shutdown(timeout: LoopbackPair.serverTimeout)
                        return echoed
                    }
                    _ = try buffer[0..<count].withUnsafeBytes { try connection.write($0, timeout: LoopbackPair.serverTimeout) }
                    echoed += count
                }
              } catch {
                pair.shutdownClient()  // so the client's reader sees the failure rather than waiting forever
                throw error
              }
            }
            let client = try TLSConnection(context: try TestPKI.clientContext(maximum: maximum), socket: pair.client,
                                           serverHostname: "localhost")
            try client.handshake()
            let reader = Background { () -> [UInt8] in
                var received = [UInt8](repeating: 0, count: pattern.count)
                var count = 0
                while count < received.count {
                    let got = try received.withUnsafeMutableBytes { try client.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
                    if got == 0 { break }
                    count += got
                }
                return Array(received[0..<count])
            }
            try pattern.withUnsafeBytes { bytes in
                for start in stride(from: 0, to: bytes.count, by: 5000) {
                    _ = try client.write(UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + 5000, bytes.count)]))
                }
            }
            XCTAssertTrue(try reader.wait() == pattern, "\(maximum)")
            try client.shutdown()
            XCTAssertEqual(try server.wait(), pattern.count)
        }
    }
}
