import COpenSSL

/// A TLS session a client can offer again to resume it without a full handshake. Owns one
/// reference to an OpenSSL `SSL_SESSION`.
///
/// Get one from ``TLSConnection/session`` after a handshake and give it to a new connection with
/// ``TLSConnection/setSession(_:)`` before its handshake; ``TLSConnection/isSessionReused`` then
/// says whether the server accepted it.
public final class TLSSession {
    /// The owned `SSL_SESSION*`.
    let sslSession: OpaquePointer
    /// The context of the connection that made the session: OpenSSL only resumes a session on
    /// connections of the same context, so ``TLSConnection/setSession(_:)`` checks it.
    public let context: TLSContext

    /// Takes ownership of one reference to `sslSession`.
    init(taking sslSession: OpaquePointer, context: TLSContext) {
        self.sslSession = sslSession
        self.context = context
    }

    deinit {
        SSL_SESSION_free(sslSession)
    }

    /// The session id (for TLS 1.3 and ticket-based sessions, an id OpenSSL made up).
    public var id: [UInt8] {
        var length: UInt32 = 0
        guard let bytes = SSL_SESSION_get_id(sslSession, &length) else { return [] }
        // OpenSSL returns a pointer into the session of exactly `length` bytes.
        return Array(UnsafeBufferPointer(start: bytes, count: Int(length)))
    }

    /// When the session was made, in seconds since the epoch.
    public var creationTime: Int { Int(SSL_SESSION_get_time(sslSession)) }

    /// How long the session stays resumable, in seconds.
    public var timeout: Int { Int(SSL_SESSION_get_timeout(sslSession)) }

    /// The server's hint for how long its ticket stays valid, in seconds (0 without a ticket).
    public var ticketLifetimeHint: Int { Int(SSL_SESSION_get_ticket_lifetime_hint(sslSession)) }

    /// Whether the server sent a session ticket.
    public var hasTicket: Bool { SSL_SESSION_has_ticket(sslSession) == 1 }
}

extension TLSConnection {
    /// The connection's session, or nil before the handshake made one.
    public var session: TLSSession? {
        guard let session = SSL_get1_session(ssl) else { return nil }
        return TLSSession(taking: session, context: context)
    }

    /// Whether the handshake resumed a session instead of making a new one.
    public var isSessionReused: Bool {
        SSL_session_reused(ssl) == 1
    }

    /// Offers `session` for resumption in this client connection's handshake; refused (as in
    /// CPython) for another context's session, on the server side, and after the handshake.
    public func setSession(_ session: TLSSession) throws {
        if session.context !== context {
            throw TLSError.invalidArgument("Session refers to a different SSLContext.")
        }
        if isServerSide {
            throw TLSError.invalidArgument("Cannot set session for server-side SSLSocket.")
        }
        if isHandshakeComplete {
            throw TLSError.invalidArgument("Cannot set session after handshake.")
        }
        try TLSError.check("could not set the session") { SSL_set_session(ssl, session.sslSession) }
    }
}

extension TLSContext {
    /// How many TLS 1.3 session tickets a server sends after each handshake (OpenSSL's default 2).
    public var sessionTicketCount: Int {
        Int(SSL_CTX_get_num_tickets(sslContext))
    }

    /// Sets ``sessionTicketCount``; only meaningful, and only allowed, on server contexts.
    public func setSessionTicketCount(_ count: Int) throws {
        try requireMutable()
        guard count >= 0 else { throw TLSError.invalidArgument("value must be non-negative") }
        if protocolSelection != .tlsServer {
            throw TLSError.invalidArgument("SSLContext is not a server context.")
        }
        try TLSError.check("failed to set num tickets.") { SSL_CTX_set_num_tickets(sslContext, count) }
    }

    /// The server-side session cache counters, under CPython's `session_stats()` names.
    public var sessionStatistics: [(name: String, value: Int)] {
        let counters: [(String, Int32)] = [
            ("number", SSL_CTRL_SESS_NUMBER), ("connect", SSL_CTRL_SESS_CONNECT),
            ("connect_good", SSL_CTRL_SESS_CONNECT_GOOD),
            ("connect_renegotiate", SSL_CTRL_SESS_CONNECT_RENEGOTIATE),
            ("accept", SSL_CTRL_SESS_ACCEPT), ("accept_good", SSL_CTRL_SESS_ACCEPT_GOOD),
            ("accept_renegotiate", SSL_CTRL_SESS_ACCEPT_RENEGOTIATE), ("hits", SSL_CTRL_SESS_HIT),
            ("misses", SSL_CTRL_SESS_MISSES), ("timeouts", SSL_CTRL_SESS_TIMEOUTS),
            ("cache_full", SSL_CTRL_SESS_CACHE_FULL),
        ]
        // SSL_CTX_sess_* are macros over SSL_CTX_ctrl, which reads a counter and changes nothing.
        return counters.map { ($0.0, Int(SSL_CTX_ctrl(sslContext, $0.1, 0, nil))) }
    }
}
