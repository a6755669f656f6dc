import COpenSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A TLS context: protocol, verification, trust, certificate chain, key and ciphers shared by many
/// connections. Owns one OpenSSL `SSL_CTX`.
///
/// Making a context parses certificates and keys and, for the system trust store, a bundle of
/// hundreds of CAs: make one and reuse it, or use ``TLSContextCache``.
///
/// ```swift
/// let context = try TLSContext(protocol: .tlsClient)
/// try context.loadVerifyLocations(file: .path("ca.pem"))
/// ```
public final class TLSContext {
    /// The owned `SSL_CTX*`.
    let sslContext: OpaquePointer
    /// The protocol the context was made for.
    public let protocolSelection: TLSProtocol
    /// Whether client connections check the server's hostname during the handshake.
    public private(set) var checkHostname: Bool
    /// Whether hostname checks fall back to the subject's commonName when the certificate has no
    /// DNS subjectAltName (CPython's `hostname_checks_common_name`).
    public private(set) var hostnameChecksCommonName = true
    /// Called on the server side with the client's SNI name; may switch the connection's context.
    public var serverNameCallback: ServerNameCallback? {
        didSet { installServerNameCallback() }
    }
    /// The TLS-PSK callbacks (``setPreSharedKeyClientCallback(_:)``), if any.
    var preSharedKeyCallbacks = PreSharedKeyCallbacks()
    /// The ALPN names in wire format, kept alive for OpenSSL's selection callback.
    var alpnProtocols: ALPNProtocolList?
    /// A number no other context of this process has had or will have (addresses are reused
    /// once a context is freed, so they cannot tell contexts apart over time).
    public let serialNumber: UInt64 = TLSContext.nextSerialNumber()
    /// The key log file of ``setKeyLogPath(_:)``, if logging is on.
    var keyLog: KeyLogFile?
    /// The observer of ``setMessageObserver(_:)``, if any.
    var messageObserver: TLSMessageObserver?
    /// Whether connections allow TLS 1.3 post-handshake client authentication.
    public private(set) var postHandshakeAuthentication = false
    /// True once the context is shared through ``TLSContextCache``: changing it would change
    /// every connection that shares it, so setters then throw.
    public internal(set) var isFrozen = false

    /// CPython's default cipher string for 3.10+: forward secrecy and AEAD first, nothing weak.
    public static let defaultCipherString =
        "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"
    /// The cipher string for contexts pinned to TLS 1.0 or 1.1, which need SHA-1 suites and
    /// signatures that OpenSSL 3 refuses above security level 0.
    public static let legacyCipherString = "DEFAULT:!aNULL:!eNULL:@SECLEVEL=0"

    /// Makes a context for `protocol` with CPython 3.11's defaults: `.tlsClient` verifies the
    /// peer and its hostname; everything else starts with ``VerifyMode/none``.
    public init(protocol selection: TLSProtocol = .tls) throws {
        OpenSSLErrorQueue.clear()
        let method: OpaquePointer?
        switch selection {
        case .tlsClient: method = TLS_client_method()
        case .tlsServer: method = TLS_server_method()
        default: method = TLS_method()
        }
        guard let sslContext = SSL_CTX_new(method) else {
            throw TLSError.fromQueue("failed to allocate SSL context")
        }
        self.sslContext = sslContext
        self.protocolSelection = selection
        self.checkHostname = selection == .tlsClient
        try configureDefaults()
    }

    deinit {
        SSL_CTX_free(sslContext)
    }

    private func configureDefaults() throws {
        // SSLv2 and the SINGLE_*_USE options are no-ops (0) in OpenSSL 3, so they are not spelled out.
        let options: UInt64 = (CSwiftSSL_OP_ALL & ~CSwiftSSL_OP_DONT_INSERT_EMPTY_FRAGMENTS)
            | CSwiftSSL_OP_NO_SSLv3 | CSwiftSSL_OP_NO_COMPRESSION | CSwiftSSL_OP_CIPHER_SERVER_PREFERENCE
        SSL_CTX_set_options(sslContext, options)
        _ = CSwiftSSL_SSL_CTX_set_mode(
            sslContext, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY | SSL_MODE_RELEASE_BUFFERS))
        SSL_CTX_set_verify(sslContext, selection == .tlsClient ? VerifyMode.required.openSSLFlags : SSL_VERIFY_NONE, nil)

        if let pinned = protocolSelection.pinnedVersion {
            try setVersionBounds(minimum: pinned.openSSLValue, maximum: pinned.openSSLValue)
        } else {
            // Nothing below TLS 1.2 unless a caller asks for it explicitly.
            try setVersionBounds(minimum: TLSVersion.tlsv1_2.openSSLValue, maximum: 0)
        }
        if protocolSelection.needsLegacySecurityLevel {
            try applyCipherString(TLSContext.legacyCipherString)
            SSL_CTX_set_security_level(sslContext, 0)
        } else {
            try applyCipherString(TLSContext.defaultCipherString)
        }
        let parameters = SSL_CTX_get0_param(sslContext)
        X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_TRUSTED_FIRST))
        X509_VERIFY_PARAM_set_hostflags(parameters, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
    }

    private var selection: TLSProtocol { protocolSelection }

    func requireMutable() throws {
        if isFrozen {
            throw TLSError.invalidState(
                "this context is shared by the wrap_socket cache and cannot be changed; make an SSLContext instead")
        }
    }

    // MARK: Verification

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

    // MARK: Protocol and options

    /// The `SSL_OP_*` options in force.
    public var options: UInt64 {
        UInt64(SSL_CTX_get_options(sslContext))
    }

    /// Replaces the options: bits not in `options` are cleared, new bits set.
    public func setOptions(_ options: UInt64) throws {
        try requireMutable()
        let current = UInt64(SSL_CTX_get_options(sslContext))
        SSL_CTX_clear_options(sslContext, current & ~options)
        SSL_CTX_set_options(sslContext, options & ~current)
    }

    /// The lowest version negotiated; ``TLSVersion/minimumSupported`` when unbounded.
    public var minimumVersion: TLSVersion {
        let value = Int(CSwiftSSL_SSL_CTX_get_min_proto_version(sslContext))
        return value == 0 ? .minimumSupported : TLSVersion(rawValue: value) ?? .minimumSupported
    }

    /// The highest version negotiated; ``TLSVersion/maximumSupported`` when unbounded.
    public var maximumVersion: TLSVersion {
        let value = Int(CSwiftSSL_SSL_CTX_get_max_proto_version(sslContext))
        return value == 0 ? .maximumSupported : TLSVersion(rawValue: value) ?? .maximumSupported
    }

    /// Sets the lowest version; refused for contexts pinned to one version, as in CPython.
    public func setMinimumVersion(_ version: TLSVersion) throws {
        try requireVersionsAdjustable()
        try setVersionBounds(minimum: boundValue(version, isMinimum: true), maximum: nil)
    }

    /// Sets the highest version; refused for contexts pinned to one version, as in CPython.
    public func setMaximumVersion(_ version: TLSVersion) throws {
        try requireVersionsAdjustable()
        try setVersionBounds(minimum: nil, maximum: boundValue(version, isMinimum: false))
    }

    /// Throws CPython's `ValueError` for a context pinned to one version, whose bounds cannot move.
    public func requireVersionsAdjustable() throws {
        try requireMutable()
        if protocolSelection.pinnedVersion != nil {
            throw TLSError.invalidArgument(
                "The context's protocol doesn't support modification of highest and lowest version.")
        }
    }

    /// OpenSSL reads 0 as "no bound"; MINIMUM_SUPPORTED as a maximum means "the lowest version
    /// libssl has" (TLS 1.0 without SSL 3), and MAXIMUM_SUPPORTED as a minimum "the highest", as
    /// in CPython.
    private func boundValue(_ version: TLSVersion, isMinimum: Bool) -> Int32 {
        switch (version, isMinimum) {
        case (.minimumSupported, false): return Int32(CSwiftSSL_MINIMUM_AVAILABLE_VERSION)
        case (.maximumSupported, true): return TLSVersion.tlsv1_3.openSSLValue
        default: return version.openSSLValue
        }
    }

    private func setVersionBounds(minimum: Int32?, maximum: Int32?) throws {
        OpenSSLErrorQueue.clear()
        if let minimum, CSwiftSSL_SSL_CTX_set_min_proto_version(sslContext, minimum) != 1 {
            throw TLSError.fromQueue("Unsupported protocol version 0x\(String(minimum, radix: 16))", kind: .invalidArgument)
        }
        if let maximum, CSwiftSSL_SSL_CTX_set_max_proto_version(sslContext, maximum) != 1 {
            throw TLSError.fromQueue("Unsupported protocol version 0x\(String(maximum, radix: 16))", kind: .invalidArgument)
        }
    }

    /// OpenSSL's security level (0–5) for this context.
    public var securityLevel: Int {
        Int(SSL_CTX_get_security_level(sslContext))
    }

    // MARK: Ciphers

    /// Sets the TLS 1.2-and-below cipher list (OpenSSL cipher-string syntax).
    public func setCiphers(_ cipherString: String) throws {
        try requireMutable()
        try applyCipherString(cipherString)
    }

    private func applyCipherString(_ cipherString: String) throws {
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

    // MARK: Credentials

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

    /// The CA bundle path of the App Engine runtime, consulted in addition to OpenSSL's defaults.
    public static let appEngineBundle = "/etc/ca-certificates.crt"

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

extension TLSContext {
    /// Hands out ``serialNumber``s.
    private static let serialNumbers = Atomic<UInt64>(0)

    static func nextSerialNumber() -> UInt64 {
        serialNumbers.wrappingAdd(1, ordering: .relaxed).newValue
    }
}

extension String {
    /// `self` with `suffix` replaced by `replacement`, or `self` when it does not end in `suffix`.
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        guard hasSuffix(suffix) else { return self }
        return String(dropLast(suffix.count)) + replacement
    }
}
