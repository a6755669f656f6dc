import COpenSSL

extension TLSContext {
    /// How the peer's certificate is verified.
    public var verifyMode: VerifyMode {
        let flags = SSL_CTX_get_verify_mode(sslContext)
        if flags & SSL_VERIFY_FAIL_IF_NO_PEER_CERT != 0 { return .required }
        if flags & SSL_VERIFY_PEER != 0 { return .optional }
        return .none
    }

    /// Sets ``verifyMode``; ``VerifyMode/none`` is refused while ``checkHostname`` is on, as in CPython.
    public func setVerifyMode(_ mode: VerifyMode) throws {
        try requireMutable()
        if mode == .none && checkHostname {
            throw TLSError.invalidArgument("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
        }
        SSL_CTX_set_verify(sslContext, mode.openSSLFlags, nil)
    }

    /// Turns hostname checking on or off; turning it on upgrades ``VerifyMode/none`` to
    /// ``VerifyMode/required``, as CPython does.
    public func setCheckHostname(_ enabled: Bool) throws {
        try requireMutable()
        if enabled && verifyMode == .none {
            SSL_CTX_set_verify(sslContext, VerifyMode.required.openSSLFlags, nil)
        }
        checkHostname = enabled
    }

    /// Sets whether the subject's commonName is consulted when no DNS subjectAltName exists.
    public func setHostnameChecksCommonName(_ enabled: Bool) throws {
        try requireMutable()
        hostnameChecksCommonName = enabled
        var flags = UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS)
        if !enabled { flags |= UInt32(X509_CHECK_FLAG_NEVER_CHECK_SUBJECT) }
        X509_VERIFY_PARAM_set_hostflags(SSL_CTX_get0_param(sslContext), flags)
    }

    /// The X.509 verification flags (`X509_V_FLAG_*`, CPython's `VerifyFlags`).
    public var verifyFlags: UInt {
        X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(sslContext))
    }

    /// Replaces the X.509 verification flags.
    public func setVerifyFlags(_ flags: UInt) throws {
        try requireMutable()
        let parameters = SSL_CTX_get0_param(sslContext)
        let current = X509_VERIFY_PARAM_get_flags(parameters)
        OpenSSLErrorQueue.clear()
        if X509_VERIFY_PARAM_clear_flags(parameters, current & ~flags) != 1
            || X509_VERIFY_PARAM_set_flags(parameters, flags & ~current) != 1 {
            throw TLSError.fromQueue("could not set verify flags")
        }
    }

    /// Allows (client) or prepares to request (server) TLS 1.3 post-handshake authentication.
    public func setPostHandshakeAuthentication(_ enabled: Bool) throws {
        try requireMutable()
        postHandshakeAuthentication = enabled
    }
}
