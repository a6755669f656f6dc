import COpenSSL

/// An X.509 certificate; owns one OpenSSL `X509`.
public final class Certificate {
    /// The owned `X509*`.
    let x509: OpaquePointer

    /// Takes ownership of `x509` (one reference).
    init(taking x509: OpaquePointer) {
        self.x509 = x509
    }

    /// Shares `x509`, taking a new reference.
    init(sharing x509: OpaquePointer) {
        X509_up_ref(x509)
        self.x509 = x509
    }

    deinit {
        X509_free(x509)
    }

    /// Parses one certificate from PEM or DER bytes (PEM is recognised by its armour).
    public convenience init<Bytes: Collection>(bytes: Bytes) throws where Bytes.Element == UInt8 {
        let all = try Array(bytes).withUnsafeBytes { try Certificate.parseAll($0) }
        guard let first = all.first else {
            throw TLSError.invalidArgument("no certificate found")
        }
        self.init(sharing: first.x509)
    }

    /// Parses one DER-encoded certificate; the whole input must be consumed (bytes after the
    /// certificate are refused).
    public static func fromDER(_ der: UnsafeRawBufferPointer) throws -> Certificate {
        guard let base = der.baseAddress, der.count > 0 else {
            throw TLSError.invalidArgument("empty DER certificate")
        }
        guard der.count <= Int(Int32.max) else {
            throw TLSError.invalidArgument("DER certificate too large (\(der.count) bytes)")
        }
        OpenSSLErrorQueue.clear()
        let start = base.assumingMemoryBound(to: UInt8.self)
        var cursor: UnsafePointer<UInt8>? = start
        guard let x509 = d2i_X509(nil, &cursor, der.count) else {
            throw TLSError.fromQueue("could not decode DER certificate")
        }
        let certificate = Certificate(taking: x509)
        let consumed = cursor.map { $0 - UnsafePointer(start) } ?? 0
        guard consumed == der.count else {
            throw TLSError.invalidArgument("\(der.count - consumed) bytes after the DER certificate")
        }
        return certificate
    }

    /// Every certificate in `bytes`, in order: all PEM `CERTIFICATE` blocks, or a concatenation of
    /// DER certificates. Throws when there is none, or when a block is malformed.
    public static func parseAll(_ bytes: UnsafeRawBufferPointer) throws -> [Certificate] {
        if EncodingSniffer.looksLikePEM(bytes) {
            return try parseAllPEM(bytes, trustedFirst: false)
        }
        return try parseAllDER(bytes)
    }

    /// A certificate chain as OpenSSL's `SSL_CTX_use_certificate_chain_file` reads one (CPython's
    /// `load_cert_chain`): like ``parseAll(_:)``, except that the first PEM block may also be a
    /// `TRUSTED CERTIFICATE` (`openssl x509 -trustout`), whose trust settings are kept.
    public static func parseChain(_ bytes: UnsafeRawBufferPointer) throws -> [Certificate] {
        if EncodingSniffer.looksLikePEM(bytes) {
            return try parseAllPEM(bytes, trustedFirst: true)
        }
        return try parseAllDER(bytes)
    }

    /// The first certificate of PEM data, as OpenSSL's `PEM_read_bio_X509` reads it (blocks
    /// with other labels are skipped; what follows it is not looked at), or nil when there is no
    /// certificate block or the first one does not decode.
    public static func firstInPEM(_ bytes: UnsafeRawBufferPointer) throws -> Certificate? {
        try ReadOnlyBIO.with(bytes) { bio in
            OpenSSLErrorQueue.clear()
            defer { OpenSSLErrorQueue.clear() }
            return PEM_read_bio_X509(bio, nil, nil, nil).map { Certificate(taking: $0) }
        }
    }

    /// Whether `bytes` (PEM or DER) begin with a certificate that decodes, whatever follows it.
    static func beginsWithCertificate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let first = try? ReadOnlyBIO.with(bytes) { bio -> OpaquePointer? in
            OpenSSLErrorQueue.clear()
            defer { OpenSSLErrorQueue.clear() }
            return EncodingSniffer.looksLikePEM(bytes) ? PEM_read_bio_X509(bio, nil, nil, nil) : d2i_X509_bio(bio, nil)
        }
        guard let certificate = first ?? nil else { return false }
        X509_free(certificate)
        return true
    }

    /// Certificates one after another in PEM: blocks with other labels are skipped; running out
    /// of blocks after the first certificate ends the list, anything else fails.
    static func parseAllPEM(_ bytes: UnsafeRawBufferPointer, trustedFirst: Bool) throws -> [Certificate] {
        try readEach(from: bytes, endsAt: .error(library: ERR_LIB_PEM, reason: PEM_R_NO_START_LINE),
                     fallback: "no certificate found in PEM data") { bio, isFirst in
            trustedFirst && isFirst ? PEM_read_bio_X509_AUX(bio, nil, nil, nil) : PEM_read_bio_X509(bio, nil, nil, nil)
        }
    }

    /// Certificates one after another in DER, read as CPython 3.12 and later read `cadata`: the
    /// list ends where the data does, and anything after the last certificate that is not one
    /// fails with OpenSSL's error (3.11 took a few stray bytes there for the end).
    static func parseAllDER(_ bytes: UnsafeRawBufferPointer) throws -> [Certificate] {
        guard bytes.count > 0 else { throw TLSError.invalidArgument("no certificate data") }
        return try readEach(from: bytes, endsAt: .endOfData, fallback: "could not decode DER certificate data") { bio, _ in
            d2i_X509_bio(bio, nil)
        }
    }

    /// Where a list of certificates ends.
    private enum EndOfList {
        /// At a failure whose latest error is this one, after at least one certificate.
        case error(library: Int32, reason: Int32)
        /// Where the data ends.
        case endOfData
    }

    /// Calls `read` over `bytes` until the list ends (`end`); any other failure throws OpenSSL's
    /// error.
    private static func readEach(
        from bytes: UnsafeRawBufferPointer, endsAt end: EndOfList, fallback: String,
        _ read: (_ bio: OpaquePointer, _ isFirst: Bool) -> OpaquePointer?
    ) throws -> [Certificate] {
        try ReadOnlyBIO.with(bytes) { bio in
            var certificates: [Certificate] = []
            while true {
                if case .endOfData = end, !certificates.isEmpty, BIO_ctrl_pending(bio) == 0 { return certificates }
                OpenSSLErrorQueue.clear()
                guard let x509 = read(bio, certificates.isEmpty) else {
                    let entries = OpenSSLErrorQueue.drain()
                    if case .error(let library, let reason) = end, !certificates.isEmpty,
                       entries.last.map({ $0.libraryCode == library && $0.reasonCode == reason }) ?? true {
                        return certificates
                    }
                    throw TLSError.from(entries: entries, fallback: fallback)
                }
                certificates.append(Certificate(taking: x509))
            }
        }
    }

    /// The DER encoding.
    public var derBytes: [UInt8] {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { return [] }
        var result = [UInt8](repeating: 0, count: Int(length))
        result.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(x509, &cursor)
        }
        return result
    }

    /// The PEM encoding (`-----BEGIN CERTIFICATE-----`, 64-column base64, trailing newline).
    public var pemString: String {
        PEMEncoding.encode(der: derBytes, label: "CERTIFICATE")
    }
}
