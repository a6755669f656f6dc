import COpenSSL
import Synchronization

/// Which cipher suites, and which lowest protocol version, a new ``TLSContext`` starts with.
///
/// This is CPython's build option `--with-ssl-default-suites`, so that swiftssl starts where the
/// interpreter's own `ssl` starts: python.org's and pyenv's builds use ``python``; Debian's,
/// Ubuntu's and Fedora's use ``openssl``, which leaves both to the system's OpenSSL configuration
/// (and with it to the administrator's crypto policy). Contexts pinned to TLS 1.0 or 1.1 keep
/// their own cipher string and security level whatever the choice.
public enum DefaultCipherSuites: Sendable, Equatable {
    /// CPython's cipher string, ``TLSContext/defaultCipherString``, and TLS 1.2 at least.
    case python
    /// What `SSL_CTX_new` leaves: OpenSSL's default cipher list as the system configuration sets
    /// it, and no lowest version of the context's own.
    case openssl
    /// A cipher string the interpreter was built with, and TLS 1.2 at least.
    case custom(String)

    /// The choice contexts made from now on follow, for the whole process; ``python`` until a
    /// program sets it (the Python module sets it once, from its interpreter's build).
    public static var current: DefaultCipherSuites {
        get { selection.withLock { $0 } }
        set { selection.withLock { $0 = newValue } }
    }

    private static let selection = Mutex<DefaultCipherSuites>(.python)

    /// The cipher string CPython's `ssl._DEFAULT_CIPHERS` holds under this choice: for
    /// ``openssl``, OpenSSL's `SSL_DEFAULT_CIPHER_LIST`.
    public var cipherString: String {
        switch self {
        case .python: return TLSContext.defaultCipherString
        case .openssl: return String(cString: OSSL_default_cipher_list())
        case .custom(let cipherString): return cipherString
        }
    }

    /// The cipher string a new context applies, or nil to keep OpenSSL's configured list.
    var appliedCipherString: String? {
        self == .openssl ? nil : cipherString
    }

    /// The lowest version a new context sets, or nil to leave OpenSSL's configured bound.
    var minimumVersion: TLSVersion? {
        self == .openssl ? nil : .tlsv1_2
    }
}
