import COpenSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The socket under a ``TLSConnection``: owns the OpenSSL `BIO` the connection reads records
/// from and writes records to, over a file descriptor it never closes.
///
/// It behaves as OpenSSL's own socket BIO (same retry rules, same end-of-file reporting), plus
/// one thing that one does not do: inside ``TLSConnection/read(into:timeout:onInterrupt:)`` it
/// looks at several records with one system call (`MSG_PEEK`), so that one read can return
/// every record that has arrived. Peeked bytes stay in the socket until OpenSSL has used them;
/// when the read ends, the bytes OpenSSL took leave the socket in one more call (`MSG_TRUNC`:
/// without a copy over TCP) and the rest are simply forgotten. So after any read, whatever it did not report
/// is still in the socket, where `select()` sees it, exactly as with OpenSSL's exact reads; the
/// one exception is kept on purpose the other way round: a record whose outcome the read met
/// after its data (the peer's close_notify, an alert, a bad record) stays in the socket until
/// the read that reports it (``finishReading(keepingInSocket:)``).
/// Outside a read (handshake, shutdown) it reads exactly what OpenSSL asks for.
///
/// Writes: inside a ``TLSConnection/write(_:timeout:onInterrupt:)`` that may wait and spans
/// several records, it gathers records (``OutgoingRecords``) and sends up to three per system
/// call; the write sends the rest before it returns (``sendGatheredRecords()``), so a write that
/// returned has handed every byte to the socket, as with OpenSSL's own BIO. Anything still
/// gathered when a write fails goes out first on the next write (or shutdown), in order.
final class SocketTransport {
    // The stored properties are ordered and sized to fit the object in 88 bytes (a 96-byte
    // heap block): there is one of these per socket connection.

    /// The owned `BIO*` (one reference; the `SSL` holds another).
    let bio: OpaquePointer
    /// Inside a read: bytes peeked from the socket and not yet handed to OpenSSL,
    /// `storage[start..<end]`. They are still in the socket.
    private var storage: UnsafeMutableRawPointer?
    /// Records encrypted and not yet sent.
    private var outgoing = OutgoingRecords()
    /// Stored `readAheadCapacity`, clamped.
    private var readAheadLimit: Int32 = 0
    private var start: Int32 = 0
    private var end: Int32 = 0
    /// The socket, or -1 once ``forgetDescriptor()`` was called. Not owned. Atomic: `detach()`
    /// on one thread may forget it while a write on another, which holds only the write lock,
    /// reads it (relaxed: only the value matters; on x86 a plain load and store).
    private let descriptorStorage: Atomic<Int32>
    /// End of file or a socket error met by a read that must not wait: kept for the next read
    /// that may, so OpenSSL only learns of it when the caller asks for more (an EOF seen early
    /// would make OpenSSL fail the connection, and drop its session, before the caller read
    /// the bytes that came first).
    private var deferredOutcome: (result: Int32, errno: Int32)?
    /// False for descriptors that are not sockets: then `read`/`write` are used and nothing
    /// is peeked, since only sockets can be read without blocking per call.
    let isSocket: Bool
    /// Whether reads may peek ahead; false for good once the socket refused a peek or lost
    /// bytes it had shown (another reader of the same descriptor).
    private(set) var canReadAhead: Bool
    /// Whether the read in progress may wait for the socket (false after it already has data to
    /// return): only then does an end of file or socket error met reach OpenSSL.
    var mayWait = true
    /// True once a read returned end of file.
    private(set) var sawEndOfFile = false
    /// True inside a write that gathers records; see ``OutgoingRecords``.
    var gathersRecords = false
    /// Bytes handed to OpenSSL from peeks, still in the socket: they leave it before the next
    /// peek and when the read ends.
    private var handedButInSocket: Int32 = 0
    /// Bytes OpenSSL has processed that a read left in the socket for `select()` to see (the
    /// record of an outcome the next read reports); they leave it before anything else is read.
    private var processedInSocket: Int32 = 0
    /// Counts the bytes handed to OpenSSL from peeks, wrapping (see ``handedOverMark``).
    private var handedOverTotal: UInt32 = 0

    /// Whether a read would have to ask the socket: nothing is stored here, and no end of file
    /// or error is kept for the next read.
    var holdsNothingToRead: Bool { end == start && deferredOutcome == nil }

    /// How many more decrypted bytes the read in progress can take; 0 outside a read, which
    /// means "read exactly what OpenSSL asks for". (Anything above the peek buffer's size reads
    /// the same, so it is kept as an `Int32`.)
    var readAheadCapacity: Int {
        get { Int(readAheadLimit) }
        set { readAheadLimit = Int32(clamping: newValue) }
    }

    /// The size of `storage` when allocated: four full records per system call.
    static let storageCapacity = 4 * TLSRecordSize.largestRecord

    /// Wraps `descriptor`.
    init(descriptor: Int32) throws {
        OpenSSLErrorQueue.clear()
        guard let method = SocketTransport.method, let bio = BIO_new(method) else {
            throw TLSError.fromQueue("could not attach the socket")
        }
        self.bio = bio
        self.descriptorStorage = Atomic(descriptor)
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        self.isSocket = getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &length) == 0
        self.canReadAhead = isSocket
        TransportBIO.attach(bio, to: self)
    }

    deinit {
        TransportBIO.detachAndFree(bio)
        storage?.deallocate()
        outgoing.release()
    }

    /// Stops using the socket (its owner detached the descriptor, which may soon name another
    /// file): every later read and write fails with EBADF.
    func forgetDescriptor() {
        descriptorStorage.store(-1, ordering: .relaxed)
    }

    /// The socket, or -1 once forgotten.
    var descriptor: Int32 { descriptorStorage.load(ordering: .relaxed) }

    /// True after ``forgetDescriptor()``.
    var isDetached: Bool { descriptor < 0 }

    /// Peeked bytes not yet handed to OpenSSL (only inside a read).
    var bufferedCount: Int { Int(end - start) }

    // MARK: Reads that peek

    /// A position in what the read in progress handed to OpenSSL, for
    /// ``finishReading(keepingInSocket:)``: the bytes handed over since are
    /// `handedOverMark &- mark`.
    var handedOverMark: UInt32 { handedOverTotal }

    /// Ends a read: the bytes OpenSSL took from peeks leave the socket, except the last `keep`
    /// of them (at most), which stay for `select()` to see until ``takeProcessedBytes()``;
    /// peeked bytes OpenSSL did not take are forgotten (they are still in the socket).
    func finishReading(keepingInSocket keep: Int = 0) {
        let kept = min(keep, Int(handedButInSocket))
        if takeFromSocket(Int(handedButInSocket) - kept) {
            processedInSocket = Int32(kept)
        }
        handedButInSocket = 0
        readAheadLimit = 0
        mayWait = true
        storage?.deallocate()
        storage = nil
        start = 0
        end = 0
    }

    /// Takes from the socket the bytes a read left there for `select()` (see
    /// ``finishReading(keepingInSocket:)``), when the outcome they carried is reported or TLS
    /// ends on this socket (`unwrap()`), so that they never reach OpenSSL or the plaintext twice.
    func takeProcessedBytes() {
        guard processedInSocket > 0 else { return }
        _ = takeFromSocket(Int(processedInSocket))
        processedInSocket = 0
    }

    /// Removes `count` bytes that a peek showed, so they are queued: never waits. `MSG_TRUNC`
    /// makes TCP drop them without copying; other sockets copy them into scratch space (the
    /// storage, or a small buffer outside reads). False when the socket no longer had them
    /// (someone else read it), which ends peeking for good.
    private func takeFromSocket(_ count: Int) -> Bool {
        var remaining = count
        while remaining > 0 {
            let taken: Int
            if let storage {
                taken = recv(descriptor, storage, min(remaining, SocketTransport.storageCapacity),
                             Int32(MSG_TRUNC | MSG_DONTWAIT))
            } else {
                taken = withUnsafeTemporaryAllocation(byteCount: min(remaining, 4096), alignment: 16) { scratch in
                    recv(descriptor, scratch.baseAddress, scratch.count, Int32(MSG_TRUNC | MSG_DONTWAIT))
                }
            }
            if taken < 0 && errno == EINTR { continue }
            guard taken > 0 else {
                canReadAhead = false
                return false
            }
            remaining -= taken
        }
        return true
    }

    /// How many bytes one peek looks at, those OpenSSL asked for included: at least one whole
    /// record of the largest size, and enough records to fill the room the caller's buffer has
    /// left (plus their headers and tags), within the storage.
    private var peekLength: Int {
        let room = Int(readAheadLimit)
        return min(max(TLSRecordSize.largestRecord, room + room / 8 + 256), SocketTransport.storageCapacity)
    }

    // MARK: The BIO callbacks

    /// Serves OpenSSL's request for `count` bytes: from the peeked bytes, else from the socket.
    private func read(into destination: UnsafeMutableRawPointer, count: Int) -> Int {
        if let storage, end > start {
            let step = min(count, bufferedCount)
            destination.copyMemory(from: storage + Int(start), byteCount: step)
            start += Int32(step)
            handedOver(step)
            return step
        }
        if let outcome = deferredOutcome {
            if mayWait { deferredOutcome = nil }
            errno = mayWait ? outcome.errno : EAGAIN
            return mayWait ? Int(outcome.result) : -1
        }
        let got = receive(into: destination, count: count)
        if !mayWait && got <= 0 && !(got < 0 && SocketTransport.isRetryable(errno)) {
            // recv returns 0 or -1 here.
            deferredOutcome = (Int32(got), errno)
            errno = EAGAIN
            return -1
        }
        return got
    }

    /// Notes `count` bytes handed to OpenSSL from a peek.
    private func handedOver(_ count: Int) {
        handedButInSocket = Int32(clamping: Int(handedButInSocket) + count)
        handedOverTotal &+= UInt32(truncatingIfNeeded: count)
    }

    /// One system call, after taking from the socket what OpenSSL already has. Inside a read,
    /// a peek: the first `count` bytes straight to OpenSSL, what follows into `storage`
    /// (`recvmsg` into both). Everything outside a read is read exactly.
    private func receive(into destination: UnsafeMutableRawPointer, count: Int) -> Int {
        // Never blocks: the connection waits with `poll`, outside its lock (TLSConnection).
        let flags = Int32(MSG_DONTWAIT)
        takeProcessedBytes()
        if readAheadLimit > 0 && canReadAhead {
            // What OpenSSL took from the last peek leaves first, so this one starts after it.
            let tookHandedBytes = takeFromSocket(Int(handedButInSocket))
            handedButInSocket = 0
            if tookHandedBytes {
                let got = peek(into: destination, count: count)
                if got >= 0 || (errno != EOPNOTSUPP && errno != EINVAL) { return got }
                canReadAhead = false  // a socket that cannot peek: read exactly from now on
            }
        }
        errno = 0
        if isSocket {
            return recv(descriptor, destination, count, flags)
        }
        return Glibc.read(descriptor, destination, count)
    }

    /// Peeks `count` bytes for OpenSSL and what follows them into `storage`; returns how many
    /// went to OpenSSL (or `recvmsg`'s 0 or -1).
    private func peek(into destination: UnsafeMutableRawPointer, count: Int) -> Int {
        let buffer = storage ?? UnsafeMutableRawPointer.allocate(
            byteCount: SocketTransport.storageCapacity, alignment: 16)
        storage = buffer
        errno = 0
        let got = withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors -> Int in
            vectors[0] = iovec(iov_base: destination, iov_len: count)
            // At most `storageCapacity` in all, so one call takes them back (`takeFromSocket`).
            vectors[1] = iovec(iov_base: buffer, iov_len: max(0, peekLength - count))
            var message = msghdr()
            message.msg_iov = vectors.baseAddress
            message.msg_iovlen = 2
            return recvmsg(descriptor, &message, Int32(MSG_PEEK | MSG_DONTWAIT))
        }
        guard got > 0 else { return got }
        let direct = min(got, count)
        start = 0
        end = Int32(got - direct)  // at most storageCapacity
        handedOver(direct)
        return direct
    }

    /// Takes a record from OpenSSL: gathers it when the write in progress gathers records and
    /// there is room, else sends it (after whatever was gathered before it).
    private func write(from source: UnsafeRawPointer, count: Int) -> Int {
        if !outgoing.isEmpty && !(gathersRecords && outgoing.hasRoom(for: count)) {
            // Fails as a send fails (errno set); OpenSSL then offers the same record again.
            guard sendGatheredRecords() else { return -1 }
        }
        if gathersRecords && outgoing.hasRoom(for: count) {
            outgoing.append(source, count: count)
            return count
        }
        return send(from: source, count: count)
    }

    /// Sends every gathered record. True when none is left; false when a send failed or would
    /// block, with `errno` set, keeping what was not sent for the next call.
    func sendGatheredRecords() -> Bool {
        outgoing.drain(through: send(from:count:))
    }

    /// One system call.
    private func send(from source: UnsafeRawPointer, count: Int) -> Int {
        errno = 0
        if isSocket {
            // MSG_NOSIGNAL: a peer that went away is an EPIPE error, never a SIGPIPE. Never
            // blocks: the connection waits with `poll`, outside its lock (TLSConnection).
            return Glibc.send(descriptor, source, count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        }
        return Self.writeWithoutSIGPIPE(descriptor, source, count)
    }

    /// `write(2)` to a descriptor that is not a socket (a pipe), where there is no MSG_NOSIGNAL:
    /// SIGPIPE is blocked on this thread for the call, and one it raised is taken off the
    /// thread's pending signals, so a reader that went away is an EPIPE error and never kills a
    /// program that does not ignore SIGPIPE (Python ignores it; a Swift program does not).
    private static func writeWithoutSIGPIPE(_ descriptor: Int32, _ source: UnsafeRawPointer, _ count: Int) -> Int {
        var pipeSignal = sigset_t(), previous = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var pendingBefore = sigset_t()
        sigpending(&pendingBefore)
        let alreadyPending = sigismember(&pendingBefore, SIGPIPE) == 1
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        let written = Glibc.write(descriptor, source, count)
        let code = errno
        if written < 0, code == EPIPE, !alreadyPending {
            // The SIGPIPE this write raised, still pending while blocked: take it.
            var none = timespec(tv_sec: 0, tv_nsec: 0)
            while sigtimedwait(&pipeSignal, nil, &none) == -1 && errno == EINTR {}
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        errno = code
        return written
    }

    /// The errors OpenSSL's socket BIO retries after (`BIO_sock_non_fatal_error`).
    private static func isRetryable(_ code: Int32) -> Bool {
        switch code {
        case EINTR, EAGAIN, EINPROGRESS, EALREADY, ENOTCONN, EPROTO: return true
        default: return code == EWOULDBLOCK
        }
    }

    /// The BIO_METHOD, made once; never freed.
    private static let method: OpaquePointer? = {
        let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR
        guard let method = BIO_meth_new(type, "swiftssl socket") else { return nil }
        _ = BIO_meth_set_read_ex(method) { bio, buffer, count, readCount in
            TransportBIO.clearRetryFlags(bio)
            readCount?.pointee = 0
            guard let buffer, count > 0 else { return 0 }
            return TransportBIO.withOwner(of: bio, as: SocketTransport.self) { transport -> Int32 in
                let got = transport.read(into: buffer, count: count)
                if got > 0 {
                    readCount?.pointee = got
                    return 1
                }
                if got == 0 {
                    transport.sawEndOfFile = true
                } else if SocketTransport.isRetryable(errno) {
                    BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY)
                }
                return 0
            } ?? 0
        }
        _ = BIO_meth_set_write_ex(method) { bio, buffer, count, written in
            TransportBIO.clearRetryFlags(bio)
            written?.pointee = 0
            guard let buffer, count > 0 else { return 0 }
            return TransportBIO.withOwner(of: bio, as: SocketTransport.self) { transport -> Int32 in
                let sent = transport.write(from: buffer, count: count)
                if sent > 0 {
                    written?.pointee = sent
                    return 1
                }
                if SocketTransport.isRetryable(errno) {
                    BIO_set_flags(bio, BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY)
                }
                // -1, as OpenSSL's socket BIO: `BIO_write` passes it on, and OpenSSL tells it
                // from 0 (an alert still to send makes SSL_shutdown fail again only on -1).
                return -1
            } ?? -1
        }
        _ = BIO_meth_set_ctrl(method) { bio, command, _, pointer in
            switch command {
            case BIO_CTRL_DUP, BIO_CTRL_SET_CLOSE:
                return 1
            case BIO_CTRL_EOF, BIO_CTRL_FLUSH, BIO_CTRL_PENDING, BIO_C_GET_FD:
                break
            default:
                // BIO_CTRL_GET_CLOSE included: 0 is BIO_NOCLOSE, the descriptor is not ours.
                return 0
            }
            return TransportBIO.withOwner(of: bio, as: SocketTransport.self) { transport -> Int in
                switch command {
                case BIO_CTRL_EOF:
                    return transport.sawEndOfFile ? 1 : 0
                case BIO_CTRL_FLUSH:
                    TransportBIO.clearRetryFlags(bio)
                    if transport.sendGatheredRecords() { return 1 }
                    if SocketTransport.isRetryable(errno) {
                        BIO_set_flags(bio, BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY)
                    }
                    return 0
                case BIO_CTRL_PENDING:
                    return transport.bufferedCount
                default:  // BIO_C_GET_FD
                    pointer?.assumingMemoryBound(to: Int32.self).pointee = transport.descriptor
                    return Int(transport.descriptor)
                }
            } ?? 0
        }
        return method
    }()
}
