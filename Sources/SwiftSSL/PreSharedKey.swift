import COpenSSL

/// What a client offers for TLS-PSK authentication: the identity it names to the server and the
/// key both sides hold.
public struct PreSharedKeyOffer {
    /// The identity sent to the server, as bytes (the UTF-8 of a name, usually). Sent up to its
    /// first NUL byte, as OpenSSL reads it as C text; TLS 1.3 refuses an empty one.
    public var identity: [UInt8]
    /// The key; an empty key refuses the connection.
    public var key: SensitiveBytes

    /// An offer of `key` under the identity bytes `identity`.
    public init(identity: [UInt8], key: SensitiveBytes) {
        self.identity = identity
        self.key = key
    }

    /// An offer of `key` under the UTF-8 of `identity`.
    public init(identity: String, key: SensitiveBytes) {
        self.init(identity: Array(identity.utf8), key: key)
    }
}

/// Called on the client side during the handshake with the server's identity hint (nil when the
/// server sent none or an empty one, and always in TLS 1.3, which has no hints). Returns the
/// identity and key to use, or nil to fail the handshake.
public typealias PreSharedKeyClientCallback = (TLSConnection, String?) -> PreSharedKeyOffer?

/// Called on the server side during the handshake with the identity the client named (nil when
/// empty). Returns the key for that identity, or nil (or an empty key) to refuse it.
public typealias PreSharedKeyServerCallback = (TLSConnection, String?) -> SensitiveBytes?

/// TLS-PSK (RFC 4279 for TLS 1.2, external PSKs in TLS 1.3) as CPython 3.13's
/// `set_psk_client_callback` and `set_psk_server_callback` offer it, over OpenSSL's callbacks.
///
/// A hint or identity from the peer that is not UTF-8 fails the handshake without calling the
/// callback, as in CPython. In TLS 1.2 the PSK cipher suites must be enabled (`setCiphers("PSK")`);
/// TLS 1.3 uses its usual suites with a SHA-256 hash. A callback set while other connections of
/// the context handshake reaches those whose callback has not run yet.
extension TLSContext {
    /// The client-side TLS-PSK callback. Refused on a ``TLSProtocol/tlsServer`` context.
    public var preSharedKeyClientCallback: PreSharedKeyClientCallback? {
        callbacks.current(\.preSharedKey.client)
    }

    /// The server-side TLS-PSK callback. Refused on a ``TLSProtocol/tlsClient`` context.
    public var preSharedKeyServerCallback: PreSharedKeyServerCallback? {
        callbacks.current(\.preSharedKey.server)
    }

    /// Sets (or, with nil, removes) the client-side TLS-PSK callback.
    public func setPreSharedKeyClientCallback(_ callback: PreSharedKeyClientCallback?) throws {
        try requireMutable()
        if protocolSelection == .tlsServer {
            throw TLSError(kind: .ssl, code: 0,
                           message: "Cannot add PSK client callback to a PROTOCOL_TLS_SERVER context (swiftssl)")
        }
        callbacks.replace(\.preSharedKey.client, with: callback)  // the old one is released after the lock
        SSL_CTX_set_psk_client_callback(sslContext, callback == nil ? nil : preSharedKeyClientTrampoline)
    }

    /// Sets (or, with nil, removes) the server-side TLS-PSK callback and the identity hint a TLS
    /// 1.2 server sends (removed with the callback). A hint over OpenSSL's 256 bytes is refused.
    public func setPreSharedKeyServerCallback(_ callback: PreSharedKeyServerCallback?, identityHint: String? = nil) throws {
        try requireMutable()
        if protocolSelection == .tlsClient {
            throw TLSError(kind: .ssl, code: 0,
                           message: "Cannot add PSK server callback to a PROTOCOL_TLS_CLIENT context (swiftssl)")
        }
        let hint = callback == nil ? nil : identityHint
        if hint?.utf8.contains(0) == true {
            throw TLSError.invalidArgument("embedded null character")
        }
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_use_psk_identity_hint(sslContext, hint) == 1 else {
            OpenSSLErrorQueue.clear()
            throw TLSError.invalidArgument("failed to set identity hint")
        }
        callbacks.replace(\.preSharedKey.server, with: callback)  // the old one is released after the lock
        SSL_CTX_set_psk_server_callback(sslContext, callback == nil ? nil : preSharedKeyServerTrampoline)
    }
}

/// The two TLS-PSK callbacks a context holds (in its ``TLSContextCallbacks``).
struct PreSharedKeyCallbacks {
    var client: PreSharedKeyClientCallback?
    var server: PreSharedKeyServerCallback?
}

/// Text OpenSSL passes from the peer as the callbacks take it: nil when absent or empty, and
/// `.failure` when it is not UTF-8.
private func peerText(_ text: UnsafePointer<CChar>?) -> Result<String?, TLSError> {
    guard let text, text.pointee != 0 else { return .success(nil) }
    guard let decoded = String(validatingCString: text) else {
        return .failure(TLSError.invalidArgument("the peer's PSK identity or hint is not UTF-8"))
    }
    return .success(decoded)
}

/// OpenSSL's client callback. The callback looked up is the one of the connection's context,
/// whichever OpenSSL copied into the connection when it was made.
private func preSharedKeyClientTrampoline(
    _ ssl: OpaquePointer?, _ hint: UnsafePointer<CChar>?, _ identity: UnsafeMutablePointer<CChar>?,
    _ maximumIdentityLength: UInt32, _ key: UnsafeMutablePointer<UInt8>?, _ maximumKeyLength: UInt32
) -> UInt32 {
    guard let ssl, let identity, let key, let connection = TLSConnection.owner(of: ssl),
          let callback = connection.context.preSharedKeyClientCallback,
          case .success(let hintText) = peerText(hint),
          let offer = callback(connection, hintText) else { return 0 }
    // The identity goes out as C text: it needs room for its terminator.
    guard offer.identity.count < Int(maximumIdentityLength), offer.key.count <= Int(maximumKeyLength) else {
        return 0
    }
    // Both copies stay within the lengths OpenSSL gave, checked just above.
    offer.identity.withUnsafeBytes { bytes in
        if let source = bytes.baseAddress {
            UnsafeMutableRawPointer(identity).copyMemory(from: source, byteCount: bytes.count)
        }
    }
    identity[offer.identity.count] = 0
    if let source = offer.key.bytes.baseAddress {
        UnsafeMutableRawPointer(key).copyMemory(from: source, byteCount: offer.key.count)
    }
    return UInt32(offer.key.count)
}

/// OpenSSL's server callback; as the client's, it uses the connection's context's callback.
private func preSharedKeyServerTrampoline(
    _ ssl: OpaquePointer?, _ identity: UnsafePointer<CChar>?, _ key: UnsafeMutablePointer<UInt8>?,
    _ maximumKeyLength: UInt32
) -> UInt32 {
    guard let ssl, let key, let connection = TLSConnection.owner(of: ssl),
          let callback = connection.context.preSharedKeyServerCallback,
          case .success(let identityText) = peerText(identity),
          let secret = callback(connection, identityText),
          secret.count <= Int(maximumKeyLength) else { return 0 }
    // Within the length OpenSSL gave, checked above.
    if let source = secret.bytes.baseAddress {
        UnsafeMutableRawPointer(key).copyMemory(from: source, byteCount: secret.count)
    }
    return UInt32(secret.count)
}
