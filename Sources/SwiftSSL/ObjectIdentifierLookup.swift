import COpenSSL

/// An ASN.1 object identifier with OpenSSL's names for it (CPython's `ssl._ASN1Object`).
public struct ObjectIdentifierInfo: Sendable, Equatable {
    /// OpenSSL's numeric id (NID).
    public var nid: Int
    /// OpenSSL's short name (`"serverAuth"`).
    public var shortName: String?
    /// OpenSSL's long name (`"TLS Web Server Authentication"`).
    public var longName: String?
    /// The dotted OID (`"1.3.6.1.5.5.7.3.1"`).
    public var dottedString: String

    /// Looks up a dotted OID, or (with `allowingNames`) also a short or long name.
    public static func lookup(_ text: String, allowingNames: Bool) throws -> ObjectIdentifierInfo {
        OpenSSLErrorQueue.clear()
        guard let object = OBJ_txt2obj(text, allowingNames ? 0 : 1) else {
            OpenSSLErrorQueue.clear()
            throw TLSError.invalidArgument("unknown object '\(text.prefix(100))'")
        }
        defer { ASN1_OBJECT_free(object) }
        return try describe(object)
    }

    /// Looks up an OpenSSL NID.
    public static func lookup(nid: Int) throws -> ObjectIdentifierInfo {
        guard nid >= Int(NID_undef) else { throw TLSError.invalidArgument("NID must be positive.") }
        guard nid <= Int(Int32.max), let object = OBJ_nid2obj(Int32(nid)) else {
            OpenSSLErrorQueue.clear()
            throw TLSError.invalidArgument("unknown NID \(nid)")
        }
        // OBJ_nid2obj returns OpenSSL's static table entry: nothing to free.
        return try describe(object)
    }

    private static func describe(_ object: OpaquePointer) throws -> ObjectIdentifierInfo {
        let nid = OBJ_obj2nid(object)
        guard nid != NID_undef else { throw TLSError.invalidArgument("Unknown object") }
        // OBJ_obj2txt returns the full length, which may exceed the buffer: ask again if so.
        var buffer = [CChar](repeating: 0, count: 128)
        var length = buffer.withUnsafeMutableBufferPointer { storage in
            OBJ_obj2txt(storage.baseAddress, Int32(storage.count), object, 1)
        }
        if length >= Int32(buffer.count) {
            buffer = [CChar](repeating: 0, count: Int(length) + 1)
            length = buffer.withUnsafeMutableBufferPointer { storage in
                OBJ_obj2txt(storage.baseAddress, Int32(storage.count), object, 1)
            }
        }
        guard length >= 0 else { throw TLSError.fromQueue("could not print the object identifier") }
        // Some NIDs (pseudo-objects) have no OID at all: an empty string, as in CPython.
        let dotted = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return ObjectIdentifierInfo(
            nid: Int(nid), shortName: OBJ_nid2sn(nid).map { String(cString: $0) },
            longName: OBJ_nid2ln(nid).map { String(cString: $0) }, dottedString: dotted)
    }
}
