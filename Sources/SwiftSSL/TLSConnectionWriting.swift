import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension TLSConnection {
    /// The most plaintext one TLS record carries (2^14 bytes).
    public static let maximumRecordPayload = 16384

    /// Encrypts and sends all of `bytes`; returns the count (always all of it on success).
    ///
    /// Over a socket that may be waited on, a write longer than one record sends its records
    /// up to three per system call rather than one, and has sent them all when it returns.
    public func write(_ bytes: UnsafeRawBufferPointer, timeout: IOTimeout = .blocking,
                      onInterrupt: () throws -> Void = {}) throws -> Int {
        try checkSocketAttached()
        return try inOperation {
            try holdingWriteLock(timeout: timeout) {
                try writeHoldingWriteLock(bytes, timeout: timeout, onInterrupt: onInterrupt)
            }
        }
    }

    /// ``write(_:timeout:onInterrupt:)``, once no other write is under way.
    private func writeHoldingWriteLock(_ bytes: UnsafeRawBufferPointer, timeout: IOTimeout,
                                       onInterrupt: () throws -> Void) throws -> Int {
        // A read that returned data already met the peer's fatal alert or a bad record after
        // it; OpenSSL would now refuse the write with a bare "connection closed", so report
        // the cause.
        try exclusively {
            if let failure = deferredReadFailure { throw failure.error }
        }
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            // Empty writes go to OpenSSL too, as CPython's do: before the handshake one runs
            // the handshake (or wants to read), after a failure it raises, otherwise it
            // returns 0.
            var nothing: UInt8 = 0
            return try withUnsafeMutablePointer(to: &nothing) { pointer in
                try perform("write", timeout: timeout, onInterrupt: onInterrupt) { ssl in
                    var count = 0
                    return (SSL_write_ex(ssl, pointer, 0, &count), count)
                }
            }
        }
        let gathering = bytes.count > TLSConnection.maximumRecordPayload && timeout != .nonBlocking
            && socketTransport?.isSocket == true ? socketTransport : nil
        let written = try perform("write", timeout: timeout, onInterrupt: onInterrupt) { ssl in
            // Set and cleared under the lock, so another thread's records are never gathered.
            gathering?.gathersRecords = true
            defer { gathering?.gathersRecords = false }
            var count = 0
            let result = SSL_write_ex(ssl, base, bytes.count, &count)
            return (result, count)
        }
        if let gathering { try sendGatheredRecords(of: gathering, timeout: timeout, onInterrupt: onInterrupt) }
        return written
    }

    /// Sends the records `transport` gathered during a write, waiting as `timeout` allows. A
    /// socket error fails the write as OpenSSL's own failed send would (`SSLEOFError`, as in
    /// CPython); on a timeout what is left goes out before anything the next write sends.
    private func sendGatheredRecords(of transport: SocketTransport, timeout: IOTimeout,
                                     onInterrupt: () throws -> Void) throws {
        while true {
            let code: Int32 = try exclusively { transport.sendGatheredRecords() ? 0 : errno }
            if code == 0 { return }
            guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                throw TLSError.eofInViolationOfProtocol
            }
            _ = try waitToRetry(TLSError.wantWrite, operation: "write", timeout: timeout, onInterrupt: onInterrupt)
        }
    }

    /// Sends close_notify and waits for the peer's, as CPython's `unwrap()` does: two
    /// `SSL_shutdown` calls at most, so a peer that never answers cannot keep us forever.
    public func shutdown(timeout: IOTimeout = .blocking, onInterrupt: () throws -> Void = {}) throws {
        // After any write under way: its records go out before close_notify.
        try inOperation {
            try holdingWriteLock(timeout: timeout) {
                try shutdownHoldingWriteLock(timeout: timeout, onInterrupt: onInterrupt)
            }
        }
    }

    /// ``shutdown(timeout:onInterrupt:)``, once no write is under way.
    private func shutdownHoldingWriteLock(timeout: IOTimeout, onInterrupt: () throws -> Void) throws {
        if socketTransport?.isDetached == true {
            throw TLSError(kind: .ssl, code: 0, message: "Underlying socket connection gone (swiftssl)")
        }
        // A close_notify a read met after its data, left in the socket for select(): it must
        // not reach the plaintext that may follow TLS on this socket.
        try exclusively { socketTransport?.takeProcessedBytes() }
        var zeros = 0
        while true {
            let failure: TLSError? = try exclusively {
                while true {
                    OpenSSLErrorQueue.clear()
                    let result = SSL_shutdown(ssl)
                    if result > 0 { return nil }
                    if result == 0 {
                        zeros += 1
                        if zeros > 1 { return nil }
                        continue
                    }
                    let savedErrno = errno
                    return classify(result: result, savedErrno: savedErrno)
                }
            }
            guard let failure else { return }
            if try !waitToRetry(failure, operation: "shutdown", timeout: timeout, onInterrupt: onInterrupt) {
                throw failure
            }
        }
    }
}
