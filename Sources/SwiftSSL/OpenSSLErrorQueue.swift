import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One entry of OpenSSL's per-thread error queue, with the names CPython's `ssl` reports.
public struct OpenSSLErrorEntry: Sendable, Equatable {
    /// The packed OpenSSL error code.
    public var code: UInt
    /// OpenSSL's library number (`ERR_LIB_SSL`, `ERR_LIB_PEM`, …).
    public var libraryCode: Int32
    /// OpenSSL's reason number within the library.
    public var reasonCode: Int32
    /// The library mnemonic CPython uses (`"SSL"`, `"PEM"`, `"X509"`), when known.
    public var library: String?
    /// The reason mnemonic CPython uses (`"CERTIFICATE_VERIFY_FAILED"`, see `CPythonErrorNames`);
    /// nil for the reasons common to all libraries and those CPython has none for, as in CPython.
    public var reason: String?
    /// OpenSSL's human-readable reason text (`"certificate verify failed"`).
    public var text: String
}

/// Reads and clears OpenSSL's per-thread error queue.
///
/// swiftssl shares `libssl` with CPython's own `_ssl` in one process, so every call that can fail
/// is bracketed: ``clear()`` before, ``drain()`` after. Nothing is ever left on the queue.
enum OpenSSLErrorQueue {
    /// Discards whatever an earlier caller (ours or anyone's) left on this thread's queue.
    ///
    /// `ERR_clear_error` rewrites all 16 slots of the queue even when it is empty, which is
    /// most of the glue's cost per `read`/`write` call; peeking first is cheap, and an empty
    /// queue (the usual case) needs nothing more.
    @inline(__always)
    static func clear() {
        if ERR_peek_error() != 0 {
            ERR_clear_error()
        }
    }

    /// Removes every entry from this thread's queue, oldest first.
    static func drain() -> [OpenSSLErrorEntry] {
        var entries: [OpenSSLErrorEntry] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            entries.append(entry(for: code))
        }
        return entries
    }

    /// OpenSSL 3's `ERR_SYSTEM_FLAG`: set, the rest of the code is an `errno` (a C macro with a
    /// cast, which Swift does not import).
    static let systemErrorFlag: UInt = 0x8000_0000

    /// Decodes a packed error code into names and text.
    static func entry(for code: UInt) -> OpenSSLErrorEntry {
        let libraryCode = ERR_GET_LIB(code)
        let reasonCode = ERR_GET_REASON(code)
        if code & systemErrorFlag != 0 {
            // A system error (a failed fopen, a socket write): OpenSSL has no text for it, and
            // CPython's table no mnemonic. Its errno's own text.
            return OpenSSLErrorEntry(
                code: code, libraryCode: ERR_LIB_SYS, reasonCode: reasonCode, library: "SYS", reason: nil,
                text: strerror(reasonCode).map { String(cString: $0) } ?? "error \(reasonCode)")
        }
        let text = ERR_reason_error_string(code).map { String(cString: $0) }
        return OpenSSLErrorEntry(
            code: code,
            libraryCode: libraryCode,
            reasonCode: reasonCode,
            library: CPythonErrorNames.library(libraryCode),
            // Reasons common to every library (ERR_R_*, "ASN1 lib", "malloc failure") have no
            // mnemonic in CPython's table, which lists each library's own: "[SSL] ASN1 lib".
            reason: ERR_COMMON_ERROR(code) != 0 ? nil : text.flatMap {
                CPythonErrorNames.reason(library: libraryCode, reason: reasonCode, text: $0)
            },
            text: text ?? "unknown error (\(code))"
        )
    }
}
