import COpenSSL

/// A cipher suite, described the way CPython's `SSLSocket.cipher()` and `get_ciphers()` do.
public struct CipherDescription: Sendable, Equatable {
    /// OpenSSL's name (`"TLS_AES_256_GCM_SHA384"`, `"ECDHE-RSA-AES128-GCM-SHA256"`).
    public var name: String
    /// The protocol version that introduced the suite (`"TLSv1.3"`, `"TLSv1.2"`).
    public var protocolVersion: String
    /// The secret bits of the symmetric cipher.
    public var secretBits: Int
    /// The IANA 16-bit identifier.
    public var identifier: UInt16
    /// OpenSSL's one-line description (`SSL_CIPHER_description`).
    public var description: String

    init(_ cipher: OpaquePointer) {
        name = SSL_CIPHER_get_name(cipher).map { String(cString: $0) } ?? "(NONE)"
        protocolVersion = SSL_CIPHER_get_version(cipher).map { String(cString: $0) } ?? "(NONE)"
        var bits: Int32 = 0
        SSL_CIPHER_get_bits(cipher, &bits)
        secretBits = Int(bits)
        identifier = UInt16(truncatingIfNeeded: SSL_CIPHER_get_protocol_id(cipher))
        var buffer = [CChar](repeating: 0, count: 256)
        let text = buffer.withUnsafeMutableBufferPointer { pointer -> String in
            guard let base = pointer.baseAddress, SSL_CIPHER_description(cipher, base, Int32(pointer.count)) != nil else {
                return ""
            }
            return String(cString: base)
        }
        description = text.trimmingTrailingWhitespace()
    }
}

extension String {
    /// `self` without trailing spaces and newlines.
    func trimmingTrailingWhitespace() -> String {
        var end = endIndex
        while end > startIndex {
            let previous = index(before: end)
            guard self[previous] == " " || self[previous] == "\n" else { break }
            end = previous
        }
        return String(self[startIndex..<end])
    }
}
