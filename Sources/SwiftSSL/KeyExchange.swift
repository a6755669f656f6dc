import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension TLSContext {
    /// Restricts (EC)DHE key exchange to one named group, e.g. `"prime256v1"` or `"X25519"`
    /// (CPython's `set_ecdh_curve`).
    public func setKeyExchangeGroup(_ name: String) throws {
        try requireMutable()
        // OpenSSL would read the name up to a NUL: "prime256v1\0junk" is not a name.
        guard !name.utf8.contains(0) else { throw TLSError.invalidArgument("embedded null byte") }
        var nid = OBJ_sn2nid(name)
        if nid == NID_undef {
            throw TLSError.invalidArgument("unknown elliptic curve name '\(name)'")
        }
        OpenSSLErrorQueue.clear()
        // SSL_CTX_set1_groups is a macro over SSL_CTX_ctrl; OpenSSL copies the list.
        if SSL_CTX_ctrl(sslContext, SSL_CTRL_SET_GROUPS, 1, &nid) != 1 {
            throw TLSError.fromQueue("could not set the key exchange group")
        }
    }

    /// Loads finite-field Diffie-Hellman parameters (PEM `DH PARAMETERS`) from the file at `path`
    /// for DHE cipher suites (CPython's `load_dh_params`), or X9.42 ones (`X9.42 DH PARAMETERS`).
    /// A missing file is a system error with its errno; a file without parameters is OpenSSL's
    /// `[PEM: NO_START_LINE]`, parameters that do not decode `[PEM] ASN1 lib`, as in CPython.
    public func loadDiffieHellmanParameters(path: String) throws {
        try loadDiffieHellmanParameters(pathName: Array(path.utf8))
    }

    /// ``loadDiffieHellmanParameters(path:)`` with the file named by the bytes the operating
    /// system sees, for names that are not UTF-8.
    public func loadDiffieHellmanParameters(pathName: [UInt8]) throws {
        try requireMutable()
        let path = String(decoding: pathName, as: UTF8.self)  // for messages
        OpenSSLErrorQueue.clear()
        errno = 0
        guard let file = try FileSystemName.withCString(pathName, { fopen($0, "rb") }) else {
            let code = errno
            throw TLSError.system(errno: code, message: String(cString: strerror(code)), filename: path)
        }
        defer { fclose(file) }
        // fopen opens a directory for reading; CPython's open reports it, as this does.
        var status = stat()
        if fstat(fileno(file), &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            throw TLSError.system(errno: EISDIR, message: String(cString: strerror(EISDIR)), filename: path)
        }
        guard let bio = BIO_new_fp(file, BIO_NOCLOSE) else {
            throw TLSError.fromQueue("could not read \(path)")
        }
        defer { BIO_free(bio) }
        // Look for a "DH PARAMETERS" block as CPython's PEM_read_DHparams does, so a file
        // without one fails with PEM's NO_START_LINE (OpenSSL 3's generic decoder would report
        // its own library instead). An empty block fails with nothing queued: CPython's
        // "unknown error".
        var label: UnsafeMutablePointer<CChar>?
        var data: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard PEM_bytes_read_bio(&data, &length, &label, "DH PARAMETERS", bio, nil, nil) == 1, let data else {
            throw TLSError.fromQueue("unknown error")
        }
        defer {
            CSwiftSSL_OPENSSL_free(data)
            CSwiftSSL_OPENSSL_free(label)
        }
        // That name also matches an "X9.42 DH PARAMETERS" block (parameters with q, as
        // `openssl genpkey -algorithm DHX` writes), which decodes as DHX.
        let isX942 = label.map { String(cString: $0) == "X9.42 DH PARAMETERS" } ?? false
        var cursor: UnsafePointer<UInt8>? = UnsafePointer(data)
        guard let parameters = d2i_KeyParams(isX942 ? EVP_PKEY_DHX : EVP_PKEY_DH, nil, &cursor, length) else {
            // CPython names PEM's "ASN1 lib", which PEM_read_DHparams adds after the decoder's.
            throw TLSError.commonReason("ASN1 lib", code: CSwiftSSL_R_ASN1_LIB, library: "PEM",
                                        OpenSSLErrorQueue.drain())
        }
        // set0 takes ownership of the key on success only.
        if SSL_CTX_set0_tmp_dh_pkey(sslContext, parameters) != 1 {
            EVP_PKEY_free(parameters)
            throw TLSError.fromQueue("could not use the DH parameters of \(path)")
        }
    }
}
