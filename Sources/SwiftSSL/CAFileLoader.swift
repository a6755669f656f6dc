import COpenSSL

extension TLSContext {
    /// Adds what a CA file holds to the trust store the way OpenSSL's `X509_load_cert_crl_file`
    /// does for CPython's `load_verify_locations(cafile=...)`: PEM with any mix of `CERTIFICATE`
    /// and `X509 CRL` blocks (CRLs are what `VERIFY_CRL_CHECK_LEAF`/`_CHAIN` check against), or
    /// DER certificates. A PEM file OpenSSL cannot read is CPython's `[X509] PEM lib`.
    func addTrustedFileContent(_ content: SensitiveBytes) throws {
        let bytes = content.bytes
        guard !bytes.isEmpty, EncodingSniffer.looksLikePEM(bytes) else {
            return try addTrustedCertificates(content, origin: "cafile")
        }
        try ReadOnlyBIO.with(bytes) { bio in
            OpenSSLErrorQueue.clear()
            guard let infos = CSwiftSSL_PEM_X509_INFO_read_bio(bio, nil, nil) else {
                throw TLSError.pemLibrary(library: "X509", OpenSSLErrorQueue.drain())
            }
            defer { CSwiftSSL_sk_X509_INFO_pop_free(infos) }
            let store = SSL_CTX_get_cert_store(sslContext)
            var added = 0
            for index in 0..<CSwiftSSL_sk_X509_INFO_num(infos) {
                guard let info = CSwiftSSL_sk_X509_INFO_value(infos, index) else { continue }
                // The store takes its own references; the X509_INFO stack frees ours.
                if let x509 = info.pointee.x509 {
                    try addToStore { X509_STORE_add_cert(store, x509) }
                    added += 1
                }
                if let crl = info.pointee.crl {
                    try addToStore { X509_STORE_add_crl(store, crl) }
                    added += 1
                }
            }
            if added == 0 {
                throw TLSError.noCertificateOrCRLFound
            }
        }
    }

    /// Runs one `X509_STORE_add_*` call; an object already in the store is not an error.
    private func addToStore(_ add: () -> Int32) throws {
        OpenSSLErrorQueue.clear()
        if add() != 1 {
            let entries = OpenSSLErrorQueue.drain()
            let duplicate = entries.allSatisfy {
                $0.libraryCode == ERR_LIB_X509 && $0.reasonCode == X509_R_CERT_ALREADY_IN_HASH_TABLE
            }
            if !duplicate {
                throw TLSError.from(entries: entries, fallback: "could not add to the trust store")
            }
        }
    }
}

extension TLSContext {
    /// Trusts the certificates of PEM text: CPython's `cadata` given as `str`, which is PEM by
    /// definition, so text without a PEM block is OpenSSL's `[PEM: NO_START_LINE]` (bytes, by
    /// contrast, may be DER or PEM: see ``loadVerifyLocations(file:directory:data:)``).
    public func loadVerifyLocations(pemText: String) throws {
        try requireMutable()
        let content = SensitiveBytes(copying: pemText.utf8)
        if !content.bytes.isEmpty && !EncodingSniffer.looksLikePEM(content.bytes) {
            throw TLSError(kind: .ssl, code: 0,  // errno 0, as CPython's
                           message: "no start line: cadata does not contain a certificate (swiftssl)")
        }
        try addTrustedCertificates(content, origin: "cadata")
    }
}
