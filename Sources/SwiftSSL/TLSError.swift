import COpenSSL

/// Every failure of the core, typed so that a caller (the Python glue, or a Swift program) can
/// tell the kinds apart, with the library, reason and text OpenSSL gave.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, at the level a caller acts on.
    public enum Kind: Sendable, Equatable {
        /// OpenSSL reported a protocol or library failure (`SSL_ERROR_SSL`).
        case ssl
        /// The certificate chain or hostname failed verification.
        case certificateVerification
        /// A non-blocking operation needs the socket to become readable first.
        case wantRead
        /// A non-blocking operation needs the socket to become writable first.
        case wantWrite
        /// The peer closed the TLS session cleanly (close_notify).
        case zeroReturn
        /// The transport ended without close_notify.
        case eof
        /// An I/O error OpenSSL could not classify (`SSL_ERROR_SYSCALL` without errno).
        case syscall
        /// The operating system reported `errno` (connection reset, file not found, …).
        case system
        /// The operation's timeout passed.
        case timeout
        /// A signal interrupted a wait; the caller may handle it and retry.
        case interrupted
        /// The caller passed a value the operation cannot use.
        case invalidArgument
        /// A certificate did not match the hostname (``matchHostname(_:hostname:)``).
        case hostnameMismatch
        /// An operation is not valid in the current state (handshake not done, closed).
        case invalidState
    }

    /// The kind of failure.
    public var kind: Kind
    /// CPython's error number: the `SSL_ERROR_*`-style code for TLS kinds, `errno` for ``Kind/system``.
    public var code: Int32
    /// The library mnemonic (`"SSL"`, `"PEM"`), when OpenSSL named one.
    public var library: String?
    /// The reason mnemonic (`"CERTIFICATE_VERIFY_FAILED"`), when OpenSSL named one.
    public var reason: String?
    /// The full message, formatted as CPython's `ssl` formats it.
    public var message: String
    /// The X.509 verification result code, for ``Kind/certificateVerification``.
    public var verifyCode: Int?
    /// The X.509 verification result text, for ``Kind/certificateVerification``.
    public var verifyMessage: String?
    /// Everything OpenSSL had queued, oldest first.
    public var openSSLErrors: [OpenSSLErrorEntry]
    /// The file a ``Kind/system`` error is about, where CPython's error names it (DH parameters,
    /// the key log file); nil for certificate, key and CA files, whose errors CPython
    /// raises without a file name.
    public var filename: String?
    /// OpenSSL's reason number (`ERR_GET_REASON`) of the error the message names, when OpenSSL
    /// named one: CPython's errno for an OpenSSL failure outside a connection (loading a chain).
    public var openSSLReason: Int32?
    /// For certificate text that is not UTF-8: its bytes, so that Python can raise the
    /// `UnicodeDecodeError` CPython raises for them (decoding them again, strictly).
    public var undecodableText: [UInt8]?
    /// True for the few errors CPython raises as `SSLError(message)`, with no error number
    /// (`errno` is None and `str()` shows the arguments tuple); see ``messageOnly(_:)``.
    public var isMessageOnly = false

    /// Makes an error; most callers use the static constructors instead.
    public init(
        kind: Kind, code: Int32 = 0, message: String, library: String? = nil, reason: String? = nil,
        verifyCode: Int? = nil, verifyMessage: String? = nil, openSSLErrors: [OpenSSLErrorEntry] = []
    ) {
        self.kind = kind
        self.code = code
        self.message = message
        self.library = library
        self.reason = reason
        self.verifyCode = verifyCode
        self.verifyMessage = verifyMessage
        self.openSSLErrors = openSSLErrors
    }

    /// The message.
    public var description: String { message }

    // CPython's numbering of SSL error kinds (`PY_SSL_ERROR_*`), used as the exception's errno.
    /// `PY_SSL_ERROR_SSL` (1): the ``code`` of an OpenSSL failure on a connection.
    public static let codeSSL: Int32 = 1
    static let codeWantRead: Int32 = 2
    static let codeWantWrite: Int32 = 3
    static let codeSyscall: Int32 = 5
    static let codeZeroReturn: Int32 = 6
    static let codeEOF: Int32 = 8

    /// A caller error that Python reports as `ValueError`.
    public static func invalidArgument(_ message: String) -> TLSError {
        TLSError(kind: .invalidArgument, message: message)
    }

    /// A state error that Python reports as `ValueError` (CPython does the same).
    public static func invalidState(_ message: String) -> TLSError {
        TLSError(kind: .invalidState, message: message)
    }

    /// A read that must wait for the peer (`SSL_ERROR_WANT_READ`).
    static let wantRead = TLSError(kind: .wantRead, code: codeWantRead,
                                   message: "The operation did not complete (read) (swiftssl)")

    /// A write that must wait for room in the socket (`SSL_ERROR_WANT_WRITE`).
    static let wantWrite = TLSError(kind: .wantWrite, code: codeWantWrite,
                                    message: "The operation did not complete (write) (swiftssl)")

    /// The connection ended, or its socket failed, without a close_notify (`SSLEOFError`).
    static let eofInViolationOfProtocol = TLSError(kind: .eof, code: codeEOF,
                                                   message: "EOF occurred in violation of protocol (swiftssl)")

    /// An ``Kind/ssl`` error CPython raises with its message alone (`"No cipher can be selected."`).
    public static func messageOnly(_ message: String) -> TLSError {
        var error = TLSError(kind: .ssl, code: 0, message: message)
        error.isMessageOnly = true
        return error
    }

    /// An operating-system error with its `errno`.
    public static func system(errno: Int32, message: String, filename: String? = nil) -> TLSError {
        var error = TLSError(kind: .system, code: errno, message: message)
        error.filename = filename
        return error
    }

    /// Drains OpenSSL's queue into an error, formatted like CPython's `[LIB: REASON] text`.
    ///
    /// - Parameter fallback: the text used when OpenSSL queued nothing.
    static func fromQueue(_ fallback: String, kind: Kind = .ssl) -> TLSError {
        let entries = OpenSSLErrorQueue.drain()
        return from(entries: entries, fallback: fallback, kind: kind)
    }

    /// Builds an error from already-drained entries; the last entry is the most specific one,
    /// as CPython reports it.
    static func from(entries: [OpenSSLErrorEntry], fallback: String, kind: Kind = .ssl) -> TLSError {
        guard let last = entries.last else {
            return TLSError(kind: kind, code: codeSSL, message: fallback, openSSLErrors: entries)
        }
        var error = TLSError(
            kind: kind, code: codeSSL,
            message: formatMessage(library: last.library, reason: last.reason, text: last.text),
            library: last.library, reason: last.reason, openSSLErrors: entries)
        error.openSSLReason = last.reasonCode
        return error
    }

    /// CPython's report for any certificate or key file OpenSSL cannot read: `[SSL] PEM lib`.
    static func pemLibrary(_ entries: [OpenSSLErrorEntry]) -> TLSError {
        pemLibrary(library: "SSL", entries)
    }

    /// `[LIB] PEM lib`: OpenSSL's `ERR_R_PEM_LIB` raised by `library`.
    static func pemLibrary(library: String, _ entries: [OpenSSLErrorEntry]) -> TLSError {
        commonReason("PEM lib", code: CSwiftSSL_R_PEM_LIB, library: library, entries)
    }

    /// `[LIB] <text>`: one of OpenSSL's reasons common to every library (`ERR_R_PEM_LIB`,
    /// `ERR_R_ASN1_LIB`: no mnemonic in CPython's table) raised by `library`, the entry CPython
    /// reports where OpenSSL's older API adds it after `entries`.
    static func commonReason(_ text: String, code: Int32, library: String,
                             _ entries: [OpenSSLErrorEntry]) -> TLSError {
        var error = TLSError(
            kind: .ssl, code: codeSSL,
            message: formatMessage(library: library, reason: nil, text: text),
            library: library, reason: nil, openSSLErrors: entries)
        error.openSSLReason = code
        return error
    }

    /// `[X509: NO_CERTIFICATE_OR_CRL_FOUND]`: a CA file with nothing OpenSSL could load.
    static var noCertificateOrCRLFound: TLSError {
        var error = TLSError(
            kind: .ssl, code: codeSSL,
            message: formatMessage(library: "X509", reason: "NO_CERTIFICATE_OR_CRL_FOUND",
                                   text: "no certificate or crl found"),
            library: "X509", reason: "NO_CERTIFICATE_OR_CRL_FOUND")
        error.openSSLReason = X509_R_NO_CERTIFICATE_OR_CRL_FOUND
        return error
    }

    /// CPython's layout: `[SSL: REASON] text (location)`; swiftssl names itself as the location.
    static func formatMessage(library: String?, reason: String?, text: String) -> String {
        switch (library, reason) {
        case let (library?, reason?): return "[\(library): \(reason)] \(text) (swiftssl)"
        case let (library?, nil): return "[\(library)] \(text) (swiftssl)"
        default: return "\(text) (swiftssl)"
        }
    }

    /// Runs an OpenSSL call that signals failure with a return value of 1 meaning success,
    /// bracketed by queue clearing and draining.
    static func check(_ what: @autoclosure () -> String, _ body: () -> Int32) throws {
        OpenSSLErrorQueue.clear()
        if body() != 1 {
            throw fromQueue(what())
        }
    }
}
