import COpenSSL

extension TLSConnection {
    /// How many bytes from the peer wait in the memory buffer or channel, not yet taken by
    /// OpenSSL (0 over a socket).
    public var bufferedIncomingCount: Int {
        incoming?.pendingCount ?? channelTransport?.channel.pendingCount ?? 0
    }

    /// Reads decrypted bytes into `buffer`; returns how many: at least 1 unless `buffer` is
    /// empty, waiting as `timeout` allows for the first, and then everything else that has
    /// already arrived, up to the buffer's size (several records per call: over a socket as a
    /// plain TCP `recv` returns all it has, over memory buffers all the complete records the
    /// incoming buffer holds). A clean close by the peer returns 0 (the peer's close_notify);
    /// other failures throw, after the bytes that preceded them were returned.
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: IOTimeout = .blocking,
                     onInterrupt: () throws -> Void = {}) throws -> Int {
        try checkSocketAttached()
        guard buffer.baseAddress != nil, buffer.count > 0 else { return 0 }
        return try inOperation {
            // When the last read had to wait and nothing is here yet, wait for the socket before
            // asking OpenSSL. A socket that is ready at once means the bytes keep coming: reads
            // then go straight to OpenSSL again.
            var waited = false
            if timeout != .nonBlocking, try exclusively({ lastReadWaited && nothingToReadWithoutWaiting }),
               !SocketWaiter.isReady(descriptor: socketDescriptor, forWriting: false) {
                waited = try waitToRetry(TLSError.wantRead, operation: "read", timeout: timeout, onInterrupt: onInterrupt)
            }
            while true {
                let attempt = try exclusively {
                    let result = try readWithoutWaiting(into: buffer)
                    if case .success = result { lastReadWaited = waited }
                    return result
                }
                switch attempt {
                case .success(let count):
                    return count
                case .failure(let failure):
                    if try !waitToRetry(failure, operation: "read", timeout: timeout, onInterrupt: onInterrupt) {
                        throw failure
                    }
                    waited = true
                }
            }
        }
    }

    /// Over a socket, after the handshake: OpenSSL holds no bytes it has not processed, and
    /// neither does the transport, so a read would first have to wait for the peer (under the lock).
    private var nothingToReadWithoutWaiting: Bool {
        guard let transport = socketTransport, transport.isSocket, isHandshakeComplete, !closeNotifyAwaitingRead,
              deferredReadFailure == nil else { return false }
        return transport.holdsNothingToRead && SSL_has_pending(ssl) == 0
    }

    /// One attempt of ``read(into:timeout:onInterrupt:)``, under the lock: the first record
    /// (or WANT_READ/WANT_WRITE, to wait for), then every record already here.
    private func readWithoutWaiting(into buffer: UnsafeMutableRawBufferPointer) throws -> Result<Int, TLSError> {
        closeNotifyAwaitingRead = false
        // The record of an outcome reported now leaves the socket, where it waited for select().
        socketTransport?.takeProcessedBytes()
        if let failure = deferredReadFailure {
            deferredReadFailure = nil
            throw failure.error
        }
        guard isHandshakeComplete, SSL_get_current_compression(ssl) == nil,
              socketTransport?.canReadAhead ?? true else {
            return readRecord(into: buffer)
        }
        guard let transport = socketTransport else {
            return readRecord(into: buffer).map { readRecordsAlreadyHere(into: buffer, after: $0).delivered }
        }
        var keptInSocket = 0
        defer { transport.finishReading(keepingInSocket: keptInSocket) }
        transport.readAheadCapacity = buffer.count
        return readRecord(into: buffer).map { first in
            // More only from what is already here: a record that is not complete yet waits for
            // the next call rather than delaying the bytes this one has.
            transport.mayWait = false
            let (delivered, endRecordBytes) = readRecordsAlreadyHere(into: buffer, after: first)
            keptInSocket = endRecordBytes
            return delivered
        }
    }

    /// After a read put `delivered` bytes into `buffer`: adds what the records already here
    /// hold, up to the buffer's size. A failure met on the way is kept for the next read (the
    /// bytes before it are returned first), and so is the peer's close_notify; running out of
    /// records ends it. Also returns how many bytes the socket transport handed to OpenSSL for
    /// that kept outcome, which stay in the socket until it is reported (0 if none).
    private func readRecordsAlreadyHere(into buffer: UnsafeMutableRawBufferPointer,
                                        after delivered: Int) -> (delivered: Int, endRecordBytes: Int) {
        var delivered = delivered
        while delivered > 0 && delivered < buffer.count {
            socketTransport?.readAheadCapacity = buffer.count - delivered
            let mark = socketTransport?.handedOverMark ?? 0
            var endRecordBytes: Int { Int((socketTransport?.handedOverMark ?? 0) &- mark) }
            switch readRecord(into: UnsafeMutableRawBufferPointer(rebasing: buffer[delivered...])) {
            case .success(0):  // the peer's close_notify: the next read returns 0 again
                closeNotifyAwaitingRead = true
                return (delivered, endRecordBytes)
            case .success(let got):
                delivered += got
            case .failure(let failure):
                switch failure.kind {
                case .wantRead, .wantWrite:
                    return (delivered, 0)  // nothing more has arrived
                case .zeroReturn:
                    closeNotifyAwaitingRead = true  // the stream has ended
                default:
                    deferredReadFailure = DeferredFailure(error: failure)
                }
                return (delivered, endRecordBytes)
            }
        }
        return (delivered, 0)
    }

    /// One `SSL_read`, without waiting: at most one record's plaintext, or the failure.
    private func readRecord(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, TLSError> {
        guard let base = buffer.baseAddress else { return .success(0) }
        let outcome = attemptOnce { ssl in
            var count = 0
            let result = SSL_read_ex(ssl, base, buffer.count, &count)
            return (result, count)
        }
        if case .failure(let error) = outcome, error.kind == .zeroReturn,
           SSL_get_shutdown(ssl) == SSL_RECEIVED_SHUTDOWN {
            // The peer's close_notify before ours is an orderly end of stream, as in CPython.
            return .success(0)
        }
        return outcome
    }

    /// Decrypted bytes buffered and readable without touching the socket, as OpenSSL's
    /// `SSL_pending`.
    ///
    /// Over memory buffers, an outcome a read met after the data it returned (the peer's
    /// close_notify, a bad record, an alert) also counts as 1 until a read reports it: the
    /// bytes that carried it have left the incoming buffer. Over a socket those bytes stay in
    /// the socket until then, so `select()` shows it, as with CPython's one-record reads.
    ///
    /// Read without the connection's lock, as CPython calls `SSL_pending` (taking it could wait
    /// for an operation whose callback needs what the caller holds, Python's GIL): while another
    /// thread reads, the count may be stale. Never negative, so a caller sizing a buffer by it
    /// cannot be handed a negative size.
    public var pendingCount: Int {
        let outcomeAwaitsRead = socketTransport == nil && (closeNotifyAwaitingRead || deferredReadFailure != nil)
        return max(0, Int(SSL_pending(ssl))) + (outcomeAwaitsRead ? 1 : 0)
    }
}
