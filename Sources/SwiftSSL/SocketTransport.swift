import COpenSSL
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
/// may take several records from the socket in one system call. It never takes more bytes than
/// the caller's buffer has room for, counting the incomplete record it already holds, so every
/// record it finishes reading is decrypted into that buffer before the read returns. What can be
/// left behind is only the start of a record whose rest is still to arrive: a caller that
/// `select()`s on the socket after a read misses nothing, as with OpenSSL's exact reads.
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
    /// Bytes read from the socket and not yet handed to OpenSSL: `storage[start..<end]`.
    private var storage: UnsafeMutableRawPointer?
    /// Records encrypted and not yet sent.
    private var outgoing = OutgoingRecords()
    /// Stored `readAheadCapacity`, clamped.
    private var readAheadLimit: Int32 = 0
    private var start: Int32 = 0
    private var end: Int32 = 0
    /// The socket, or -1 once ``forgetDescriptor()`` was called. Not owned.
    private(set) var descriptor: Int32
    /// End of file or a socket error met by a read that must not wait: kept for the next read
    /// that may, so OpenSSL only learns of it when the caller asks for more (an EOF seen early
    /// would make OpenSSL fail the connection, and drop its session, before the caller read
    /// the bytes that came first).
    private var deferredOutcome: (result: Int32, errno: Int32)?
    /// Record boundaries in everything taken from the socket.
    private(set) var framing = TLSRecordFraming()
    /// False for descriptors that are not sockets: then `read`/`write` are used and nothing
    /// is read ahead, since only sockets can be read without blocking per call.
    let isSocket: Bool
    /// Whether the read in progress may wait for the socket (false after it already has data to
    /// return): only then does an end of file or socket error met reach OpenSSL.
    var mayWait = true
    /// True once a read returned end of file.
    private(set) var sawEndOfFile = false
    /// Whether a read would have to ask the socket: nothing is stored here, and no end of file
    /// or error is kept for the next read.
    var holdsNothingToRead: Bool { end == start && deferredOutcome == nil }
    /// True inside a write that gathers records; see ``OutgoingRecords``.
    var gathersRecords = false

    /// How many more decrypted bytes the read in progress can take; 0 outside a read, which
    /// means "read exactly what OpenSSL asks for". (Anything above the read-ahead buffer's
    /// size reads the same, so it is kept as an `Int32`.)
    var readAheadCapacity: Int {
        get { Int(readAheadLimit) }
        set { readAheadLimit = Int32(clamping: newValue) }
    }

    /// The size of `storage` when allocated: four full records per system call.
    static let storageCapacity = 4 * (TLSRecordFraming.headerLength + TLSRecordFraming.maximumBodyLength)

    /// Wraps `descriptor`.
    init(descriptor: Int32) throws {
        OpenSSLErrorQueue.clear()
        guard let method = SocketTransport.method, let bio = BIO_new(method) else {
            throw TLSError.fromQueue("could not attach the socket")
        }
        self.bio = bio
        self.descriptor = descriptor
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        self.isSocket = getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &length) == 0
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
        descriptor = -1
    }

    /// True after ``forgetDescriptor()``.
    var isDetached: Bool { descriptor < 0 }

    /// Bytes taken from the socket that OpenSSL has not consumed.
    var bufferedCount: Int { Int(end - start) }

    /// True when reads may take more than OpenSSL asks for (a socket whose records are tracked).
    var canReadAhead: Bool { isSocket && framing.isSynchronized }

    /// Hands over the buffered bytes and forgets them: after the peer's close_notify these are
    /// whatever it sent next, which belongs to the plaintext stream that follows TLS.
    func takeBufferedBytes() -> [UInt8] {
        guard let storage, end > start else { return [] }
        let bytes = Array(UnsafeRawBufferPointer(start: storage + Int(start), count: bufferedCount))
        releaseStorageIfEmpty(force: true)
        return bytes
    }

    /// Frees the read-ahead buffer when it holds nothing, so idle connections cost nothing.
    func releaseStorageIfEmpty(force: Bool = false) {
        guard let buffer = storage, force || start == end else { return }
        buffer.deallocate()
        storage = nil
        start = 0
        end = 0
    }

    // MARK: The BIO callbacks

    /// Serves OpenSSL's request for `count` bytes: from the buffer, else from the socket.
    private func read(into destination: UnsafeMutableRawPointer, count: Int) -> Int {
        if let storage, end > start {
            let step = min(count, bufferedCount)
            destination.copyMemory(from: storage + Int(start), byteCount: step)
            start += Int32(step)
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

    /// One system call. While OpenSSL reads a record's body, and the caller's buffer has room
    /// for more than this record, the body goes straight to OpenSSL and what follows it into
    /// the buffer (`recvmsg` into both): as many records as fit, in one call, copied once more
    /// only for the records after the first. Headers, and everything outside a read, are read
    /// exactly.
    private func receive(into destination: UnsafeMutableRawPointer, count: Int) -> Int {
        // Never blocks: the connection waits with `poll`, outside its lock (TLSConnection).
        let flags = Int32(MSG_DONTWAIT)
        // Room for every byte of the record in progress and of those after it, so each record
        // this read completes fits in what the caller can take (a record's plaintext is shorter
        // than the record).
        let readAhead = canReadAhead && framing.isReadingBody
            ? readAheadCapacity - framing.bytesIntoIncompleteRecord - count : 0
        errno = 0
        if readAhead >= TLSRecordFraming.headerLength {
            let buffer = storage ?? UnsafeMutableRawPointer.allocate(
                byteCount: SocketTransport.storageCapacity, alignment: 16)
            storage = buffer
            let got = withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors -> Int in
                vectors[0] = iovec(iov_base: destination, iov_len: count)
                vectors[1] = iovec(iov_base: buffer, iov_len: min(readAhead, SocketTransport.storageCapacity))
                var message = msghdr()
                message.msg_iov = vectors.baseAddress
                message.msg_iovlen = 2
                return recvmsg(descriptor, &message, flags)
            }
            guard got > 0 else { return got }
            let direct = min(got, count)
            framing.observe(UnsafeRawBufferPointer(start: destination, count: direct))
            if got > count {
                framing.observe(UnsafeRawBufferPointer(start: buffer, count: got - count))
                start = 0
                end = Int32(got - count)  // at most storageCapacity
            }
            return direct
        }
        let got: Int
        if isSocket {
            got = recv(descriptor, destination, count, flags)
        } else {
            got = Glibc.read(descriptor, destination, count)
        }
        if got > 0 { framing.observe(UnsafeRawBufferPointer(start: destination, count: got)) }
        return got
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
        return Glibc.write(descriptor, source, count)
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
