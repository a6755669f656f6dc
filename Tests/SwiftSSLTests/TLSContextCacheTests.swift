import Dispatch
import Synchronization
import XCTest
@testable import SwiftSSL

/// The content-keyed context cache behind module-level `wrap_socket`: sharing by content, freezing,
/// least-recently-used eviction, and many threads at once (isolated subinterpreters call it in
/// parallel, without a GIL between them).
final class TLSContextCacheTests: XCTestCase {
    /// A client configuration trusting the test root, made distinct by `variant` (a cipher string).
    private func configuration(_ variant: Int) -> TLSConfiguration {
        var configuration = TLSConfiguration(protocol: .tls)
        configuration.verifyMode = .required
        configuration.trustRoots = .certificates(.memory(TestPKI.contents(TestPKI.rootCertificate)))
        configuration.ciphers = ["ECDHE+AESGCM", "ECDHE+CHACHA20", "AESGCM", "HIGH", "DEFAULT", "ECDHE"][variant]
        return configuration
    }

    func testContextCacheSharesByContentAndFreezes() throws {
        let cache = TLSContextCache(capacity: 4)
        var configuration = TLSConfiguration(protocol: .tls)
        configuration.verifyMode = .required
        configuration.trustRoots = .certificates(.memory(TestPKI.contents(TestPKI.rootCertificate)))
        let first = try cache.context(for: configuration)
        configuration.trustRoots = .certificates(.reader { SensitiveBytes(copying: TestPKI.contents(TestPKI.rootCertificate)) })
        let second = try cache.context(for: configuration)
        XCTAssertTrue(first === second, "same content, different source: one context")
        configuration.trustRoots = .certificates(.path(TestPKI.intermediateCertificate))
        XCTAssertFalse(first === (try cache.context(for: configuration)))
        XCTAssertThrowsError(try first.setVerifyMode(.none))
        XCTAssertEqual(cache.count, 2)
    }

    func testTheLeastRecentlyUsedContextIsDroppedFirst() throws {
        let cache = TLSContextCache(capacity: 2)
        let first = try cache.context(for: configuration(0))
        let second = try cache.context(for: configuration(1))
        XCTAssertTrue(try cache.context(for: configuration(0)) === first)  // now the most recent
        _ = try cache.context(for: configuration(2))  // drops the second, not the first
        XCTAssertEqual(cache.count, 2)
        XCTAssertTrue(try cache.context(for: configuration(0)) === first)
        XCTAssertFalse(try cache.context(for: configuration(1)) === second, "built again after being dropped")
        cache.removeAll()
        XCTAssertEqual(cache.count, 0)
        XCTAssertFalse(try cache.context(for: configuration(0)) === first)
    }

    func testThreadsAskingAtOnceGetOneContextPerContent() throws {
        let cache = TLSContextCache(capacity: 8)
        let variants = 3, threads = 8, requestsPerThread = 12
        let results = Mutex([[ObjectIdentifier]](repeating: [], count: variants))
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for request in 0..<requestsPerThread {
                let variant = (thread + request) % variants
                do {
                    let context = try cache.context(for: configuration(variant))
                    XCTAssertTrue(context.isFrozen)
                    results.withLock { $0[variant].append(ObjectIdentifier(context)) }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
        XCTAssertEqual(cache.count, variants)
        for variant in 0..<variants {
            let identities = results.withLock { $0[variant] }
            XCTAssertEqual(Set(identities).count, 1, "variant \(variant): racing builders must all get the winner")
            XCTAssertTrue(try cache.context(for: configuration(variant)) === cache.context(for: configuration(variant)))
        }
    }
}
