import COpenSSL

/// What a context's trust store holds, counted the way CPython's `cert_store_stats()` does.
public struct TrustStoreStatistics: Sendable, Equatable {
    /// Certificates in the store.
    public var certificates = 0
    /// Certificate revocation lists in the store.
    public var revocationLists = 0
    /// Those of ``certificates`` that are CA certificates.
    public var authorities = 0
}

extension TLSContext {
    /// Counts the certificates, CA certificates and CRLs loaded into the trust store. CAs in a
    /// `capath` directory are loaded lazily by OpenSSL and only count once a handshake used them.
    public var trustStoreStatistics: TrustStoreStatistics {
        var statistics = TrustStoreStatistics()
        guard let store = SSL_CTX_get_cert_store(sslContext),
              let objects = X509_STORE_get0_objects(store) else { return statistics }
        for index in 0..<CSwiftSSL_sk_X509_OBJECT_num(objects) {
            guard let object = CSwiftSSL_sk_X509_OBJECT_value(objects, index) else { continue }
            switch X509_OBJECT_get_type(object) {
            case X509_LU_X509:
                statistics.certificates += 1
                if let x509 = X509_OBJECT_get0_X509(object), X509_check_ca(x509) != 0 {
                    statistics.authorities += 1
                }
            case X509_LU_CRL:
                statistics.revocationLists += 1
            default:
                break
            }
        }
        return statistics
    }

    /// The CA certificates of the trust store (what CPython's `get_ca_certs()` lists).
    public func trustedAuthorities() -> [Certificate] {
        trustedCertificates().filter { X509_check_ca($0.x509) != 0 }
    }
}
