import Foundation
import XCTest
@testable import SwiftSSL

/// Sessions and resumption, channel binding, shared ciphers, peer chains, and the context
/// statistics and settings CPython's `ssl` exposes, over memory transports.
final class TLSSessionTests: XCTestCase {
    /// A completed client/server handshake through memory buffers.
    func handshake(client clientContext: TLSContext, server serverContext: TLSContext,
                   session: TLSSession? = nil) throws -> (client: TLSConnection, server: TLSConnection) {
        let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
        let client = try TLSConnection(context: clientContext, incoming: toClient, outgoing: toServer,
                                       serverHostname: "localhost")
        if let session { try client.setSession(session) }
        let server = try TLSConnection(context: serverContext, incoming: toServer, outgoing: toClient,
                                       serverSide: true)
        try TLSConnection.completeHandshakes(client: client, server: server)
        return (client, server)
    }

    func testTLS12SessionIsResumedAndCounted() throws {
        let serverContext = try TestPKI.serverContext(), clientContext = try TestPKI.clientContext(maximum: .tlsv1_2)
        let first = try handshake(client: clientContext, server: serverContext)
        XCTAssertFalse(first.client.isSessionReused)
        let session = try XCTUnwrap(first.client.session)
        XCTAssertFalse(session.id.isEmpty)
        XCTAssertTrue(session.hasTicket)
        XCTAssertGreaterThan(session.timeout, 0)
        let second = try handshake(client: clientContext, server: serverContext, session: session)
        XCTAssertTrue(second.client.isSessionReused)
        XCTAssertTrue(second.server.isSessionReused)
        XCTAssertEqual(second.client.session?.id, session.id)
        let statistics = Dictionary(uniqueKeysWithValues: serverContext.sessionStatistics.map { ($0.name, $0.value) })
        XCTAssertEqual(statistics["accept"], 2)
        XCTAssertEqual(statistics["hits"], 1)
    }

    func testSetSessionRefusesOtherContextsAndCompletedHandshakes() throws {
        let serverContext = try TestPKI.serverContext(), clientContext = try TestPKI.clientContext(maximum: .tlsv1_2)
        let first = try handshake(client: clientContext, server: serverContext)
        let session = try XCTUnwrap(first.client.session)
        XCTAssertThrowsError(try first.client.setSession(session)) { error in
            XCTAssertEqual((error as? TLSError)?.message, "Cannot set session after handshake.")
        }
        XCTAssertThrowsError(try handshake(client: try TestPKI.clientContext(maximum: .tlsv1_2), server: serverContext, session: session)) { error in
            XCTAssertEqual((error as? TLSError)?.message, "Session refers to a different SSLContext.")
        }
    }

    func testTLSUniqueIsTheSameOnBothSides() throws {
        for maximum in [TLSVersion.tlsv1_2, .tlsv1_3] {
            let pair = try handshake(client: try TestPKI.clientContext(maximum: maximum), server: try TestPKI.serverContext())
            let clientBinding = try XCTUnwrap(pair.client.tlsUniqueChannelBinding)
            XCTAssertFalse(clientBinding.isEmpty)
            XCTAssertEqual(clientBinding, pair.server.tlsUniqueChannelBinding)
        }
    }

    func testSharedCiphersOnTheServerOnly() throws {
        let pair = try handshake(client: try TestPKI.clientContext(maximum: .tlsv1_2), server: try TestPKI.serverContext())
        XCTAssertNil(pair.client.sharedCiphers)
        let shared = try XCTUnwrap(pair.server.sharedCiphers)
        XCTAssertTrue(shared.contains { $0.name == pair.server.negotiatedCipher?.name })
    }

    func testPeerChains() throws {
        let pair = try handshake(client: try TestPKI.clientContext(maximum: .tlsv1_2), server: try TestPKI.serverContext())
        let verified = try XCTUnwrap(pair.client.verifiedPeerChain)
        let sent = try XCTUnwrap(pair.client.unverifiedPeerChain)
        XCTAssertEqual(verified.count, 3)  // leaf, intermediate, root
        XCTAssertEqual(sent.count, 2)      // leaf, intermediate
        XCTAssertEqual(verified.first?.derBytes, sent.first?.derBytes)
        XCTAssertNil(pair.server.verifiedPeerChain)
    }

    func testTrustStoreStatisticsAndAuthorities() throws {
        let context = try TLSContext(protocol: .tlsClient)
        XCTAssertEqual(context.trustStoreStatistics, TrustStoreStatistics())
        try context.loadVerifyLocations(file: .path(TestPKI.leafCertificate))
        try context.loadVerifyLocations(file: .path(TestPKI.rootCertificate))
        let statistics = context.trustStoreStatistics
        XCTAssertEqual(statistics.certificates, 2)
        XCTAssertEqual(statistics.authorities, 1)
        XCTAssertEqual(statistics.revocationLists, 0)
        XCTAssertEqual(context.trustedAuthorities().count, 1)
    }

    func testKeyExchangeGroupAndTicketCount() throws {
        let server = try TestPKI.serverContext()
        try server.setKeyExchangeGroup("prime256v1")
        XCTAssertThrowsError(try server.setKeyExchangeGroup("no-such-curve"))
        XCTAssertEqual(server.sessionTicketCount, 2)
        try server.setSessionTicketCount(0)
        XCTAssertEqual(server.sessionTicketCount, 0)
        XCTAssertThrowsError(try server.setSessionTicketCount(-1))
        XCTAssertThrowsError(try TestPKI.clientContext(maximum: .tlsv1_2).setSessionTicketCount(1))
        XCTAssertThrowsError(try server.loadDiffieHellmanParameters(path: TestPKI.leafCertificate)) { error in
            XCTAssertEqual((error as? TLSError)?.reason, "NO_START_LINE")
        }
    }

    func testDiffieHellmanParametersDecodeByTheirBlocksLabelAndFailAsCPythonFails() throws {
        // p = 23, g = 5 (and q = 11): they decode, then OpenSSL refuses a group this small,
        // which shows the X9.42 block was read as X9.42 (it was read as PKCS#3 and failed).
        let pkcs3: [UInt8] = [0x30, 0x06, 0x02, 0x01, 23, 0x02, 0x01, 5]
        let x942: [UInt8] = [0x30, 0x09, 0x02, 0x01, 23, 0x02, 0x01, 5, 0x02, 0x01, 11]
        let cases: [(label: String, der: [UInt8], library: String?, reason: String?, message: String)] = [
            ("DH PARAMETERS", pkcs3, "SSL", "DH_KEY_TOO_SMALL", "[SSL: DH_KEY_TOO_SMALL] dh key too small (swiftssl)"),
            ("X9.42 DH PARAMETERS", x942, "SSL", "DH_KEY_TOO_SMALL", "[SSL: DH_KEY_TOO_SMALL] dh key too small (swiftssl)"),
            ("X9.42 DH PARAMETERS", pkcs3, "PEM", nil, "[PEM] ASN1 lib (swiftssl)"),
            ("DH PARAMETERS", Array(pkcs3.prefix(5)), "PEM", nil, "[PEM] ASN1 lib (swiftssl)"),
            ("DH PARAMETERS", [], nil, nil, "unknown error"),
        ]
        let path = NSTemporaryDirectory() + "swiftssl-dh-\(getpid())-\(UUID().uuidString).pem"
        defer { unlink(path) }
        for (label, der, library, reason, message) in cases {
            try Data(PEMEncoding.encode(der: der, label: label).utf8).write(to: URL(fileURLWithPath: path))
            let context = try TestPKI.serverContext()
            XCTAssertThrowsError(try context.loadDiffieHellmanParameters(path: path), "\(label) \(der)") { error in
                let error = error as? TLSError
                XCTAssertEqual(error?.library, library, "\(label) \(der)")
                XCTAssertEqual(error?.reason, reason, "\(label) \(der)")
                XCTAssertEqual(error?.message, message, "\(label) \(der)")
            }
        }
    }

    func testObjectIdentifierLookup() throws {
        let serverAuth = try ObjectIdentifierInfo.lookup("1.3.6.1.5.5.7.3.1", allowingNames: false)
        XCTAssertEqual(serverAuth.shortName, "serverAuth")
        XCTAssertEqual(try ObjectIdentifierInfo.lookup("serverAuth", allowingNames: true), serverAuth)
        XCTAssertEqual(try ObjectIdentifierInfo.lookup(nid: serverAuth.nid), serverAuth)
        XCTAssertThrowsError(try ObjectIdentifierInfo.lookup("serverAuth", allowingNames: false))
        XCTAssertThrowsError(try ObjectIdentifierInfo.lookup(nid: -1))
    }
}
