import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension TLSConnection {
    /// Maps `SSL_get_error` and the drained queue to a typed error, as CPython's `PySSL_SetError`.
    func classify(result: Int32, savedErrno: Int32) -> TLSError {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ:
            return TLSError.wantRead
        case SSL_ERROR_WANT_WRITE:
            return TLSError.wantWrite
        case SSL_ERROR_ZERO_RETURN:
            return TLSError(kind: .zeroReturn, code: TLSError.codeZeroReturn,
                            message: "TLS/SSL connection has been closed (EOF) (swiftssl)")
        case SSL_ERROR_SYSCALL:
            let entries = OpenSSLErrorQueue.drain()
            if !entries.isEmpty {
                return TLSError.from(entries: entries, fallback: "Some I/O error occurred", kind: .syscall)
            }
            // SSL_read_ex/SSL_write_ex report failure as 0, which CPython always reads as EOF;
            // only the handshake and shutdown (which return -1) surface the OS error itself.
            if result < 0 && socketDescriptor < 0 {
                // No socket to ask (CPython's SSLObject): a -1 with nothing queued, as from a
                // handshake retried after it failed, is CPython's "Some I/O error occurred".
                return TLSError(kind: .syscall, code: TLSError.codeSyscall, message: "Some I/O error occurred (swiftssl)")
            }
            if result < 0 && savedErrno != 0 && savedErrno != EAGAIN {
                return TLSError.system(errno: savedErrno, message: String(cString: strerror(savedErrno)))
            }
            return TLSError.eofInViolationOfProtocol
        default:
            return classifyLibraryFailure(OpenSSLErrorQueue.drain())
        }
    }

    private func classifyLibraryFailure(_ entries: [OpenSSLErrorEntry]) -> TLSError {
        guard let last = entries.last, last.libraryCode == ERR_LIB_SSL else {
            return TLSError.from(entries: entries, fallback: "A failure in the SSL library occurred (swiftssl)")
        }
        if last.reasonCode == SSL_R_UNEXPECTED_EOF_WHILE_READING {
            return TLSError(
                kind: .eof, code: TLSError.codeEOF,
                message: TLSError.formatMessage(library: last.library, reason: last.reason,
                                                text: "EOF occurred in violation of protocol"),
                library: last.library, reason: last.reason, openSSLErrors: entries)
        }
        if last.reasonCode == SSL_R_CERTIFICATE_VERIFY_FAILED {
            let verifyCode = verifyResult
            let verifyMessage: String
            switch Int32(verifyCode) {
            case X509_V_ERR_HOSTNAME_MISMATCH:
                verifyMessage = "Hostname mismatch, certificate is not valid for '\(serverHostname ?? "")'."
            case X509_V_ERR_IP_ADDRESS_MISMATCH:
                verifyMessage = "IP address mismatch, certificate is not valid for '\(serverHostname ?? "")'."
            default:
                verifyMessage = X509_verify_cert_error_string(verifyCode).map { String(cString: $0) } ?? "unknown error"
            }
            return TLSError(
                kind: .certificateVerification, code: TLSError.codeSSL,
                message: TLSError.formatMessage(library: last.library, reason: last.reason,
                                                text: "\(last.text): \(verifyMessage)"),
                library: last.library, reason: last.reason, verifyCode: verifyCode,
                verifyMessage: verifyMessage, openSSLErrors: entries)
        }
        return TLSError.from(entries: entries, fallback: "A failure in the SSL library occurred (swiftssl)")
    }
}
