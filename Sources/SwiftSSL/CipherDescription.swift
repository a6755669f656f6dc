import COpenSSL

/// A cipher suite, described the way CPython's `SSLSocket.cipher()` and `get_ciphers()` do.
public struct CipherDescription: Sendable, Equatable {
    /// OpenSSL's name (`"TLS_AES_256_GCM_SHA384"`, `"ECDHE-RSA-AES128-GCM-SHA256"`).
    public var name: String
    /// The protocol version that introduced the suite (`"TLSv1.3"`, `"TLSv1.2"`).
    public var protocolVersion: String
    /// The secret bits of the symmetric cipher, its strength (112 for 3DES).
    public var secretBits: Int
    /// The bits the symmetric cipher processes as its key (168 for 3DES).
    public var algorithmBits: Int
    /// The IANA 16-bit identifier.
    public var identifier: UInt16
    /// OpenSSL's one-line description (`SSL_CIPHER_description`), without its final newline.
    public var description: String
    /// Whether the suite's cipher is an AEAD (GCM, CCM, ChaCha20-Poly1305).
    public var isAEAD: Bool
    /// OpenSSL's long name of the symmetric cipher (`"aes-128-gcm"`), nil when it has none.
    public var symmetricCipher: String?
    /// OpenSSL's long name of the MAC digest (`"sha256"`), nil for AEAD suites.
    public var digest: String?
    /// OpenSSL's long name of the key exchange (`"kx-ecdhe"`, `"kx-any"` for TLS 1.3).
    public var keyExchange: String?
    /// OpenSSL's long name of the authentication (`"auth-rsa"`, `"auth-any"` for TLS 1.3).
    public var authentication: String?

    init(_ cipher: OpaquePointer) {
        name = SSL_CIPHER_get_name(cipher).map { String(cString: $0) } ?? "(NONE)"
        protocolVersion = SSL_CIPHER_get_version(cipher).map { String(cString: $0) } ?? "(NONE)"
        var bits: Int32 = 0
        secretBits = Int(SSL_CIPHER_get_bits(cipher, &bits))
        algorithmBits = Int(bits)
        identifier = UInt16(truncatingIfNeeded: SSL_CIPHER_get_protocol_id(cipher))
        // CPython's buffer is 512 bytes; OpenSSL's widest line is about 100.
        var buffer = [CChar](repeating: 0, count: 512)
        let text = buffer.withUnsafeMutableBufferPointer { pointer -> String in
            guard let base = pointer.baseAddress, SSL_CIPHER_description(cipher, base, Int32(pointer.count)) != nil else {
                return ""
            }
            return String(cString: base)
        }
        // Only the newline goes: the spaces padding the last column stay, as in CPython.
        description = text.hasSuffix("\n") && text.count > 1 ? String(text.dropLast()) : text
        isAEAD = SSL_CIPHER_is_aead(cipher) == 1
        symmetricCipher = CipherDescription.longName(SSL_CIPHER_get_cipher_nid(cipher))
        digest = CipherDescription.longName(SSL_CIPHER_get_digest_nid(cipher))
        keyExchange = CipherDescription.longName(SSL_CIPHER_get_kx_nid(cipher))
        authentication = CipherDescription.longName(SSL_CIPHER_get_auth_nid(cipher))
    }

    private static func longName(_ nid: Int32) -> String? {
        guard nid != NID_undef, let name = OBJ_nid2ln(nid) else { return nil }
        return String(cString: name)
    }
}
