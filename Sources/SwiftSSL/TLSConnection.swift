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
/// without a deadline. The operations and ``detachSocket()`` take that lock: call them without
/// holding anything a callback needs (the Python glue lets go of the GIL first), except over a
/// ``TLSRecordChannel``, which yields it while it waits. An operation started on a thread
/// already inside one on the same connection (from a callback) throws
/// ``TLSError/reentrantOperation``.
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
    /// The context the connection was made with, kept for its whole life: OpenSSL goes on
    /// calling that `SSL_CTX`'s callbacks after ``switchContext(to:)`` (the servername callback
    /// again for the ClientHello after a HelloRetryRequest), and their argument is this object,
    /// unretained, which the switch could otherwise free.
    private let originalContext: TLSContext
    /// True for the accepting side.
    public let isServerSide: Bool
    /// The peer's close_notify was processed by a read that returned data before it (reads
    /// take every record that has arrived), and no read has reported it yet. Over a socket its
    /// bytes stay in the socket until then, for `select()` to see; over memory buffers
    /// ``pendingCount`` counts it. (Stored next to `isServerSide`: free space.)
    var closeNotifyAwaitingRead = false
    /// The last read over a socket had to wait for the peer (request/response traffic): the next
    /// one waits for the socket before it asks OpenSSL, saving a read that would only report
    /// WANT_READ. Changed under ``operationLock``.
    var lastReadWaited = false
    /// Held by every OpenSSL call of an operation, never during a wait.
    let operationLock = ConnectionLock()
    /// The name sent as SNI and checked against the certificate (A-label form), if any.
    public let serverHostname: String?
    /// The socket file descriptor, or -1 for a memory transport. Not owned: never closed here.
    public let socketDescriptor: Int32
    /// How many operations are under way on any thread. While there are two, waits are cut
    /// into slices (``concurrentWaitSlice``), since another thread's operation can take what
    /// one waits for (a write that must finish a handshake waits to read; the reader's own
    /// read may take those records first).
    let operationsInProgress = Atomic<Int32>(0)
    /// Held by a write (or shutdown) from start to end, waits included, so that writes from
    /// several threads go out one after the other, each whole, rather than interleaved.
    let writeLock = ConnectionLock()
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
    var deferredReadFailure: DeferredFailure?
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
        try TLSConnection.checkSide(serverSide, context: context)
        let hostname = try TLSConnection.validatedHostname(serverHostname, context: context, serverSide: serverSide)
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.sslContext) else {
            throw TLSError.fromQueue("failed to allocate SSL object")
        }
        self.ssl = ssl
        self.context = context
        self.originalContext = context
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
        // resumption. Mark the connection as shut down first, as CPython does since its fix for
        // gh-116810 (README, "Differences").
        SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_get_shutdown(ssl))
        SSL_free(ssl)
    }

    /// The connection whose `SSL*` this is, via the back-pointer set at creation.
    static func owner(of ssl: OpaquePointer) -> TLSConnection? {
        guard let pointer = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<TLSConnection>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// A client connection of a server-only context, or a server connection of a client-only
    /// one, is refused before anything else, with CPython's SSLError (errno 0, no library).
    static func checkSide(_ serverSide: Bool, context: TLSContext) throws {
        let refused: String? = switch (serverSide, context.protocolSelection) {
        case (true, .tlsClient): "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context"
        case (false, .tlsServer): "Cannot create a client socket with a PROTOCOL_TLS_SERVER context"
        default: nil
        }
        if let refused { throw TLSError(kind: .ssl, code: 0, message: "\(refused) (swiftssl)") }
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
    ///
    /// From another thread it waits for the operation in progress on the connection (a
    /// handshake's OpenSSL call) to let go of it: switching under that call freed the context
    /// OpenSSL was verifying a certificate with. Over a socket or memory buffers, call it without
    /// locks the operation's callbacks need (Python's GIL).
    public func switchContext(to newContext: TLSContext) {
        withOperationLockHeld {
            SSL_set_SSL_CTX(ssl, newContext.sslContext)
            context = newContext
        }
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

    /// Stops using the socket: its owner detached the descriptor (Python's `socket.detach()`),
    /// which may soon name an unrelated file. Later operations fail (EBADF; shutdown with
    /// CPython's "Underlying socket connection gone") and never touch that descriptor.
    public func detachSocket() {
        withOperationLockHeld { socketTransport?.forgetDescriptor() }
    }

    /// Fails as the detached socket itself would (EBADF) once ``detachSocket()`` was called.
    func checkSocketAttached() throws {
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
}

/// A failure kept for the next operation of a connection.
final class DeferredFailure {
    let error: TLSError

    init(error: TLSError) {
        self.error = error
    }
}
