import COpenSSL

extension TLSConnection {
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
}
