import COpenSSL

extension TLSConnection {
    /// The peer's chain as verification built it, leaf first and ending at the trusted root; nil
    /// when nothing was verified (no peer certificate, or verification off and never run).
    public var verifiedPeerChain: [Certificate]? {
        guard let stack = SSL_get0_verified_chain(ssl) else { return nil }
        return Self.certificates(in: stack)
    }

    /// The certificates the peer sent, leaf first, unverified; nil when it sent none.
    /// (OpenSSL leaves the client's leaf out of the server side's list; it is put back here.)
    public var unverifiedPeerChain: [Certificate]? {
        guard let stack = SSL_get_peer_cert_chain(ssl) else { return nil }
        var chain = Self.certificates(in: stack)
        if isServerSide, let leaf = peerCertificate {
            chain.insert(leaf, at: 0)
        }
        return chain
    }

    /// Each certificate of an OpenSSL stack, each holding its own reference.
    private static func certificates(in stack: OpaquePointer) -> [Certificate] {
        (0..<CSwiftSSL_sk_X509_num(stack)).compactMap { index in
            CSwiftSSL_sk_X509_value(stack, index).map { Certificate(sharing: $0) }
        }
    }
}
