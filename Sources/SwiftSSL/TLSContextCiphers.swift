import COpenSSL

extension TLSContext {
    /// Sets the TLS 1.2-and-below cipher list (OpenSSL cipher-string syntax).
    public func setCiphers(_ cipherString: String) throws {
        try requireMutable()
        try applyCipherString(cipherString)
    }

    func applyCipherString(_ cipherString: String) throws {
        if cipherString.utf8.contains(0) {
            throw TLSError.invalidArgument("embedded null character")
        }
        OpenSSLErrorQueue.clear()
        if SSL_CTX_set_cipher_list(sslContext, cipherString) != 1 {
            // CPython drops OpenSSL's detail here and says this.
            _ = OpenSSLErrorQueue.drain()
            throw TLSError.messageOnly("No cipher can be selected.")
        }
    }

    /// The ciphers the context would offer, in preference order.
    public var ciphers: [CipherDescription] {
        guard let ssl = SSL_new(sslContext) else {
            OpenSSLErrorQueue.clear()
            return []
        }
        defer { SSL_free(ssl) }
        guard let stack = SSL_get_ciphers(ssl) else { return [] }
        return (0..<CSwiftSSL_sk_SSL_CIPHER_num(stack)).compactMap { index in
            CSwiftSSL_sk_SSL_CIPHER_value(stack, index).map(CipherDescription.init)
        }
    }
}
