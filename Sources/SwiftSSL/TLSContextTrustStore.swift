import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension TLSContext {
    /// Adds trusted CAs from a PEM or DER file or memory (`file`), a hashed directory
    /// (`directory`, looked up lazily by OpenSSL), and/or `data`. At least one must be given.
    public func loadVerifyLocations(
        file: CredentialSource? = nil, directory: String? = nil, data: CredentialSource? = nil
    ) throws {
        try loadVerifyLocations(file: file, directoryName: directory.map { Array($0.utf8) }, data: data)
    }

    /// ``loadVerifyLocations(file:directory:data:)`` with the directory named by the bytes the
    /// operating system sees, for names that are not UTF-8.
    public func loadVerifyLocations(
        file: CredentialSource? = nil, directoryName directory: [UInt8]?, data: CredentialSource? = nil
    ) throws {
        try requireMutable()
        if file == nil && directory == nil && data == nil {
            throw TLSError(kind: .invalidArgument, message: "cafile, capath and cadata cannot be all omitted")
        }
        // CPython's order: cadata, then cafile, then capath.
        if let data {
            try addTrustedCertificates(try data.load(), origin: "cadata")
        }
        if let file {
            try addTrustedFileContent(try file.load())
        }
        if let directory {
            OpenSSLErrorQueue.clear()
            if try FileSystemName.withCString(directory, { SSL_CTX_load_verify_locations(sslContext, nil, $0) }) != 1 {
                throw TLSError.fromQueue("could not load CA directory \(String(decoding: directory, as: UTF8.self))")
            }
        }
    }

    /// Parses every certificate in `bytes` and adds it to the trust store; duplicates are fine.
    func addTrustedCertificates(_ bytes: SensitiveBytes, origin: String) throws {
        if bytes.bytes.isEmpty {
            // CPython: empty cadata is a ValueError; an empty CA file is OpenSSL's SSLError.
            if origin == "cadata" { throw TLSError.invalidArgument("Empty certificate data") }
            throw TLSError.noCertificateOrCRLFound
        }
        let certificates: [Certificate]
        do {
            certificates = try Certificate.parseAll(bytes.bytes)
        } catch var error as TLSError {
            if origin == "cadata" {
                // A certificate came before the failure: CPython reports OpenSSL's error.
                if Certificate.beginsWithCertificate(bytes.bytes) { throw error }
                // CPython's own words when cadata yields no certificate, without OpenSSL's
                // library and reason: "no start line" for PEM, "not enough data" for DER.
                let cause = EncodingSniffer.looksLikePEM(bytes.bytes) ? "no start line" : "not enough data"
                // CPython raises it with errno 0.
                throw TLSError(kind: .ssl, code: 0,
                               message: "\(cause): cadata does not contain a certificate (swiftssl)",
                               openSSLErrors: error.openSSLErrors)
            }
            error.message = error.message.replacingSuffix(" (swiftssl)", with: ": \(origin) does not contain a certificate (swiftssl)")
            throw error
        }
        let store = SSL_CTX_get_cert_store(sslContext)
        for certificate in certificates {
            OpenSSLErrorQueue.clear()
            if X509_STORE_add_cert(store, certificate.x509) != 1 {
                let entries = OpenSSLErrorQueue.drain()
                let duplicate = entries.allSatisfy {
                    $0.libraryCode == ERR_LIB_X509 && $0.reasonCode == X509_R_CERT_ALREADY_IN_HASH_TABLE
                }
                if !duplicate {
                    throw TLSError.from(entries: entries, fallback: "could not add CA certificate")
                }
            }
        }
    }

    /// Trusts the operating system's CA store: OpenSSL's default paths, which on Debian are
    /// `/etc/ssl/certs` and `/usr/lib/ssl/cert.pem` (the `ca-certificates` bundle).
    public func loadSystemTrustStore() throws {
        try loadSystemTrustStore(extraBundles: [TLSContext.appEngineBundle])
    }

    /// OpenSSL's default paths, then each readable file of `extraBundles` (App Engine kept its
    /// bundle at /etc/ca-certificates.crt); a missing extra bundle is skipped.
    func loadSystemTrustStore(extraBundles: [String]) throws {
        try requireMutable()
        OpenSSLErrorQueue.clear()
        if SSL_CTX_set_default_verify_paths(sslContext) != 1 {
            throw TLSError.fromQueue("could not load the system trust store")
        }
        // OpenSSL leaves benign "file not found" entries when a default path is missing.
        OpenSSLErrorQueue.clear()
        for bundle in extraBundles where access(bundle, R_OK) == 0 {
            try addTrustedCertificates(try FileReader.readAll(path: Array(bundle.utf8)), origin: "cafile")
        }
    }

    /// The certificates in the trust store (CA certificates only when `caOnly`).
    public func trustedCertificates() -> [Certificate] {
        guard let store = SSL_CTX_get_cert_store(sslContext),
              let objects = X509_STORE_get0_objects(store) else { return [] }
        var result: [Certificate] = []
        for index in 0..<CSwiftSSL_sk_X509_OBJECT_num(objects) {
            guard let object = CSwiftSSL_sk_X509_OBJECT_value(objects, index),
                  let x509 = X509_OBJECT_get0_X509(object) else { continue }
            result.append(Certificate(sharing: x509))
        }
        return result
    }
}

extension String {
    /// `self` with `suffix` replaced by `replacement`, or `self` when it does not end in `suffix`.
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        guard hasSuffix(suffix) else { return self }
        return String(dropLast(suffix.count)) + replacement
    }
}
