import COpenSSL
import XCTest
@testable import SwiftSSL

final class PreSharedKeyTests: XCTestCase {
    let key = [UInt8]([0xde, 0xad, 0xbe, 0xef])

    /// A certificate-less client and server over memory, TLS-PSK only (in TLS 1.2, PSK suites).
    func makePair(version: TLSVersion, hint: String? = nil,
                  client clientCallback: @escaping PreSharedKeyClientCallback,
                  server serverCallback: @escaping PreSharedKeyServerCallback) throws
        -> (client: TLSConnection, server: TLSConnection) {
        let clientContext = try TLSContext(protocol: .tlsClient)
        try clientContext.setCheckHostname(false)
        try clientContext.setVerifyMode(.none)
        let serverContext = try TLSContext(protocol: .tlsServer)
        for context in [clientContext, serverContext] {
            try context.setMinimumVersion(version)
            try context.setMaximumVersion(version)
            try context.setCiphers("PSK")
        }
        try clientContext.setPreSharedKeyClientCallback(clientCallback)
        try serverContext.setPreSharedKeyServerCallback(serverCallback, identityHint: hint)
        let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
        let client = try TLSConnection(context: clientContext, incoming: toClient, outgoing: toServer)
        let server = try TLSConnection(context: serverContext, incoming: toServer, outgoing: toClient, serverSide: true)
        return (client, server)
    }

    func testTLS12AndTLS13HandshakesAuthenticateWithTheSharedKey() throws {
        for (version, name) in [(TLSVersion.tlsv1_2, "TLSv1.2"), (.tlsv1_3, "TLSv1.3")] {
            var hintsSeen: [String?] = [], identitiesSeen: [String?] = []
            let (client, server) = try makePair(version: version, hint: "身份暗示", client: { _, hint in
                hintsSeen.append(hint)
                return PreSharedKeyOffer(identity: "client-identity", key: SensitiveBytes(copying: self.key))
            }, server: { _, identity in
                identitiesSeen.append(identity)
                return SensitiveBytes(copying: self.key)
            })
            try TLSConnection.completeHandshakes(client: client, server: server)
            XCTAssertEqual(client.negotiatedVersion, name)
            // TLS 1.3 has no identity hints: the client is told none.
            XCTAssertEqual(hintsSeen, [version == .tlsv1_2 ? "身份暗示" : nil], name)
            XCTAssertEqual(identitiesSeen, ["client-identity"], name)
            let message = Array("over a PSK".utf8)
            _ = try message.withUnsafeBytes { try client.write($0, timeout: .nonBlocking) }
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = try buffer.withUnsafeMutableBytes { try server.read(into: $0, timeout: .nonBlocking) }
            XCTAssertEqual(Array(buffer[..<count]), message, name)
        }
    }

    func testADifferentKeyOrARefusalOnEitherSideFailsTheHandshake() throws {
        let offer: PreSharedKeyClientCallback = { _, _ in
            PreSharedKeyOffer(identity: "client", key: SensitiveBytes(copying: self.key))
        }
        let cases: [(String, PreSharedKeyClientCallback, PreSharedKeyServerCallback)] = [
            ("other key", offer, { _, _ in SensitiveBytes(copying: [1, 2, 3, 4]) }),
            ("server refuses", offer, { _, _ in nil }),
            ("server returns an empty key", offer, { _, _ in SensitiveBytes(copying: []) }),
            ("client refuses", { _, _ in nil }, { _, _ in SensitiveBytes(copying: self.key) }),
        ]
        for version in [TLSVersion.tlsv1_2, .tlsv1_3] {
            for (name, clientCallback, serverCallback) in cases {
                let (client, server) = try makePair(version: version, client: clientCallback, server: serverCallback)
                XCTAssertThrowsError(try TLSConnection.completeHandshakes(client: client, server: server), name) {
                    XCTAssertEqual(($0 as? TLSError)?.kind, .ssl, name)
                }
                XCTAssertFalse(client.isHandshakeComplete, name)
            }
        }
    }

    /// OpenSSL hands the client buffers of fixed size (256 bytes for the identity with its
    /// terminator, 512 for the key): an offer that does not fit fails the handshake, never
    /// writes past them.
    func testOffersTooLargeForOpenSSLsBuffersFailTheHandshake() throws {
        let cases: [(identityLength: Int, keyLength: Int, fits: Bool)] = [
            (255, 4, true), (256, 4, false), (8, 512, true), (8, 513, false),
        ]
        for (identityLength, keyLength, fits) in cases {
            let identity = [UInt8](repeating: UInt8(ascii: "i"), count: identityLength)
            let secret = [UInt8](repeating: 7, count: keyLength)
            var identitiesSeen: [String?] = []
            let (client, server) = try makePair(version: .tlsv1_2, client: { _, _ in
                PreSharedKeyOffer(identity: identity, key: SensitiveBytes(copying: secret))
            }, server: { _, identity in
                identitiesSeen.append(identity)
                return SensitiveBytes(copying: secret)
            })
            let name = "identity \(identityLength), key \(keyLength)"
            if fits {
                XCTAssertNoThrow(try TLSConnection.completeHandshakes(client: client, server: server), name)
                XCTAssertEqual(identitiesSeen, [String(repeating: "i", count: identityLength)], name)
            } else {
                XCTAssertThrowsError(try TLSConnection.completeHandshakes(client: client, server: server), name)
                XCTAssertEqual(identitiesSeen, [], name)
            }
        }
    }

    func testAHintThatIsNotUTF8FailsTheHandshakeWithoutCallingTheClient() throws {
        var clientCalls = 0
        let (client, server) = try makePair(version: .tlsv1_2, client: { _, _ in
            clientCalls += 1
            return PreSharedKeyOffer(identity: "client", key: SensitiveBytes(copying: self.key))
        }, server: { _, _ in SensitiveBytes(copying: self.key) })
        // The Swift API takes hints as String; OpenSSL's own call takes any bytes.
        let notUTF8: [CChar] = [CChar(bitPattern: 0xff), 0]
        XCTAssertEqual(SSL_use_psk_identity_hint(server.ssl, notUTF8), 1)
        XCTAssertThrowsError(try TLSConnection.completeHandshakes(client: client, server: server))
        XCTAssertEqual(clientCalls, 0)
    }

    func testCallbacksAreRefusedOnTheWrongSideAndHintsOpenSSLCannotTake() throws {
        let clientContext = try TLSContext(protocol: .tlsClient)
        let serverContext = try TLSContext(protocol: .tlsServer)
        XCTAssertThrowsError(try clientContext.setPreSharedKeyServerCallback(nil)) {
            XCTAssertEqual(($0 as? TLSError)?.message,
                           "Cannot add PSK server callback to a PROTOCOL_TLS_CLIENT context (swiftssl)")
            XCTAssertEqual(($0 as? TLSError)?.code, 0)
        }
        XCTAssertThrowsError(try serverContext.setPreSharedKeyClientCallback(nil)) {
            XCTAssertEqual(($0 as? TLSError)?.message,
                           "Cannot add PSK client callback to a PROTOCOL_TLS_SERVER context (swiftssl)")
        }
        let serve: PreSharedKeyServerCallback = { _, _ in SensitiveBytes(copying: self.key) }
        XCTAssertNoThrow(try serverContext.setPreSharedKeyServerCallback(serve, identityHint: String(repeating: "h", count: 256)))
        for hint in [String(repeating: "h", count: 257), "a\0b"] {
            XCTAssertThrowsError(try serverContext.setPreSharedKeyServerCallback(serve, identityHint: hint)) {
                XCTAssertEqual(($0 as? TLSError)?.kind, .invalidArgument)
            }
        }
        // A generic context takes both.
        let either = try TLSContext(protocol: .tls)
        XCTAssertNoThrow(try either.setPreSharedKeyServerCallback(serve, identityHint: "hint"))
        XCTAssertNoThrow(try either.setPreSharedKeyClientCallback { _, _ in nil })
        XCTAssertNotNil(either.preSharedKeyClientCallback)
        XCTAssertNotNil(either.preSharedKeyServerCallback)
        try either.setPreSharedKeyServerCallback(nil)
        XCTAssertNil(either.preSharedKeyServerCallback)
    }
}
