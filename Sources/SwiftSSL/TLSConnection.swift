import COpenSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One TLS session over a connected socket or over a pair of ``TLSMemoryBuffer``s. Owns one
/// OpenSSL `SSL` and keeps its ``TLSContext`` alive.
///
/// Socket operations take an ``IOTimeout`` that mirrors the Python socket's timeout, and an
/// `onInterrupt` closure called when a signal interrupts a wait (the Python glue checks
/// signals there; throwing from it abandons the operation).
///
/// Operations may run on several threads at once (one reading while another writes, the usual
/// full-duplex pattern): each OpenSSL call runs under the connection's lock, which OpenSSL
/// requires of an `SSL`, and every wait for the socket happens outside it, so one thread
/// waiting for data never holds up another's write. A socket is therefore always read and
/// written without blocking (`MSG_DONTWAIT`), whatever its own mode; "blocking" is a `poll`
/// without a deadline. The operations, ``takeBytesAfterCloseNotify()`` and ``detachSocket()``
/// take that lock: call them without holding anything a callback needs (the Python glue lets go
/// of the GIL first), except over a ``TLSRecordChannel``, which yields it while it waits.
///
/// ```swift
/// let connection = try TLSConnection(context: context, socket: fd, serverHostname: "example.com")
/// try connection.handshake()
/// ```
public final class TLSConnection {
    /// The owned `SSL*`.
    let ssl: OpaquePointer
    /// The context in force; the server's SNI callback may replace it.
    public private(set) var context: TLSContext
    /// True for the accepting side.
    public let isServerSide: Bool
    /// The peer's close_notify was processed by a read that returned data before it (reads
    /// take every record that has arrived), and no read has reported it yet. Its bytes have left
    /// the socket, so ``pendingCount`` counts it: a `select()` loop that checks `pending()` still
    /// calls the read that returns the end of stream. (Stored next to `isServerSide`: free space.)
    private var closeNotifyAwaitingRead = false
    /// Held by every OpenSSL call of an operation, never during a wait (4 bytes, in the padding
    /// after the two flags).
    private let operationLock = Mutex<Void>(())
    /// The name sent as SNI and checked against the certificate (A-label form), if any.
    public let serverHostname: String?
    /// The socket file descriptor, or -1 for a memory transport. Not owned: never closed here.
    public let socketDescriptor: Int32
    /// How many operations are under way on any thread. While there are two, waits are cut
    /// into slices (``concurrentWaitSlice``), since another thread's operation can take what
    /// one waits for (a write that must finish a handshake waits to read; the reader's own
    /// read may take those records first).
    private let operationsInProgress = Atomic<Int32>(0)
    /// Held by a write (or shutdown) from start to end, waits included, so that writes from
    /// several threads go out one after the other, each whole, rather than interleaved.
    private let writeLock = Mutex<Void>(())
    /// The memory transport's buffers, when there is no socket.
    public let incoming: TLSMemoryBuffer?
    /// Where records for the peer are written, for a memory transport.
    public let outgoing: TLSMemoryBuffer?
    /// The socket's BIO, for a socket transport.
    let socketTransport: SocketTransport?
    /// The BIO over the caller's channel, for a connection made over a ``TLSRecordChannel``.
    let channelTransport: ChannelTransport?
    /// The channel records travel through, for a connection made over one.
    public var channel: TLSRecordChannel? { channelTransport?.channel }
    /// A failure met after a read already had data to return; the next read reports it (and
    /// forgets it), as does every write before that, so no byte and no error is lost or reordered.
    /// Boxed, so the connection holds 8 bytes for it rather than an inline `TLSError?`'s 100.
    private var deferredReadFailure: DeferredFailure?
    /// An opaque pointer for the caller to reach from callbacks (the Python glue keeps its owner
    /// here). Never retained, read or freed by the core: whoever sets it clears it before what it
    /// points at goes away. (A raw pointer rather than a weak reference: weakly referenced Swift
    /// objects cost a side table, and there is one connection per socket.)
    public var userInfo: UnsafeMutableRawPointer?

    /// Starts a session over a connected socket, in either blocking mode (it is read and written
    /// without blocking). A descriptor that is not a socket is read and written as it is, so its
    /// own mode must match the timeouts later passed (blocking for ``IOTimeout/blocking``,
    /// non-blocking otherwise).
    public convenience init(
        context: TLSContext, socket descriptor: Int32, serverSide: Bool = false, serverHostname: String? = nil
    ) throws {
        try self.init(context: context, descriptor: descriptor, incoming: nil, outgoing: nil, channel: nil,
                      serverSide: serverSide, serverHostname: serverHostname)
    }

    /// Starts a session over memory: records from the peer are fed into `incoming`, records for
    /// the peer appear in `outgoing`.
    public convenience init(
        context: TLSContext, incoming: TLSMemoryBuffer, outgoing: TLSMemoryBuffer,
        serverSide: Bool = false, serverHostname: String? = nil
    ) throws {
        try self.init(context: context, descriptor: -1, incoming: incoming, outgoing: outgoing, channel: nil,
                      serverSide: serverSide, serverHostname: serverHostname)
    }

    /// Starts a session over the caller's own buffers: OpenSSL reads the peer's records from
    /// `channel` and writes records for the peer to it, as they are made. Like a memory
    /// transport it never waits. The connection keeps `channel` until it is freed.
    public convenience init(
        context: TLSContext, channel: TLSRecordChannel, serverSide: Bool = false, serverHostname: String? = nil
    ) throws {
        try self.init(context: context, descriptor: -1, incoming: nil, outgoing: nil, channel: channel,
                      serverSide: serverSide, serverHostname: serverHostname)
    }

    private init(
        context: TLSContext, descriptor: Int32, incoming: TLSMemoryBuffer?, outgoing: TLSMemoryBuffer?,
        channel: TLSRecordChannel?, serverSide: Bool, serverHostname: String?
    ) throws {
        let hostname = try TLSConnection.validatedHostname(serverHostname, context: context, serverSide: serverSide)
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.sslContext) else {
            throw TLSError.fromQueue("failed to allocate SSL object")
        }
        self.ssl = ssl
        self.context = context
        self.isServerSide = serverSide
        self.serverHostname = hostname
        self.socketDescriptor = descriptor
        self.incoming = incoming
        self.outgoing = outgoing
        self.channelTransport = try channel.map(ChannelTransport.init(channel:))
        self.socketTransport = incoming == nil && channel == nil ? try SocketTransport(descriptor: descriptor) : nil
        // Unretained back-pointer: the SSL object dies with this connection.
        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque())
        if let incoming, let outgoing {
            // SSL_set_bio takes one reference to each; ours stay with the buffers.
            BIO_up_ref(incoming.bio)
            BIO_up_ref(outgoing.bio)
            SSL_set_bio(ssl, incoming.bio, outgoing.bio)
        } else if let channelTransport {
            // SSL_set_bio takes one reference (rbio and wbio are the same BIO); ours stays.
            BIO_up_ref(channelTransport.bio)
            SSL_set_bio(ssl, channelTransport.bio, channelTransport.bio)
        } else if let socketTransport {
            // SSL_set_bio takes one reference (rbio and wbio are the same BIO); ours stays.
            BIO_up_ref(socketTransport.bio)
            SSL_set_bio(ssl, socketTransport.bio, socketTransport.bio)
        }
        if context.postHandshakeAuthentication {
            if serverSide {
                let mode = SSL_get_verify_mode(ssl)
                if mode & SSL_VERIFY_PEER != 0 {
                    SSL_set_verify(ssl, mode | SSL_VERIFY_POST_HANDSHAKE, nil)
                }
            } else {
                SSL_set_post_handshake_auth(ssl, 1)
            }
        }
        if serverSide {
            // CPython's session id context, on the server side only, as CPython sets it: tickets
            // are then as long as the stdlib's, and a client's sessions keep none, which TLS 1.3
            // needs to accept the server's choice of an external PSK (its session has none).
            _ = SSL_set_session_id_context(ssl, TLSConnection.sessionIDContext, UInt32(TLSConnection.sessionIDContext.count))
            SSL_set_accept_state(ssl)
        } else {
            SSL_set_connect_state(ssl)
            if let hostname { try configureHostname(hostname) }
        }
    }

    /// The session id context of server-side connections: CPython's (`"Python"` with its NUL).
    static let sessionIDContext = Array("Python\0".utf8)

    deinit {
        // Freeing an SSL that never sent close_notify makes OpenSSL mark its session
        // unresumable, and that SSL_SESSION may be shared with a TLSSession a caller kept for
        // resumption. Mark the connection as shut down first, as CPython 3.13 does.
        SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_get_shutdown(ssl))
        SSL_free(ssl)
    }

    /// The connection whose `SSL*` this is, via the back-pointer set at creation.
    static func owner(of ssl: OpaquePointer) -> TLSConnection? {
        guard let pointer = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<TLSConnection>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// CPython's rules for `server_hostname`, plus U-labels converted to A-labels.
    static func validatedHostname(_ hostname: String?, context: TLSContext, serverSide: Bool) throws -> String? {
        if serverSide {
            if hostname != nil {
                throw TLSError.invalidArgument("server_hostname can only be specified in client mode")
            }
            return nil
        }
        guard let hostname else {
            if context.checkHostname {
                throw TLSError.invalidArgument("check_hostname requires server_hostname")
            }
            return nil
        }
        if hostname.isEmpty || hostname.hasPrefix(".") {
            throw TLSError.invalidArgument("server_hostname cannot be an empty string or start with a leading dot.")
        }
        if hostname.utf8.contains(0) {
            throw TLSError(kind: .invalidArgument, message: "embedded null character")
        }
        return try Punycode.toASCII(hostname)
    }

    /// Sends SNI for names (never for IP addresses) and, when the context checks hostnames,
    /// makes OpenSSL verify the name or address during the handshake.
    private func configureHostname(_ hostname: String) throws {
        OpenSSLErrorQueue.clear()
        let address = a2i_IPADDRESS(hostname)
        defer { if let address { ASN1_OCTET_STRING_free(address) } }
        if address == nil {
            OpenSSLErrorQueue.clear()
            if CSwiftSSL_SSL_set_tlsext_host_name(ssl, hostname) != 1 {
                throw TLSError.fromQueue("could not set SNI name", kind: .invalidArgument)
            }
        }
        guard context.checkHostname else { return }
        let parameters = SSL_get0_param(ssl)
        let result: Int32
        if let address {
            result = X509_VERIFY_PARAM_set1_ip(parameters, ASN1_STRING_get0_data(address), Int(ASN1_STRING_length(address)))
        } else {
            result = X509_VERIFY_PARAM_set1_host(parameters, hostname, hostname.utf8.count)
        }
        if result != 1 {
            throw TLSError.fromQueue("could not set the hostname to verify", kind: .invalidArgument)
        }
    }

    /// Moves the connection to another context (from a server's SNI callback), which then
    /// supplies the certificate and key for the rest of the handshake.
    public func switchContext(to newContext: TLSContext) {
        SSL_set_SSL_CTX(ssl, newContext.sslContext)
        context = newContext
    }

    // MARK: Operations

    /// Runs the handshake to completion.
    public func handshake(timeout: IOTimeout = .blocking, onInterrupt: () throws -> Void = {}) throws {
        try checkSocketAttached()
        try inOperation {
            _ = try perform("handshake", timeout: timeout, onInterrupt: onInterrupt) { ssl in
                (SSL_do_handshake(ssl), 0)
            }
        }
    }

    /// How many bytes from the peer wait in the memory buffer or channel, not yet taken by
    /// OpenSSL (0 over a socket).
    public var bufferedIncomingCount: Int {
        incoming?.pendingCount ?? channelTransport?.channel.pendingCount ?? 0
    }

    /// The most plaintext one TLS record carries (2^14 bytes).
    public static let maximumRecordPayload = 16384

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
            while true {
                switch try exclusively({ try readWithoutWaiting(into: buffer) }) {
                case .success(let count):
                    return count
                case .failure(let failure):
                    if try !waitToRetry(failure, operation: "read", timeout: timeout, onInterrupt: onInterrupt) {
                        throw failure
                    }
                }
            }
        }
    }

    /// One attempt of ``read(into:timeout:onInterrupt:)``, under the lock: the first record
    /// (or WANT_READ/WANT_WRITE, to wait for), then every record already here.
    private func readWithoutWaiting(into buffer: UnsafeMutableRawBufferPointer) throws -> Result<Int, TLSError> {
        closeNotifyAwaitingRead = false
        if let failure = deferredReadFailure {
            deferredReadFailure = nil
            throw failure.error
        }
        guard isHandshakeComplete, SSL_get_current_compression(ssl) == nil,
              socketTransport?.canReadAhead ?? true else {
            return readRecord(into: buffer)
        }
        guard let transport = socketTransport else {
            return readRecord(into: buffer).map { readRecordsAlreadyHere(into: buffer, after: $0) }
        }
        defer {
            transport.readAheadCapacity = 0
            transport.mayWait = true
            transport.releaseStorageIfEmpty()
        }
        transport.readAheadCapacity = buffer.count
        return readRecord(into: buffer).map { first in
            // More only from what is already here: a record that is not complete yet waits for
            // the next call rather than delaying the bytes this one has.
            transport.mayWait = false
            return readRecordsAlreadyHere(into: buffer, after: first)
        }
    }

    /// After a read put `delivered` bytes into `buffer`: adds what the records already here
    /// hold, up to the buffer's size. A failure met on the way is kept for the next read (the
    /// bytes before it are returned first); running out of records ends it.
    private func readRecordsAlreadyHere(into buffer: UnsafeMutableRawBufferPointer, after delivered: Int) -> Int {
        var delivered = delivered
        while delivered > 0 && delivered < buffer.count {
            socketTransport?.readAheadCapacity = buffer.count - delivered
            switch readRecord(into: UnsafeMutableRawBufferPointer(rebasing: buffer[delivered...])) {
            case .success(0):  // the peer's close_notify: the next read returns 0 again
                closeNotifyAwaitingRead = true
                return delivered
            case .success(let got):
                delivered += got
            case .failure(let failure):
                switch failure.kind {
                case .wantRead, .wantWrite:
                    break  // nothing more has arrived
                case .zeroReturn:
                    closeNotifyAwaitingRead = true  // the stream has ended
                default:
                    deferredReadFailure = DeferredFailure(error: failure)
                }
                return delivered
            }
        }
        return delivered
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

    /// What the peer sent after its close_notify that a read already took from the socket
    /// (several records are read at once): the start of the plaintext that follows TLS, for
    /// `unwrap()` to hand on. Empty unless the peer's close_notify was received; taking clears it.
    public func takeBytesAfterCloseNotify() -> [UInt8] {
        exclusively {
            guard let transport = socketTransport, SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN != 0 else { return [] }
            return transport.takeBufferedBytes()
        }
    }

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
            let code: Int32 = exclusively { transport.sendGatheredRecords() ? 0 : errno }
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
        var zeros = 0
        while true {
            let failure: TLSError? = exclusively {
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

    /// Stops using the socket: its owner detached the descriptor (Python's `socket.detach()`),
    /// which may soon name an unrelated file. Later operations fail (EBADF; shutdown with
    /// CPython's "Underlying socket connection gone") and never touch that descriptor.
    public func detachSocket() {
        exclusively { socketTransport?.forgetDescriptor() }
    }

    /// Fails as the detached socket itself would (EBADF) once ``detachSocket()`` was called.
    private func checkSocketAttached() throws {
        if socketTransport?.isDetached == true {
            throw TLSError.system(errno: EBADF, message: String(cString: strerror(EBADF)))
        }
    }

    /// Asks the client for its certificate after the handshake (TLS 1.3, server side, with
    /// post-handshake authentication enabled); the request goes out with the next write or read.
    public func requestPostHandshakeAuthentication() throws {
        OpenSSLErrorQueue.clear()
        if SSL_verify_client_post_handshake(ssl) != 1 {
            throw TLSError.fromQueue("post-handshake authentication failed")
        }
    }

    /// Decrypted bytes buffered and readable without touching the socket.
    ///
    /// An outcome a read met after the data it returned (the peer's close_notify, a bad record,
    /// an alert) counts as 1 until a read reports it: the bytes that carried it have left the
    /// socket, and this keeps CPython's rule that `pending()` or `select()` shows whatever a read
    /// would return without waiting.
    public var pendingCount: Int {
        Int(SSL_pending(ssl)) + (closeNotifyAwaitingRead || deferredReadFailure != nil ? 1 : 0)
    }

    /// True once the handshake has completed.
    public var isHandshakeComplete: Bool {
        SSL_is_init_finished(ssl) == 1
    }

    /// The negotiated protocol (`"TLSv1.3"`), or nil before the handshake completes.
    public var negotiatedVersion: String? {
        guard isHandshakeComplete, let name = SSL_get_version(ssl) else { return nil }
        let version = String(cString: name)
        return version == "unknown" ? nil : version
    }

    /// The negotiated cipher suite, or nil before the handshake.
    public var negotiatedCipher: CipherDescription? {
        SSL_get_current_cipher(ssl).map(CipherDescription.init)
    }

    /// The peer's certificate, or nil when it sent none or the handshake has not happened.
    public var peerCertificate: Certificate? {
        SSL_get1_peer_certificate(ssl).map { Certificate(taking: $0) }
    }

    /// The SNI name the client sent (server side), or the one we sent (client side).
    public var requestedServerName: String? {
        SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
    }

    /// The X.509 verification result (`X509_V_OK` is 0).
    public var verifyResult: Int {
        Int(SSL_get_verify_result(ssl))
    }

    // MARK: The retry loop

    /// Runs `body` as one operation: counted in ``operationsInProgress`` while it runs.
    private func inOperation<Result>(_ body: () throws -> Result) throws -> Result {
        operationsInProgress.add(1, ordering: .relaxed)
        defer { operationsInProgress.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// Runs `body` (OpenSSL calls that never wait) holding the connection's lock.
    private func exclusively<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try holding(operationLock, body)
    }

    /// Runs `body` holding ``writeLock``, waiting for it as `timeout` allows over a socket (a
    /// non-blocking write finding another under way wants to write; one with a deadline times
    /// out as a socket wait would). Memory and channel writes never wait, so neither does the lock.
    private func holdingWriteLock<Result>(timeout: IOTimeout, _ body: () throws -> Result) throws -> Result {
        if socketDescriptor < 0 || timeout == .blocking { return try holding(writeLock, body) }
        while true {
            if let result = try writeLock.withLockIfAvailable({ _ in try body() }) { return result }
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
    private func holding<Result, Failure: Error>(
        _ lock: borrowing Mutex<Void>, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard let channel = channelTransport?.channel else {
            return try lock.withLock { _ throws(Failure) in try body() }
        }
        while true {
            if let result = try lock.withLockIfAvailable({ _ throws(Failure) in try body() }) {
                return result
            }
            channel.yieldToOtherThreads()
        }
    }

    /// Runs `attempt` until it succeeds, waiting on the socket as `timeout` allows; each
    /// attempt under the lock, each wait outside it.
    private func perform(
        _ operation: String, timeout: IOTimeout, onInterrupt: () throws -> Void,
        _ attempt: (OpaquePointer) -> (Int32, Int)
    ) throws -> Int {
        while true {
            switch exclusively({ attemptOnce(attempt) }) {
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
    private func attemptOnce(_ attempt: (OpaquePointer) -> (Int32, Int)) -> Result<Int, TLSError> {
        OpenSSLErrorQueue.clear()
        let (result, count) = attempt(ssl)
        let savedErrno = errno
        if result == 1 { return .success(count) }
        return .failure(classify(result: result, savedErrno: savedErrno))
    }

    /// For WANT_READ/WANT_WRITE: waits as the timeout allows and returns true to retry; returns
    /// false for every other failure, and throws when the wait itself ends the operation.
    private func waitToRetry(
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
            switch try SocketWaiter.wait(descriptor: socketDescriptor, forWriting: forWriting, until: until) {
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

    /// Maps `SSL_get_error` and the drained queue to a typed error, as CPython's `PySSL_SetError`.
    func classify(result: Int32, savedErrno: Int32) -> TLSError {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ:
            return TLSError(kind: .wantRead, code: TLSError.codeWantRead,
                            message: "The operation did not complete (read) (swiftssl)")
        case SSL_ERROR_WANT_WRITE:
            return TLSError.wantWrite
        case SSL_ERROR_ZERO_RETURN:
            return TLSError(kind: .zeroReturn, code: TLSError.codeZeroReturn,
                            message: "TLS/SSL connection has been closed (EOF) (swiftssl)")
        case SSL_ERROR_SYSCALL:
            let entries = OpenSSLErrorQueue.drain()
            if !entries.isEmpty {
                return TLSError.from(entries: entries, fallback: "Some I/O error occurred", kind: .syscall)
            }
            // SSL_read_ex/SSL_write_ex report failure as 0, which CPython always reads as EOF;
            // only the handshake and shutdown (which return -1) surface the OS error itself.
            if result < 0 && socketDescriptor < 0 {
                // No socket to ask (CPython's SSLObject): a -1 with nothing queued, as from a
                // handshake retried after it failed, is CPython's "Some I/O error occurred".
                return TLSError(kind: .syscall, code: TLSError.codeSyscall, message: "Some I/O error occurred (swiftssl)")
            }
            if result < 0 && savedErrno != 0 && savedErrno != EAGAIN {
                return TLSError.system(errno: savedErrno, message: String(cString: strerror(savedErrno)))
            }
            return TLSError.eofInViolationOfProtocol
        default:
            return classifyLibraryFailure(OpenSSLErrorQueue.drain())
        }
    }

    private func classifyLibraryFailure(_ entries: [OpenSSLErrorEntry]) -> TLSError {
        guard let last = entries.last, last.libraryCode == ERR_LIB_SSL else {
            return TLSError.from(entries: entries, fallback: "A failure in the SSL library occurred (swiftssl)")
        }
        if last.reasonCode == SSL_R_UNEXPECTED_EOF_WHILE_READING {
            return TLSError(
                kind: .eof, code: TLSError.codeEOF,
                message: TLSError.formatMessage(library: last.library, reason: last.reason,
                                                text: "EOF occurred in violation of protocol"),
                library: last.library, reason: last.reason, openSSLErrors: entries)
        }
        if last.reasonCode == SSL_R_CERTIFICATE_VERIFY_FAILED {
            let verifyCode = verifyResult
            let verifyMessage: String
            switch Int32(verifyCode) {
            case X509_V_ERR_HOSTNAME_MISMATCH:
                verifyMessage = "Hostname mismatch, certificate is not valid for '\(serverHostname ?? "")'."
            case X509_V_ERR_IP_ADDRESS_MISMATCH:
                verifyMessage = "IP address mismatch, certificate is not valid for '\(serverHostname ?? "")'."
            default:
                verifyMessage = X509_verify_cert_error_string(verifyCode).map { String(cString: $0) } ?? "unknown error"
            }
            return TLSError(
                kind: .certificateVerification, code: TLSError.codeSSL,
                message: TLSError.formatMessage(library: last.library, reason: last.reason,
                                                text: "\(last.text): \(verifyMessage)"),
                library: last.library, reason: last.reason, verifyCode: verifyCode,
                verifyMessage: verifyMessage, openSSLErrors: entries)
        }
        return TLSError.from(entries: entries, fallback: "A failure in the SSL library occurred (swiftssl)")
    }
}

/// A failure kept for the next operation of a connection.
private final class DeferredFailure {
    let error: TLSError

    init(error: TLSError) {
        self.error = error
    }
}
