import COpenSSL

/// A TLS protocol version, with the raw values of CPython's `ssl.TLSVersion`.
public enum TLSVersion: Int, Sendable, CaseIterable {
    /// The lowest version the library supports (no lower bound).
    case minimumSupported = -2
    /// The highest version the library supports (no upper bound).
    case maximumSupported = -1
    /// SSL 3.0 (never negotiated by OpenSSL 3).
    case sslv3 = 0x0300
    /// TLS 1.0.
    case tlsv1 = 0x0301
    /// TLS 1.1.
    case tlsv1_1 = 0x0302
    /// TLS 1.2.
    case tlsv1_2 = 0x0303
    /// TLS 1.3.
    case tlsv1_3 = 0x0304

    /// OpenSSL's protocol-version number; 0 means "no bound" for the two open-ended cases.
    var openSSLValue: Int32 {
        switch self {
        case .minimumSupported, .maximumSupported: return 0
        default: return Int32(rawValue)
        }
    }

    /// The name CPython's `SSLSocket.version()` returns (`"TLSv1.3"`).
    public var protocolName: String {
        switch self {
        case .minimumSupported: return "MINIMUM_SUPPORTED"
        case .maximumSupported: return "MAXIMUM_SUPPORTED"
        case .sslv3: return "SSLv3"
        case .tlsv1: return "TLSv1"
        case .tlsv1_1: return "TLSv1.1"
        case .tlsv1_2: return "TLSv1.2"
        case .tlsv1_3: return "TLSv1.3"
        }
    }
}

/// The protocol selection a context is made with, with the raw values of CPython's `PROTOCOL_*`.
public enum TLSProtocol: Int, Sendable, CaseIterable {
    /// Negotiate the highest version both sides support, TLS 1.2 or later (`PROTOCOL_TLS`, `PROTOCOL_SSLv23`).
    case tls = 2
    /// Exactly TLS 1.0; lowers OpenSSL's security level for this context only.
    case tlsv1 = 3
    /// Exactly TLS 1.1; lowers OpenSSL's security level for this context only.
    case tlsv1_1 = 4
    /// Exactly TLS 1.2.
    case tlsv1_2 = 5
    /// Client side only, verifying the peer and its hostname by default (`PROTOCOL_TLS_CLIENT`).
    case tlsClient = 16
    /// Server side only (`PROTOCOL_TLS_SERVER`).
    case tlsServer = 17

    /// The version this protocol pins, if it pins one.
    public var pinnedVersion: TLSVersion? {
        switch self {
        case .tlsv1: return .tlsv1
        case .tlsv1_1: return .tlsv1_1
        case .tlsv1_2: return .tlsv1_2
        default: return nil
        }
    }

    /// True for the versions OpenSSL 3's default security level refuses.
    var needsLegacySecurityLevel: Bool {
        self == .tlsv1 || self == .tlsv1_1
    }
}

/// Whether and how the peer's certificate is verified, with CPython's `CERT_*` values.
public enum VerifyMode: Int, Sendable, CaseIterable {
    /// No certificate is requested (server) or checked (client).
    case none = 0
    /// Verified when sent; a server does not require one.
    case optional = 1
    /// Required and verified.
    case required = 2

    /// OpenSSL's `SSL_VERIFY_*` flags for this mode.
    var openSSLFlags: Int32 {
        switch self {
        case .none: return SSL_VERIFY_NONE
        case .optional: return SSL_VERIFY_PEER
        case .required: return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
        }
    }
}
