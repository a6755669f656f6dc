import COpenSSL

extension TLSConnection {
    /// The `tls-unique` channel binding (RFC 5929): the first Finished message of the latest
    /// handshake, or nil while OpenSSL holds none (before that message).
    ///
    /// The first Finished is the client's in a full handshake and the server's in a resumed one,
    /// so which of OpenSSL's two copies it is depends on the side and on resumption, as in CPython.
    /// Like CPython it answers with what OpenSSL holds in any state: in the middle of a handshake
    /// (a resumed one, once the server's Finished is out) and after a fatal error.
    public var tlsUniqueChannelBinding: [UInt8]? {
        // A Finished message is at most EVP_MAX_MD_SIZE (64) bytes.
        var buffer = [UInt8](repeating: 0, count: 64)
        let length = buffer.withUnsafeMutableBytes { storage -> Int in
            if isSessionReused != isServerSide {
                return SSL_get_peer_finished(ssl, storage.baseAddress, storage.count)
            }
            return SSL_get_finished(ssl, storage.baseAddress, storage.count)
        }
        guard length > 0 else { return nil }
        return Array(buffer.prefix(min(length, buffer.count)))
    }

    /// The ciphers both sides offered, in the server's preference order; nil on the client
    /// side (OpenSSL only keeps the peer's list on the server), as CPython's `shared_ciphers()`.
    public var sharedCiphers: [CipherDescription]? {
        guard isServerSide, let clientCiphers = SSL_get_client_ciphers(ssl),
              let serverCiphers = SSL_get_ciphers(ssl) else { return nil }
        var offered = Set<UInt32>()
        for index in 0..<CSwiftSSL_sk_SSL_CIPHER_num(clientCiphers) {
            if let cipher = CSwiftSSL_sk_SSL_CIPHER_value(clientCiphers, index) {
                offered.insert(SSL_CIPHER_get_id(cipher))
            }
        }
        return (0..<CSwiftSSL_sk_SSL_CIPHER_num(serverCiphers)).compactMap { index in
            guard let cipher = CSwiftSSL_sk_SSL_CIPHER_value(serverCiphers, index),
                  offered.contains(SSL_CIPHER_get_id(cipher)) else { return nil }
            return CipherDescription(cipher)
        }
    }
}
