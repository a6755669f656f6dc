import COpenSSL

/// What a server decides when a client's SNI name arrives.
public enum ServerNameDecision: Sendable, Equatable {
    /// Go on with the handshake (possibly after ``TLSConnection/switchContext(to:)``).
    case accept
    /// Abort the handshake with this TLS alert description (`AlertDescription` values).
    case alert(Int32)
}

/// Called on the server side during the handshake with the client's SNI name (nil when the client
/// sent none). It may switch the connection to another context to present another certificate.
public typealias ServerNameCallback = (TLSConnection, String?) -> ServerNameDecision

extension TLSContext {
    /// Installs OpenSSL's servername callback the first time a ``serverNameCallback`` is set, and
    /// leaves it there: OpenSSL reads it twice per handshake, so removing it while another thread
    /// handshakes could have OpenSSL call NULL. Without a ``serverNameCallback`` it answers as
    /// OpenSSL does when there is no callback at all.
    func installServerNameCallback() {
        guard serverNameCallback != nil else { return }
        // Unretained: the SSL_CTX cannot outlive this object, which frees it in deinit.
        _ = CSwiftSSL_SSL_CTX_set_tlsext_servername_arg(sslContext, Unmanaged.passUnretained(self).toOpaque())
        _ = CSwiftSSL_SSL_CTX_set_tlsext_servername_callback(sslContext, serverNameTrampoline)
    }
}

/// OpenSSL's servername callback; `argument` is the unretained ``TLSContext`` that installed it.
/// With no ``TLSContext/serverNameCallback`` (removed since), NOACK: what OpenSSL assumes when
/// a context has no servername callback.
private func serverNameTrampoline(_ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let ssl, let argument,
          let connection = TLSConnection.owner(of: ssl) else { return SSL_TLSEXT_ERR_NOACK }
    let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
    guard let callback = context.serverNameCallback else { return SSL_TLSEXT_ERR_NOACK }
    let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
    switch callback(connection, name) {
    case .accept:
        return SSL_TLSEXT_ERR_OK
    case .alert(let description):
        alert?.pointee = description
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
}
