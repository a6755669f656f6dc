/// Everything a context is made from, as a value: compile it with ``TLSContext/init(configuration:)``,
/// or get a shared, content-cached context from ``TLSContextCache``.
///
/// ```swift
/// var configuration = TLSConfiguration(protocol: .tlsClient)
/// configuration.trustRoots = .certificates(.path("ca.pem"))
/// let context = try TLSContext(configuration: configuration)
/// ```
public struct TLSConfiguration {
    /// Which CAs are trusted.
    public enum TrustRoots {
        /// None beyond what is added later.
        case none
        /// The operating system's store (``TLSContext/loadSystemTrustStore()``).
        case system
        /// The certificates in this source (PEM or DER).
        case certificates(CredentialSource)
    }

    /// The protocol selection.
    public var protocolSelection: TLSProtocol
    /// How the peer is verified; nil keeps the protocol's default.
    public var verifyMode: VerifyMode?
    /// Whether the client checks the server's hostname; nil keeps the protocol's default.
    public var checkHostname: Bool?
    /// Trusted CAs.
    public var trustRoots: TrustRoots = .none
    /// The chain to present (leaf first); may also hold the key.
    public var certificateChain: CredentialSource?
    /// The private key, when not inside ``certificateChain`` (which it needs: a key alone is
    /// refused).
    public var privateKey: CredentialSource?
    /// The password of an encrypted key.
    public var password: PasswordSource?
    /// An OpenSSL cipher string, nil for the default.
    public var ciphers: String?

    /// A configuration with the defaults of `protocol`.
    public init(protocol selection: TLSProtocol = .tls) {
        protocolSelection = selection
    }
}

extension TLSContext {
    /// Compiles a configuration into a new context.
    public convenience init(configuration: TLSConfiguration) throws {
        try self.init(configuration: LoadedConfiguration(configuration))
    }

    /// Builds from content that was already read (each reader is called once).
    convenience init(configuration loaded: LoadedConfiguration) throws {
        let configuration = loaded.configuration
        try self.init(protocol: configuration.protocolSelection)
        if let checkHostname = configuration.checkHostname, !checkHostname {
            try setCheckHostname(false)
        }
        if let verifyMode = configuration.verifyMode {
            try setVerifyMode(verifyMode)
        }
        if let checkHostname = configuration.checkHostname, checkHostname {
            try setCheckHostname(true)
        }
        if let ciphers = configuration.ciphers {
            try setCiphers(ciphers)
        }
        if let certificateBytes = loaded.certificateBytes {
            try installCertificateChain(
                certificateBytes: certificateBytes, keyBytes: loaded.keyBytes ?? certificateBytes,
                password: configuration.password)
        }
        switch configuration.trustRoots {
        case .none: break
        case .system: try loadSystemTrustStore()
        case .certificates:
            if let caBytes = loaded.caBytes { try addTrustedCertificates(caBytes, origin: "cafile") }
        }
    }
}

/// A configuration whose sources have been read, so the same bytes serve both the cache key and
/// the build.
struct LoadedConfiguration {
    let configuration: TLSConfiguration
    let certificateBytes: SensitiveBytes?
    let keyBytes: SensitiveBytes?
    let caBytes: SensitiveBytes?

    init(_ configuration: TLSConfiguration) throws {
        // Without a chain the key would be dropped, and the mistake would show only at the first
        // handshake (a server's "no shared cipher"); Python's load_cert_chain needs a certfile too.
        if configuration.privateKey != nil, configuration.certificateChain == nil {
            throw TLSError.invalidArgument("privateKey is set without certificateChain: set the chain it belongs to")
        }
        self.configuration = configuration
        certificateBytes = try configuration.certificateChain?.load()
        keyBytes = try configuration.privateKey?.load()
        if case .certificates(let source) = configuration.trustRoots {
            caBytes = try source.load()
        } else {
            caBytes = nil
        }
    }
}
