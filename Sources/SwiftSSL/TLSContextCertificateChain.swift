import COpenSSL

extension TLSContext {
    /// Loads the certificate chain sent to peers (leaf first, then intermediates) and its private
    /// key. With no `privateKey`, the key is read from `certificate` too. The key must match the
    /// leaf. Memory and reader content is never written to disk.
    public func loadCertificateChain(
        certificate: CredentialSource, privateKey: CredentialSource? = nil, password: PasswordSource? = nil
    ) throws {
        try requireMutable()
        let certificateBytes = try certificate.load()
        let keyBytes = try privateKey?.load() ?? certificateBytes
        try installCertificateChain(certificateBytes: certificateBytes, keyBytes: keyBytes, password: password)
    }

    /// Installs an already-loaded chain and key (shared with ``TLSContextCache``).
    func installCertificateChain(certificateBytes: SensitiveBytes, keyBytes: SensitiveBytes, password: PasswordSource?) throws {
        let chain: [Certificate]
        do {
            chain = try Certificate.parseChain(certificateBytes.bytes)
        } catch let error as TLSError {
            throw TLSError.pemLibrary(error.openSSLErrors)
        }
        guard let leaf = chain.first else {
            throw TLSError.pemLibrary([])
        }
        let key = try PrivateKey.parse(keyBytes.bytes, password: password)
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_use_certificate(sslContext, leaf.x509) == 1 else {
            throw TLSError.fromQueue("could not use certificate")
        }
        _ = CSwiftSSL_SSL_CTX_clear_chain_certs(sslContext)
        for intermediate in chain.dropFirst() {
            // add0 takes ownership of one reference: give it one of its own.
            X509_up_ref(intermediate.x509)
            if CSwiftSSL_SSL_CTX_add0_chain_cert(sslContext, intermediate.x509) != 1 {
                X509_free(intermediate.x509)
                throw TLSError.fromQueue("could not add chain certificate")
            }
        }
        guard SSL_CTX_use_PrivateKey(sslContext, key.pkey) == 1 else {
            throw TLSError.fromQueue("could not use private key")
        }
        guard SSL_CTX_check_private_key(sslContext) == 1 else {
            throw TLSError.fromQueue("key values mismatch")
        }
    }
}
