import COpenSSL
import Synchronization

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
    public internal(set) var checkHostname: Bool
    /// Whether hostname checks fall back to the subject's commonName when the certificate has no
    /// DNS subjectAltName (CPython's `hostname_checks_common_name`).
    public internal(set) var hostnameChecksCommonName = true
    /// Called on the server side with the client's SNI name; may switch the connection's context.
    /// Safe to set while other threads handshake: each handshake uses the callback it finds.
    /// Unlike the setters, it is not refused on a frozen context (``isFrozen``, one from
    /// ``TLSContextCache``, shared by everyone who asked for the same configuration): set it on
    /// contexts of your own. (The Python glue sets one dispatching closure on every context,
    /// which calls the callback of each connection's own Python `SSLContext`.)
    public var serverNameCallback: ServerNameCallback? {
        get { callbacks.current(\.serverName) }
        set {
            callbacks.replace(\.serverName, with: newValue)  // the old one is released after the lock
            installServerNameCallback()
        }
    }
    /// What OpenSSL's callbacks read during handshakes (SNI, TLS-PSK, ALPN, key log, message
    /// observer), behind one lock.
    let callbacks = Mutex(TLSContextCallbacks())
    /// A number no other context of this process has had or will have (addresses are reused
    /// once a context is freed, so they cannot tell contexts apart over time).
    public let serialNumber: UInt64 = TLSContext.nextSerialNumber()
    /// Whether connections allow TLS 1.3 post-handshake client authentication.
    public internal(set) var postHandshakeAuthentication = false
    /// True once the context is shared through ``TLSContextCache``: changing it would change
    /// every connection that shares it, so setters then throw.
    public internal(set) var isFrozen = false

    /// CPython's default cipher string for 3.10+: forward secrecy and AEAD first, nothing weak
    /// (what new contexts apply under ``DefaultCipherSuites/python``).
    public static let defaultCipherString =
        "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"
    /// The cipher string for contexts pinned to TLS 1.0 or 1.1, which need SHA-1 suites and
    /// signatures that OpenSSL 3 refuses above security level 0.
    public static let legacyCipherString = "DEFAULT:!aNULL:!eNULL:@SECLEVEL=0"
    /// The CA bundle path of the App Engine runtime, consulted in addition to OpenSSL's defaults.
    public static let appEngineBundle = "/etc/ca-certificates.crt"

    /// Makes a context for `protocol` with CPython 3.11's defaults: `.tlsClient` verifies the
    /// peer and its hostname; everything else starts with ``VerifyMode/none``; cipher suites
    /// and the lowest version are as ``DefaultCipherSuites/current`` says.
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

        let defaults = DefaultCipherSuites.current
        if let pinned = protocolSelection.pinnedVersion {
            try setVersionBounds(minimum: pinned.openSSLValue, maximum: pinned.openSSLValue)
        } else if let minimum = defaults.minimumVersion {
            // Nothing below TLS 1.2 unless a caller asks for it explicitly.
            try setVersionBounds(minimum: minimum.openSSLValue, maximum: 0)
        }
        if protocolSelection.needsLegacySecurityLevel {
            try applyCipherString(TLSContext.legacyCipherString)
            SSL_CTX_set_security_level(sslContext, 0)
        } else if let cipherString = defaults.appliedCipherString {
            try applyCipherString(cipherString)
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
}

extension TLSContext {
    /// Hands out ``serialNumber``s.
    private static let serialNumbers = Atomic<UInt64>(0)

    static func nextSerialNumber() -> UInt64 {
        serialNumbers.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
