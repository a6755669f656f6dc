// SwiftSSLBenchmarks: the SwiftSSL core alone, client and server back to back in memory (two
// shared TLSMemoryBuffers, no sockets, no Python), so the cost of the Python layer shows by
// difference with python/benchmarks.
//
//     swift build -c release --scratch-path .build-bench --product SwiftSSLBenchmarks
//     .build-bench/release/SwiftSSLBenchmarks FIXTURES [SECONDS]
//
// FIXTURES holds ca.pem and {ecdsa,rsa}.{pem,key}, as python/benchmarks/_fixtures.py writes them
// (`bash scripts/bench` runs this program on them). Prints one Markdown table: full handshakes
// per second (TLS 1.2 and 1.3, ECDSA P-256 and RSA-2048) and bulk throughput for 1, 16 and
// 256 KiB writes (each write is read back out by the peer before the next), medians of 5 samples.

import SwiftSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Server and client contexts for one key type and one pinned protocol version.
struct ContextPair {
    let server: TLSContext
    let client: TLSContext

    init(fixtures: String, key: String, version: TLSVersion) throws {
        var serverConfiguration = TLSConfiguration(protocol: .tlsServer)
        serverConfiguration.certificateChain = .path("\(fixtures)/\(key).pem")
        serverConfiguration.privateKey = .path("\(fixtures)/\(key).key")
        server = try TLSContext(configuration: serverConfiguration)
        var clientConfiguration = TLSConfiguration(protocol: .tlsClient)  // verifies chain and name
        clientConfiguration.trustRoots = .certificates(.path("\(fixtures)/ca.pem"))
        client = try TLSContext(configuration: clientConfiguration)
        for context in [server, client] {
            try context.setMinimumVersion(version)
            try context.setMaximumVersion(version)
        }
    }

    /// A fresh client/server pair wired through memory, handshake done.
    func connect() throws -> (client: TLSConnection, server: TLSConnection) {
        let toServer = try TLSMemoryBuffer(), toClient = try TLSMemoryBuffer()
        let client = try TLSConnection(context: self.client, incoming: toClient, outgoing: toServer,
                                       serverHostname: "localhost")
        let server = try TLSConnection(context: self.server, incoming: toServer, outgoing: toClient,
                                       serverSide: true)
        try TLSConnection.completeHandshakes(client: client, server: server)
        return (client, server)
    }
}

func seconds(since start: MonotonicInstant) -> Double {
    Double(MonotonicInstant.now().nanoseconds - start.nanoseconds) / 1e9
}

/// Runs `body` (which returns how much work it did) repeatedly for `duration`; work per second.
func rate(for duration: Double, _ body: () throws -> Double) rethrows -> Double {
    let start = MonotonicInstant.now()
    var done = 0.0
    repeat {
        done += try body()
    } while seconds(since: start) < duration
    return done / seconds(since: start)
}

func median(_ samples: [Double]) -> Double {
    let sorted = samples.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func handshakesPerSecond(_ pair: ContextPair, duration: Double) throws -> Double {
    try rate(for: duration) {
        _ = try pair.connect()
        return 1
    }
}

/// Megabytes per second through one connection, `size` bytes per write, each read back out.
func bulkMegabytesPerSecond(_ pair: ContextPair, size: Int, duration: Double) throws -> Double {
    let (client, server) = try pair.connect()
    let payload = [UInt8](repeating: 0x5a, count: size)
    var sink = [UInt8](repeating: 0, count: 256 * 1024)
    return try rate(for: duration) {
        var moved = 0
        for _ in 0..<max(1, 1_048_576 / size) {
            _ = try payload.withUnsafeBytes { try client.write($0, timeout: .nonBlocking) }
            var received = 0
            while received < size {
                received += try sink.withUnsafeMutableBytes { try server.read(into: $0, timeout: .nonBlocking) }
            }
            moved += size
        }
        return Double(moved) / 1e6
    }
}

func main() throws {
    let arguments = CommandLine.arguments
    guard arguments.count >= 2 else {
        print("usage: SwiftSSLBenchmarks FIXTURES [SECONDS]  (FIXTURES: ca.pem, {ecdsa,rsa}.{pem,key})")
        exit(2)
    }
    let fixtures = arguments[1]
    let duration = arguments.count > 2 ? Double(arguments[2]) ?? 0.5 : 0.5
    let samples = 5
    print("| SwiftSSL core, memory to memory (no sockets, no Python) | unit | median |")
    print("|---|---|---:|")
    for (version, versionName) in [(TLSVersion.tlsv1_2, "1.2"), (.tlsv1_3, "1.3")] {
        for (key, keyName) in [("ecdsa", "ECDSA P-256"), ("rsa", "RSA-2048")] {
            let pair = try ContextPair(fixtures: fixtures, key: key, version: version)
            let value = median(try (0..<samples).map { _ in try handshakesPerSecond(pair, duration: duration) })
            print("| full handshakes (client + server), TLS \(versionName), \(keyName) | /s | \(Int(value)) |")
        }
    }
    let pair = try ContextPair(fixtures: fixtures, key: "ecdsa", version: .tlsv1_3)
    for (size, name) in [(1024, "1 KiB"), (16384, "16 KiB"), (262_144, "256 KiB")] {
        let value = median(try (0..<samples).map { _ in
            try bulkMegabytesPerSecond(pair, size: size, duration: duration)
        })
        print("| bulk \(name) writes, TLS 1.3 (encrypt + decrypt) | MB/s | \(Int(value)) |")
    }
}

do {
    try main()
} catch {
    print("SwiftSSLBenchmarks: \(error)")
    exit(1)
}
