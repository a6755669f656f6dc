import COpenSSL

/// Where the password of an encrypted private key comes from.
public enum PasswordSource {
    /// A fixed password.
    case bytes(SensitiveBytes)
    /// A closure asked for the password only when the key turns out to be encrypted. Errors it
    /// throws propagate unchanged out of the load.
    case callback(() throws -> SensitiveBytes)

    /// A fixed password from text.
    public static func text(_ password: String) -> PasswordSource {
        .bytes(SensitiveBytes(copying: password.utf8))
    }
}

/// A private key; owns one OpenSSL `EVP_PKEY`.
public final class PrivateKey {
    /// The owned `EVP_PKEY*`.
    let pkey: OpaquePointer

    init(taking pkey: OpaquePointer) {
        self.pkey = pkey
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// The longest password OpenSSL's PEM layer accepts (`PEM_BUFSIZE`), as CPython enforces.
    public static let maximumPasswordLength = 1024

    /// Parses the first private key in PEM (any of PKCS#8, encrypted PKCS#8, traditional RSA/EC)
    /// or DER bytes, asking `password` when the key is encrypted.
    public static func parse(_ bytes: UnsafeRawBufferPointer, password: PasswordSource?) throws -> PrivateKey {
        let prompt = PasswordPrompt(source: password)
        let key: OpaquePointer? = try ReadOnlyBIO.with(bytes) { bio in
            OpenSSLErrorQueue.clear()
            if EncodingSniffer.looksLikePEM(bytes) {
                return withExtendedLifetime(prompt) {
                    PEM_read_bio_PrivateKey(bio, nil, passwordTrampoline, Unmanaged.passUnretained(prompt).toOpaque())
                }
            }
            return d2i_PrivateKey_bio(bio, nil)
        }
        if let failure = prompt.failure {
            OpenSSLErrorQueue.clear()
            if let key { EVP_PKEY_free(key) }
            throw failure
        }
        guard let key else {
            // CPython reports every unreadable or undecryptable key as "[SSL] PEM lib".
            throw TLSError.pemLibrary(OpenSSLErrorQueue.drain())
        }
        return PrivateKey(taking: key)
    }
}

/// The state OpenSSL's password callback reaches through its `void *` argument.
final class PasswordPrompt {
    let source: PasswordSource?
    /// The first error from the password source, rethrown after OpenSSL returns.
    var failure: Error?

    init(source: PasswordSource?) {
        self.source = source
    }

    /// Copies the password into OpenSSL's buffer; -1 means "no password" (and stops OpenSSL from
    /// ever prompting on a terminal, which would hang a server).
    func fill(_ buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int32 {
        // OpenSSL 3's decoders may ask again after a failure: never call a source that failed.
        if failure != nil { return -1 }
        let password: SensitiveBytes
        switch source {
        case nil:
            return -1
        case .bytes(let bytes):
            password = bytes
        case .callback(let ask):
            do {
                password = try ask()
            } catch {
                failure = error
                return -1
            }
        }
        guard password.count <= min(capacity, PrivateKey.maximumPasswordLength) else {
            failure = TLSError.invalidArgument(
                "password cannot be longer than \(PrivateKey.maximumPasswordLength) bytes")
            return -1
        }
        if let base = password.bytes.baseAddress, password.count > 0 {
            UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: password.count)
        }
        return Int32(password.count)
    }
}

/// OpenSSL's `pem_password_cb`: `userData` is an unretained `PasswordPrompt` kept alive by the caller.
private func passwordTrampoline(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int32, _ writing: Int32, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let buffer, let userData, size > 0 else { return -1 }
    let prompt = Unmanaged<PasswordPrompt>.fromOpaque(userData).takeUnretainedValue()
    return prompt.fill(buffer, capacity: Int(size))
}
