// SwiftSSLExample: a TLS client and server back to back in memory, using the SwiftSSL library
// alone (no Python, no Foundation, no sockets).
//
//     swift run SwiftSSLExample CA.pem CHAIN.pem KEY.pem [HOSTNAME]
//
// CA.pem is the CA the client trusts, CHAIN.pem the server's certificate chain (leaf first) and
// KEY.pem its private key; HOSTNAME (default "localhost") is sent as SNI and checked against the
// certificate. The server's credentials are read into memory first and handed to SwiftSSL as
// `.memory(...)`, the way a program holding keys in a secret store would. Prints the protocol,
// cipher and peer subject, then echoes one message; exits 1 with the TLS error on failure.
//
// scripts/run-examples builds and runs it with a throwaway CA; `swift build` builds it too.

import SwiftSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The whole content of the file at `path`, with plain libc I/O (the example avoids Foundation).
func readFile(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        throw TLSError.system(errno: errno, message: "cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var content: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count == 0 { break }
        content += chunk[..<count]
    }
    return content
}

/// Sends `text` from `sender` and reads it back out of `receiver`.
func transfer(_ text: String, from sender: TLSConnection, to receiver: TLSConnection) throws -> String {
    let bytes = Array(text.utf8)
    _ = try bytes.withUnsafeBytes { try sender.write($0, timeout: .nonBlocking) }
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = try buffer.withUnsafeMutableBytes { try receiver.read(into: $0, timeout: .nonBlocking) }
    return String(decoding: buffer[..<count], as: UTF8.self)
}

func run(caPath: String, chainPath: String, keyPath: String, hostname: String) throws {
    var serverConfiguration = TLSConfiguration(protocol: .tlsServer)
    serverConfiguration.certificateChain = .memory(try readFile(chainPath))
    serverConfiguration.privateKey = .memory(try readFile(keyPath))
    let serverContext = try TLSContext(configuration: serverConfiguration)

    var clientConfiguration = TLSConfiguration(protocol: .tlsClient)  // verifies chain and hostname
    clientConfiguration.trustRoots = .certificates(.path(caPath))
    let clientContext = try TLSContext(configuration: clientConfiguration)

    let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
    let client = try TLSConnection(context: clientContext, incoming: toClient, outgoing: toServer,
                                   serverHostname: hostname)
    let server = try TLSConnection(context: serverContext, incoming: toServer, outgoing: toClient,
                                   serverSide: true)
    // Nothing blocks over memory: each side is stepped in turn, going on as the other's reply
    // arrives, until both handshakes finish (over a socket, each side calls handshake() instead).
    try TLSConnection.completeHandshakes(client: client, server: server)

    guard let certificate = client.peerCertificate else {
        throw TLSError.invalidState("the server sent no certificate")
    }
    let peer = try certificate.info
    try matchHostname(peer, hostname: hostname)  // already checked by OpenSSL; CPython's rules here
    print("protocol: \(client.negotiatedVersion ?? "?")")
    print("cipher:   \(client.negotiatedCipher?.name ?? "?")")
    let subject = peer.subject.relativeNames.flatMap { $0 }.map { "\($0.name)=\($0.value)" }
    print("subject:  \(subject.joined(separator: ", "))")
    print("sni seen by the server: \(server.requestedServerName ?? "none")")

    let request = try transfer("hello over TLS", from: client, to: server)
    let reply = try transfer(request.uppercased(), from: server, to: client)
    print("echo:     \(reply)")
}

let arguments = CommandLine.arguments
guard (4...5).contains(arguments.count) else {
    print("usage: SwiftSSLExample CA.pem CHAIN.pem KEY.pem [HOSTNAME]")
    exit(2)
}
do {
    try run(caPath: arguments[1], chainPath: arguments[2], keyPath: arguments[3],
            hostname: arguments.count == 5 ? arguments[4] : "localhost")
} catch {
    print("SwiftSSLExample: \(error)")
    exit(1)
}
