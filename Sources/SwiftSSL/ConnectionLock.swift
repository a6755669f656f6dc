import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One of a connection's locks, which knows the thread holding it. An operation started again
/// on that thread while it holds the lock (by a callback OpenSSL makes in the middle of the
/// first, or by a signal handler run while the first waits for the socket) is refused with
/// ``TLSError/reentrantOperation``: `Mutex` would trap on it, and a lock taken without blocking
/// would wait forever for itself.
struct ConnectionLock: ~Copyable {
    private let mutex = Mutex<Void>(())
    /// `pthread_self()` of the holder, 0 while the lock is free. Read without the lock only to
    /// compare with the reader's own thread: only that thread stores its own value there, and it
    /// puts 0 back before it lets go.
    private let holder = Atomic<UInt>(0)

    /// True when the calling thread holds the lock (it is inside an operation).
    var isHeldByCurrentThread: Bool {
        holder.load(ordering: .relaxed) == UInt(pthread_self())
    }

    /// Runs `body` holding the lock, waiting for another thread to let go of it first.
    func withLock<Result>(_ body: () throws -> Result) throws -> Result {
        let thread = try threadThatMayTake()
        return try mutex.withLock { _ in try holding(as: thread, body) }
    }

    /// Runs `body` holding the lock if no other thread holds it; returns nil when one does.
    func withLockIfAvailable<Result>(_ body: () throws -> Result) throws -> Result? {
        let thread = try threadThatMayTake()
        return try mutex.withLockIfAvailable { _ in try holding(as: thread, body) }
    }

    /// The calling thread, or ``TLSError/reentrantOperation`` when it already holds the lock.
    private func threadThatMayTake() throws -> UInt {
        let thread = UInt(pthread_self())
        if holder.load(ordering: .relaxed) == thread { throw TLSError.reentrantOperation }
        return thread
    }

    private func holding<Result>(as thread: UInt, _ body: () throws -> Result) throws -> Result {
        holder.store(thread, ordering: .relaxed)
        defer { holder.store(0, ordering: .relaxed) }
        return try body()
    }
}

extension TLSError {
    /// An operation on a connection started from inside another on the same thread (an SNI,
    /// message or PSK callback calling read, write, handshake or shutdown on its connection, or
    /// a signal handler writing while a write waits): OpenSSL cannot run one `SSL` call inside
    /// another. Python sees `SSLError`, as CPython reports OpenSSL's own refusals of these.
    public static let reentrantOperation = TLSError(
        kind: .ssl, code: codeSSL,
        message: "this connection is already in the middle of an operation on this thread "
            + "(called again from a callback or a signal handler) (swiftssl)")
}
