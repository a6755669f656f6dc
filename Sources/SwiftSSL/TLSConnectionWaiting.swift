import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension TLSConnection {
    // MARK: The retry loop

    /// Runs `body` as one operation: counted in ``operationsInProgress`` while it runs.
    func inOperation<Result>(_ body: () throws -> Result) throws -> Result {
        operationsInProgress.add(1, ordering: .relaxed)
        defer { operationsInProgress.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// Runs `body` (OpenSSL calls that never wait) holding the connection's lock; throws
    /// ``TLSError/reentrantOperation`` when this thread holds it already.
    func exclusively<Result>(_ body: () throws -> Result) throws -> Result {
        try holding(operationLock, body)
    }

    /// Runs `body` holding the connection's lock: at once when this thread holds it already (a
    /// callback inside an operation on this thread: an SNI callback switching the context,
    /// Python's `detach()` from a callback), otherwise after the operation holding it lets go.
    func withOperationLockHeld(_ body: () -> Void) {
        if operationLock.isHeldByCurrentThread {
            body()
        } else {
            // Cannot throw: only a thread that holds the lock is refused it.
            try? exclusively(body)
        }
    }

    /// Runs `body` holding ``writeLock``, waiting for it as `timeout` allows over a socket (a
    /// non-blocking write finding another under way wants to write; one with a deadline times
    /// out as a socket wait would). Memory and channel writes never wait, so neither does the lock.
    func holdingWriteLock<Result>(timeout: IOTimeout, _ body: () throws -> Result) throws -> Result {
        if socketDescriptor < 0 || timeout == .blocking { return try holding(writeLock, body) }
        while true {
            if let result = try writeLock.withLockIfAvailable(body) { return result }
            guard case .deadline(let deadline) = timeout else { throw TLSError.wantWrite }
            if !(MonotonicInstant.now() < deadline) {
                throw TLSError(kind: .timeout, message: "The write operation timed out")
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
    }

    /// Runs `body` holding `lock`. Over a channel, whose callers hold Python's GIL, it never
    /// blocks for the lock: it lets the channel yield until the lock is free, since the
    /// operation holding it may need the GIL.
    private func holding<Result>(_ lock: borrowing ConnectionLock, _ body: () throws -> Result) throws -> Result {
        guard let channel = channelTransport?.channel else { return try lock.withLock(body) }
        while true {
            if let result = try lock.withLockIfAvailable(body) { return result }
            channel.yieldToOtherThreads()
        }
    }

    /// Runs `attempt` until it succeeds, waiting on the socket as `timeout` allows; each
    /// attempt under the lock, each wait outside it.
    func perform(
        _ operation: String, timeout: IOTimeout, onInterrupt: () throws -> Void,
        _ attempt: (OpaquePointer) -> (Int32, Int)
    ) throws -> Int {
        while true {
            switch try exclusively({ attemptOnce(attempt) }) {
            case .success(let count):
                return count
            case .failure(let failure):
                if try !waitToRetry(failure, operation: operation, timeout: timeout, onInterrupt: onInterrupt) {
                    throw failure
                }
            }
        }
    }

    /// One OpenSSL call, its failure classified (under the lock).
    func attemptOnce(_ attempt: (OpaquePointer) -> (Int32, Int)) -> Result<Int, TLSError> {
        OpenSSLErrorQueue.clear()
        let (result, count) = attempt(ssl)
        let savedErrno = errno
        if result == 1 { return .success(count) }
        return .failure(classify(result: result, savedErrno: savedErrno))
    }

    /// For WANT_READ/WANT_WRITE: waits as the timeout allows and returns true to retry; returns
    /// false for every other failure, and throws when the wait itself ends the operation.
    func waitToRetry(
        _ failure: TLSError, operation: String, timeout: IOTimeout, onInterrupt: () throws -> Void
    ) throws -> Bool {
        guard failure.kind == .wantRead || failure.kind == .wantWrite else { return false }
        let forWriting = failure.kind == .wantWrite
        // Memory transports never wait: the caller must move bytes and call again.
        guard socketDescriptor >= 0 else { throw failure }
        let deadline: MonotonicInstant?
        switch timeout {
        case .nonBlocking:
            throw failure
        case .blocking:
            // A socket is read and written without blocking, so WANT_* means "wait"; a
            // descriptor that is not a socket blocks, and reports WANT_* only when a signal
            // interrupted the system call.
            if socketTransport?.isSocket != true { try onInterrupt() }
            deadline = nil
        case .deadline(let instant):
            deadline = instant
        }
        while true {
            // With another operation under way, wake now and then to try again: it may have
            // taken what this one waits for.
            let concurrent = operationsInProgress.load(ordering: .relaxed) > 1
            let slice = concurrent ? MonotonicInstant.now().adding(seconds: TLSConnection.concurrentWaitSlice) : nil
            let until = slice.map { slice in deadline.map { min($0, slice) } ?? slice } ?? deadline
            let outcome = try SocketWaiter.wait(descriptor: socketDescriptor, forWriting: forWriting, until: until)
            // detachSocket() on another thread during the wait: the descriptor is no longer
            // ours (it may already name another socket), so the operation ends as it would
            // have started after it.
            try checkSocketAttached()
            switch outcome {
            case .ready:
                return true
            case .interrupted:
                try onInterrupt()
            case .timedOut where until != deadline:  // the slice ended, not the deadline
                return true
            case .timedOut:
                // As CPython: a handshake, read or write names itself whichever way it waited
                // (a write that must first finish the handshake waits to read); shutdown names
                // the way it waited.
                let name = operation == "shutdown" ? (forWriting ? "write" : "read") : operation
                throw TLSError(kind: .timeout, message: "The \(name) operation timed out")
            }
        }
    }

    /// How long a wait lasts before trying again while another operation is under way.
    static let concurrentWaitSlice = 0.02  // seconds
}
