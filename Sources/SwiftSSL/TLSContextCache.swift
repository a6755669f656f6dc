import COpenSSL
import Synchronization

/// Shares contexts between identical configurations, keyed by a SHA-256 digest of their
/// content (certificate, key, CA and password bytes, and every setting), never by object identity.
///
/// Making a context on OpenSSL 3 costs milliseconds (tens with the system trust store), so the
/// module-level `wrap_socket` that makes one per connection goes through here. Cached contexts are
/// frozen: their setters throw, since a change would reach every connection sharing them.
public final class TLSContextCache {
    /// The process-wide cache.
    public static let shared = TLSContextCache(capacity: 64)

    /// The cached contexts and their order of use, least recent first.
    private struct Entries {
        var contexts: [[UInt8]: TLSContext] = [:]
        var order: [[UInt8]] = []

        /// Marks `key` as the most recently used.
        mutating func touch(_ key: [UInt8]) {
            if let index = order.firstIndex(of: key) {
                order.remove(at: index)
                order.append(key)
            }
        }
    }

    private let capacity: Int
    // A Mutex rather than a pthread_mutex_t stored property: `&property` is not a stable
    // address for C, and subinterpreters with a GIL of their own reach this cache in parallel.
    private let entries = Mutex(Entries())

    /// A cache keeping at most `capacity` contexts, dropping the least recently used.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The number of cached contexts.
    public var count: Int {
        entries.withLock { $0.contexts.count }
    }

    /// A frozen context for `configuration`: a cached one when the content matches, else a new one.
    /// Configurations with a password callback are never cached (their password cannot be keyed).
    public func context(for configuration: TLSConfiguration) throws -> TLSContext {
        let loaded = try LoadedConfiguration(configuration)
        guard let key = try Self.key(for: loaded) else {
            let context = try TLSContext(configuration: loaded)
            context.isFrozen = true
            return context
        }
        let cached = entries.withLock { entries -> TLSContext? in
            guard let cached = entries.contexts[key] else { return nil }
            entries.touch(key)
            return cached
        }
        if let cached { return cached }

        // Built outside the lock: two threads may race to build the same context; one wins.
        let context = try TLSContext(configuration: loaded)
        context.isFrozen = true
        // An evicted context leaves the lock in the result and is freed after it: SSL_CTX_free of
        // a big trust store takes a while.
        return entries.withLock { entries -> (winner: TLSContext, evicted: TLSContext?) in
            if let winner = entries.contexts[key] { return (winner, nil) }
            entries.contexts[key] = context
            entries.order.append(key)
            guard entries.order.count > capacity else { return (context, nil) }
            return (context, entries.contexts.removeValue(forKey: entries.order.removeFirst()))
        }.winner
    }

    /// Forgets every cached context.
    public func removeAll() {
        // The old entries leave the lock as the result, so their contexts are freed after it.
        _ = entries.withLock { entries -> Entries in
            defer { entries = Entries() }
            return entries
        }
    }

    /// The content digest, or nil when the configuration cannot be keyed.
    static func key(for loaded: LoadedConfiguration) throws -> [UInt8]? {
        let configuration = loaded.configuration
        // Decided before the digest exists: only finish() frees its EVP_MD_CTX, so returning
        // between the two leaked one per wrap_socket call with a password callback.
        if case .callback = configuration.password { return nil }
        var digest = try ContentDigest()
        digest.add(text: "swiftssl-context-v1")
        digest.add(integer: configuration.protocolSelection.rawValue)
        digest.add(integer: configuration.verifyMode?.rawValue ?? -1)
        digest.add(integer: configuration.checkHostname.map { $0 ? 1 : 0 } ?? -1)
        digest.add(text: configuration.ciphers)
        // What a new context starts with (TLSContext.configureDefaults reads these two), should a
        // program change DefaultCipherSuites.current between two lookups.
        let defaults = DefaultCipherSuites.current
        digest.add(text: defaults.appliedCipherString)
        digest.add(integer: defaults.minimumVersion?.rawValue ?? 0)  // 0: no version has it
        digest.add(bytes: loaded.certificateBytes)
        digest.add(bytes: loaded.keyBytes)
        switch configuration.trustRoots {
        case .none: digest.add(text: "trust:none")
        case .system: digest.add(text: "trust:system")
        case .certificates:
            digest.add(text: "trust:certificates")
            digest.add(bytes: loaded.caBytes)
        }
        switch configuration.password {
        case nil: digest.add(text: "password:none")
        case .bytes(let password):
            digest.add(text: "password:bytes")
            digest.add(bytes: password)
        case .callback: return nil
        }
        return try digest.finish()
    }
}

/// An incremental SHA-256 over length-prefixed fields (so field boundaries cannot be forged).
struct ContentDigest {
    private let context: OpaquePointer

    init() throws {
        OpenSSLErrorQueue.clear()
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            throw TLSError.fromQueue("could not start a SHA-256 digest")
        }
        self.context = context
    }

    mutating func add(raw: UnsafeRawBufferPointer) {
        var length = UInt64(raw.count).littleEndian
        withUnsafeBytes(of: &length) { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        if raw.count > 0 { _ = EVP_DigestUpdate(context, raw.baseAddress, raw.count) }
    }

    mutating func add(bytes: SensitiveBytes?) {
        guard let bytes else { return add(text: nil) }
        add(raw: bytes.bytes)
    }

    mutating func add(text: String?) {
        guard var text else {
            var marker = UInt64.max
            withUnsafeBytes(of: &marker) { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            return
        }
        text.withUTF8 { add(raw: UnsafeRawBufferPointer($0)) }
    }

    mutating func add(integer: Int) {
        var value = Int64(integer).littleEndian
        withUnsafeBytes(of: &value) { add(raw: $0) }
    }

    func finish() throws -> [UInt8] {
        defer { EVP_MD_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &output, &length) == 1 else {
            throw TLSError.fromQueue("could not finish a SHA-256 digest")
        }
        return Array(output.prefix(Int(length)))
    }
}
