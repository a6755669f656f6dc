import COpenSSL
@testable import SwiftSSL

// Building certificates for the decoder tests, byte by byte where no certificate tool would:
// DER and GeneralName encodings, and self-signed certificates made with OpenSSL's C API.

/// Minimal DER encoding, enough to write extensions byte by byte (including malformed ones that no
/// certificate tool would produce).
enum DER {
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        if content.count < 0x80 {
            length = [UInt8(content.count)]
        } else {
            var remaining = content.count
            while remaining > 0 {
                length.insert(UInt8(remaining & 0xFF), at: 0)
                remaining >>= 8
            }
            length.insert(0x80 | UInt8(length.count), at: 0)
        }
        return [tag] + length + content
    }

    static func sequence(_ items: [UInt8]...) -> [UInt8] { tlv(0x30, items.flatMap { $0 }) }
    static func utf8String(_ text: String) -> [UInt8] { tlv(0x0C, Array(text.utf8)) }
    static func printableString(_ text: String) -> [UInt8] { tlv(0x13, Array(text.utf8)) }
    static func oid(_ dotted: String) -> [UInt8] { tlv(0x06, oidContent(dotted)) }

    static func oidContent(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").compactMap { UInt64($0) }
        guard arcs.count >= 2 else { return [] }
        return ([arcs[0] * 40 + arcs[1]] + arcs.dropFirst(2)).flatMap { arc -> [UInt8] in
            var bytes = [UInt8(arc & 0x7F)]
            var remaining = arc >> 7
            while remaining > 0 {
                bytes.insert(UInt8(remaining & 0x7F) | 0x80, at: 0)
                remaining >>= 7
            }
            return bytes
        }
    }

    /// An RDNSequence with one attribute per relative name.
    static func name(_ attributes: [(oid: String, value: [UInt8])]) -> [UInt8] {
        tlv(0x30, attributes.flatMap { tlv(0x31, sequence(oid($0.oid), $0.value)) })
    }
}

/// GeneralName encodings (RFC 5280 section 4.2.1.6), context-tagged as in a certificate.
enum GeneralNameDER {
    static func email(_ text: String) -> [UInt8] { DER.tlv(0x81, Array(text.utf8)) }
    static func dns(_ text: String) -> [UInt8] { dns(Array(text.utf8)) }
    static func dns(_ bytes: [UInt8]) -> [UInt8] { DER.tlv(0x82, bytes) }
    static func uri(_ text: String) -> [UInt8] { uri(Array(text.utf8)) }
    static func uri(_ bytes: [UInt8]) -> [UInt8] { DER.tlv(0x86, bytes) }
    static func ip(_ bytes: [UInt8]) -> [UInt8] { DER.tlv(0x87, bytes) }
    static func registeredID(_ oid: String) -> [UInt8] { DER.tlv(0x88, DER.oidContent(oid)) }
    static func directoryName(_ name: [UInt8]) -> [UInt8] { DER.tlv(0xA4, name) }
    static func otherName(_ oid: String, _ value: [UInt8]) -> [UInt8] {
        DER.tlv(0xA0, DER.oid(oid) + DER.tlv(0xA0, value))
    }
    static func x400Address() -> [UInt8] { DER.tlv(0xA3, DER.sequence()) }
    static func ediPartyName(_ party: String) -> [UInt8] { DER.tlv(0xA5, DER.tlv(0xA1, DER.utf8String(party))) }
}

/// Self-signed test certificates made with OpenSSL's C API, Ed25519-signed (fast to generate).
enum TestCertificate {
    struct Attribute {
        var field: String
        var bytes: [UInt8]
        var type: Int32
        /// Adds the attribute to the previous relative name instead of starting a new one.
        var joinsPrevious = false

        init(_ field: String, _ value: String, joinsPrevious: Bool = false) {
            self.init(field, raw: Array(value.utf8), type: MBSTRING_UTF8, joinsPrevious: joinsPrevious)
        }

        /// `type` other than an `MBSTRING_*` value stores the bytes unchecked, as a hostile CA could.
        init(_ field: String, raw: [UInt8], type: Int32, joinsPrevious: Bool = false) {
            self.field = field
            self.bytes = raw
            self.type = type
            self.joinsPrevious = joinsPrevious
        }
    }

    struct Specification {
        var version = 2
        var subject: [Attribute] = [.init("C", "XY"), .init("CN", "test.example")]
        /// Nil means self-issued (the subject again).
        var issuer: [Attribute]?
        var serial: [UInt8] = [0x12, 0x34]
        var negativeSerial = false
        var notBefore = "20240101000000Z"
        var notAfter = "20340101000000Z"
        var rawNotAfter: [UInt8]?
        /// (OID, DER value) pairs, added in order, non-critical.
        var extensions: [(String, [UInt8])] = []
        /// Builds the names in place and skips signing and the DER round trip, so that values
        /// OpenSSL would refuse to encode or parse stay in the certificate.
        var inMemoryOnly = false
    }

    struct BuildError: Error, CustomStringConvertible {
        var description: String
    }

    static func make(_ specification: Specification) throws -> Certificate {
        guard let x509 = X509_new() else { throw BuildError(description: "X509_new") }
        let certificate = Certificate(taking: x509)
        try check(X509_set_version(x509, specification.version), "X509_set_version")

        guard let serial = ASN1_INTEGER_new() else { throw BuildError(description: "ASN1_INTEGER_new") }
        defer { ASN1_INTEGER_free(serial) }
        try check(ASN1_STRING_set(serial, specification.serial, Int32(specification.serial.count)), "serial")
        if specification.negativeSerial { serial.pointee.type = V_ASN1_NEG_INTEGER }
        try check(X509_set_serialNumber(x509, serial), "X509_set_serialNumber")

        // X509_set_subject_name copies by encoding and re-parsing, so add entries in place.
        try add(specification.subject, to: X509_get_subject_name(x509))
        try add(specification.issuer ?? specification.subject, to: X509_get_issuer_name(x509))

        try check(ASN1_TIME_set_string(X509_getm_notBefore(x509), specification.notBefore), "notBefore")
        try check(ASN1_TIME_set_string(X509_getm_notAfter(x509), specification.notAfter), "notAfter")
        if let raw = specification.rawNotAfter {
            try check(ASN1_STRING_set(X509_getm_notAfter(x509), raw, Int32(raw.count)), "raw notAfter")
        }
        for (oid, value) in specification.extensions {
            try addExtension(x509, oid: oid, value: value)
        }
        if specification.inMemoryOnly {
            return certificate
        }

        guard let keyContext = EVP_PKEY_CTX_new_from_name(nil, "ED25519", nil) else {
            throw BuildError(description: "EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(keyContext) }
        var key: OpaquePointer?
        try check(EVP_PKEY_keygen_init(keyContext), "EVP_PKEY_keygen_init")
        try check(EVP_PKEY_generate(keyContext, &key), "EVP_PKEY_generate")
        defer { EVP_PKEY_free(key) }
        try check(X509_set_pubkey(x509, key), "X509_set_pubkey")
        guard X509_sign(x509, key, nil) > 0 else { throw BuildError(description: "X509_sign") }
        // Round-trip through DER so the decoder sees what a peer would send, not the builder's state.
        return try certificate.derBytes.withUnsafeBytes { try Certificate.fromDER($0) }
    }

    static func add(_ attributes: [Attribute], to name: OpaquePointer?) throws {
        for attribute in attributes {
            let added = X509_NAME_add_entry_by_txt(
                name, attribute.field, attribute.type, attribute.bytes, Int32(attribute.bytes.count), -1,
                attribute.joinsPrevious ? -1 : 0)
            guard added == 1 else {
                ERR_clear_error()
                throw BuildError(description: "X509_NAME_add_entry_by_txt \(attribute.field)")
            }
        }
    }

    static func addExtension(_ x509: OpaquePointer, oid: String, value: [UInt8]) throws {
        guard let object = OBJ_txt2obj(oid, 1), let octets = ASN1_OCTET_STRING_new() else {
            throw BuildError(description: "extension \(oid)")
        }
        defer {
            ASN1_OBJECT_free(object)
            ASN1_OCTET_STRING_free(octets)
        }
        try check(ASN1_OCTET_STRING_set(octets, value, Int32(value.count)), "extension value")
        guard let ext = X509_EXTENSION_create_by_OBJ(nil, object, 0, octets) else {
            throw BuildError(description: "X509_EXTENSION_create_by_OBJ")
        }
        defer { X509_EXTENSION_free(ext) }
        try check(X509_add_ext(x509, ext, -1), "X509_add_ext")
    }

    static func check(_ result: Int32, _ what: String) throws {
        guard result == 1 else {
            ERR_clear_error()
            throw BuildError(description: what)
        }
    }
}
