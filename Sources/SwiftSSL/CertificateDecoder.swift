import COpenSSL

extension Certificate {
    /// The certificate decoded into exactly the fields and strings CPython 3.11's
    /// `SSLSocket.getpeercert()` (and `_ssl._test_decode_cert`) report.
    ///
    /// Decoding reads the parsed certificate only; it never traps, whatever the certificate holds.
    /// It throws where CPython raises: a name value OpenSSL cannot convert to UTF-8 (CPython's
    /// `SSLError`), text that is not valid UTF-8 (CPython's `UnicodeDecodeError`, here
    /// ``TLSError/Kind/invalidArgument``), or an OpenSSL print form without a colon.
    /// Extensions OpenSSL cannot parse are left out, as CPython leaves them out.
    public var info: CertificateInfo {
        get throws { try CertificateDecoder.decode(x509) }
    }
}

/// The decoding behind ``Certificate/info``: each step makes the OpenSSL calls CPython's
/// `_decode_certificate` makes, in the same order and with the same buffer sizes, so that edge cases
/// (printed forms, truncation, odd lengths) come out byte for byte the same.
enum CertificateDecoder {
    static func decode(_ x509: OpaquePointer) throws -> CertificateInfo {
        // X509_get_ext_d2i queues errors for malformed extensions, which CPython ignores (the key
        // is simply absent); leave nothing behind for the next caller.
        OpenSSLErrorQueue.clear()
        defer { OpenSSLErrorQueue.clear() }

        guard let subjectName = X509_get_subject_name(x509), let issuerName = X509_get_issuer_name(x509) else {
            throw TLSError.invalidArgument("certificate has no subject or issuer name")
        }
        let subject = try distinguishedName(subjectName)
        let issuer = try distinguishedName(issuerName)
        // Wrapping, as CPython's C addition does in practice; a parsed version is 0…2 anyway.
        let version = Int(X509_get_version(x509)) &+ 1

        let printer = try LinePrinter()
        let serialNumber = try printer.text("serial number") { bio in
            _ = i2a_ASN1_INTEGER(bio, X509_get_serialNumber(x509))
        }
        guard let notBeforeTime = X509_get0_notBefore(x509), let notAfterTime = X509_get0_notAfter(x509) else {
            throw TLSError.invalidArgument("certificate has no validity period")
        }
        // ASN1_TIME_print writes "Bad time value" for a malformed time; CPython shows that text.
        let notBefore = try printer.text("notBefore") { bio in _ = ASN1_TIME_print(bio, notBeforeTime) }
        let notAfter = try printer.text("notAfter") { bio in _ = ASN1_TIME_print(bio, notAfterTime) }

        let subjectAltNames = try self.subjectAltNames(x509, printer: printer)
        let access = try authorityInformationAccess(x509)
        return CertificateInfo(
            subject: subject, issuer: issuer, version: version, serialNumber: serialNumber,
            notBefore: notBefore, notAfter: notAfter, subjectAltNames: subjectAltNames,
            ocspResponders: access.ocspResponders, caIssuers: access.caIssuers,
            crlDistributionPoints: try crlDistributionPoints(x509))
    }

    // MARK: Names

    /// Groups entries into relative distinguished names by their `set` index, as CPython does.
    static func distinguishedName(_ name: OpaquePointer) throws -> DistinguishedName {
        var relativeNames: [[DistinguishedName.Attribute]] = []
        var current: [DistinguishedName.Attribute] = []
        var currentSet: Int32?
        let count = X509_NAME_entry_count(name)
        var index: Int32 = 0
        while index < count {
            defer { index += 1 }
            guard let entry = X509_NAME_get_entry(name, index),
                  let object = X509_NAME_ENTRY_get_object(entry),
                  let value = X509_NAME_ENTRY_get_data(entry)
            else {
                throw TLSError.invalidArgument("certificate name entry \(index) is incomplete")
            }
            let set = X509_NAME_ENTRY_set(entry)
            if let currentSet, currentSet != set {
                relativeNames.append(current)
                current = []
            }
            currentSet = set
            if ASN1_STRING_type(value) == V_ASN1_BIT_STRING {
                // No text to convert: CPython returns the bytes.
                current.append(DistinguishedName.Attribute(name: try objectName(object), value: "", bitString: bytes(of: value)))
            } else {
                current.append(DistinguishedName.Attribute(name: try objectName(object), value: try utf8Value(value)))
            }
        }
        if !current.isEmpty {
            relativeNames.append(current)
        }
        return DistinguishedName(relativeNames: relativeNames)
    }

    /// OpenSSL's long name for a known OID, else its dotted form (`OBJ_obj2txt` with names allowed).
    static func objectName(_ object: OpaquePointer) throws -> String {
        // CPython first tries a 256-byte buffer, then asks for the exact size; the result is the
        // whole text either way, so ask for the size first.
        let needed = OBJ_obj2txt(nil, 0, object, 0)
        guard needed >= 0, needed < Int32.max else {
            throw TLSError.fromQueue("could not name a certificate attribute")
        }
        var buffer = [CChar](repeating: 0, count: Int(needed) + 1)
        let written = OBJ_obj2txt(&buffer, needed + 1, object, 0)
        guard written >= 0 else {
            throw TLSError.fromQueue("could not name a certificate attribute")
        }
        return try utf8Text(buffer.prefix(Int(written)).map { UInt8(bitPattern: $0) }, field: "attribute name")
    }

    /// A name value converted by `ASN1_STRING_to_UTF8`; embedded NULs are kept, as CPython keeps them.
    static func utf8Value(_ value: UnsafeMutablePointer<ASN1_STRING>) throws -> String {
        var output: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&output, value)
        // ASN1_STRING_to_UTF8 allocates only on success, but free whatever it handed back.
        defer { if let output { CSwiftSSL_OPENSSL_free(output) } }
        guard length >= 0 else {
            throw TLSError.fromQueue("could not convert a certificate name value to UTF-8")
        }
        guard let output else { return "" }
        // Safe: OpenSSL allocated `length` bytes at `output`, and they live until the deferred free.
        return try utf8Text(UnsafeBufferPointer(start: output, count: Int(length)), field: "name value")
    }

    // MARK: Extensions

    /// The subjectAltName entries, or nil when the extension is absent, duplicated or malformed
    /// (`X509_get_ext_d2i` returns NULL for all three, and CPython then omits the key).
    static func subjectAltNames(_ x509: OpaquePointer, printer: LinePrinter) throws -> [GeneralName]? {
        guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) else { return nil }
        let names = OpaquePointer(raw)
        defer { CSwiftSSL_GENERAL_NAMES_free_all(names) }
        var result: [GeneralName] = []
        let count = CSwiftSSL_sk_GENERAL_NAME_num(names)
        var index: Int32 = 0
        while index < count {
            defer { index += 1 }
            guard let name = CSwiftSSL_sk_GENERAL_NAME_value(names, index) else { continue }
            result.append(try generalName(name, printer: printer))
        }
        return result
    }

    /// One GeneralName, rendered as CPython's `_get_peer_alt_names` renders it.
    static func generalName(_ name: UnsafeMutablePointer<GENERAL_NAME>, printer: LinePrinter) throws -> GeneralName {
        let type = name.pointee.type
        let content = name.pointee.d
        switch type {
        case GEN_DIRNAME:
            guard let directory = content.dirn else { throw incomplete("DirName") }
            return .directoryName(try distinguishedName(directory))
        case GEN_EMAIL:
            return .email(try ia5Text(content.rfc822Name, field: "email"))
        case GEN_DNS:
            return .dnsName(try ia5Text(content.dNSName, field: "DNS"))
        case GEN_URI:
            return .uri(try ia5Text(content.uniformResourceIdentifier, field: "URI"))
        case GEN_RID:
            guard let identifier = content.rid else { throw incomplete("Registered ID") }
            return .registeredID(try registeredID(identifier))
        case GEN_IPADD:
            guard let address = content.ip else { throw incomplete("IP Address") }
            return .ipAddress(ipAddressText(bytes(of: address)))
        default:
            // othername, X400Name, EdiPartyName: CPython prints them with OpenSSL and splits at
            // the first colon ("othername:<unsupported>", "othername:UPN:a@b").
            return try printedName(name, printer: printer)
        }
    }

    /// `i2t_ASN1_OBJECT` into CPython's 2048-byte buffer: the long name or dotted OID, and
    /// `"<INVALID>"` when the text does not fit.
    static func registeredID(_ identifier: OpaquePointer) throws -> String {
        let bufferSize = 2048
        var buffer = [CChar](repeating: 0, count: bufferSize)
        let length = i2t_ASN1_OBJECT(&buffer, Int32(bufferSize - 1), identifier)
        guard length >= 0 else { throw TLSError.fromQueue("could not print a Registered ID") }
        if Int(length) >= bufferSize { return "<INVALID>" }
        // A text of exactly bufferSize - 1 characters was cut one short and NUL-terminated;
        // CPython still takes `length` bytes, NUL included, and so does this.
        return try utf8Text(buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, field: "Registered ID")
    }

    /// CPython's own IP formats (not OpenSSL's): dotted decimal, eight upper-case hex groups without
    /// zero compression, or `"<invalid>"` for any other length.
    static func ipAddressText(_ address: [UInt8]) -> String {
        switch address.count {
        case 4:
            return address.map { String($0) }.joined(separator: ".")
        case 16:
            return stride(from: 0, to: 16, by: 2).map { offset in
                String(UInt16(address[offset]) << 8 | UInt16(address[offset + 1]), radix: 16, uppercase: true)
            }.joined(separator: ":")
        default:
            return "<invalid>"
        }
    }

    /// The GENERAL_NAME_print form, first line only, split at the first colon as CPython splits it.
    static func printedName(_ name: UnsafeMutablePointer<GENERAL_NAME>, printer: LinePrinter) throws -> GeneralName {
        let line = try printer.firstLine { bio in _ = GENERAL_NAME_print(bio, name) }
        // CPython looks for the colon with strchr, which stops at the first NUL, then keeps every
        // byte BIO_gets returned after it.
        let searchable = line.prefix { $0 != 0 }
        guard let colon = searchable.firstIndex(of: UInt8(ascii: ":")) else {
            let shown = String(decoding: searchable.prefix(200), as: UTF8.self)
            throw TLSError.invalidArgument("Invalid value \(shown)")
        }
        let tag = try utf8Text(line[line.startIndex..<colon], field: "general name type")
        let value = try utf8Text(line[(colon + 1)...], field: "general name")
        return .other(tag: tag, value: value)
    }

    /// OCSP and caIssuers URIs of the Authority Information Access extension; other access methods
    /// and non-URI locations are skipped, as CPython skips them.
    static func authorityInformationAccess(_ x509: OpaquePointer) throws -> (ocspResponders: [String], caIssuers: [String]) {
        guard let raw = X509_get_ext_d2i(x509, NID_info_access, nil, nil) else { return ([], []) }
        let access = OpaquePointer(raw)
        defer { AUTHORITY_INFO_ACCESS_free(access) }
        var ocspResponders: [String] = []
        var caIssuers: [String] = []
        let count = CSwiftSSL_sk_ACCESS_DESCRIPTION_num(access)
        var index: Int32 = 0
        while index < count {
            defer { index += 1 }
            guard let description = CSwiftSSL_sk_ACCESS_DESCRIPTION_value(access, index),
                  let method = description.pointee.method,
                  let location = description.pointee.location,
                  location.pointee.type == GEN_URI
            else { continue }
            switch OBJ_obj2nid(method) {
            case NID_ad_OCSP:
                ocspResponders.append(try ia5Text(location.pointee.d.uniformResourceIdentifier, field: "OCSP"))
            case NID_ad_ca_issuers:
                caIssuers.append(try ia5Text(location.pointee.d.uniformResourceIdentifier, field: "caIssuers"))
            default:
                continue
            }
        }
        return (ocspResponders, caIssuers)
    }

    /// The URIs of every CRL distribution point's full name.
    ///
    /// Points without a name are skipped (CVE-2019-5010, as CPython does). Points named by a
    /// relative name are skipped too: CPython reads that union member as a list of GeneralNames,
    /// which is undefined behaviour; skipping is the only safe reading.
    static func crlDistributionPoints(_ x509: OpaquePointer) throws -> [String] {
        guard let raw = X509_get_ext_d2i(x509, NID_crl_distribution_points, nil, nil) else { return [] }
        let points = OpaquePointer(raw)
        defer { CRL_DIST_POINTS_free(points) }
        var uris: [String] = []
        let count = CSwiftSSL_sk_DIST_POINT_num(points)
        var index: Int32 = 0
        while index < count {
            defer { index += 1 }
            guard let point = CSwiftSSL_sk_DIST_POINT_value(points, index),
                  let pointName = point.pointee.distpoint,
                  pointName.pointee.type == 0,  // fullName; 1 is nameRelativeToCRLIssuer
                  let names = pointName.pointee.name.fullname
            else { continue }
            let nameCount = CSwiftSSL_sk_GENERAL_NAME_num(names)
            var nameIndex: Int32 = 0
            while nameIndex < nameCount {
                defer { nameIndex += 1 }
                guard let name = CSwiftSSL_sk_GENERAL_NAME_value(names, nameIndex), name.pointee.type == GEN_URI else {
                    continue
                }
                uris.append(try ia5Text(name.pointee.d.uniformResourceIdentifier, field: "crlDistributionPoints"))
            }
        }
        return uris
    }

    // MARK: Text

    /// The raw bytes of an IA5String-typed name, decoded as CPython decodes them (strict UTF-8,
    /// NULs kept; CVE-2013-4238 is why nothing here goes through OpenSSL's printing).
    static func ia5Text(_ string: UnsafeMutablePointer<ASN1_STRING>?, field: String) throws -> String {
        guard let string else { throw incomplete(field) }
        return try utf8Text(bytes(of: string), field: field)
    }

    /// A copy of an ASN1_STRING's content bytes.
    static func bytes(of string: UnsafeMutablePointer<ASN1_STRING>) -> [UInt8] {
        let length = ASN1_STRING_length(string)
        guard length > 0, let data = ASN1_STRING_get0_data(string) else { return [] }
        // Safe: OpenSSL guarantees `length` readable bytes at `data` while `string` is alive.
        return Array(UnsafeBufferPointer(start: data, count: Int(length)))
    }

    /// Strict UTF-8, as `PyUnicode_FromStringAndSize` decodes: CPython raises UnicodeDecodeError
    /// (a ValueError) on invalid bytes, so this throws rather than substituting U+FFFD.
    static func utf8Text<Bytes: Collection>(_ bytes: Bytes, field: String) throws -> String where Bytes.Element == UInt8 {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            var error = TLSError.invalidArgument("'utf-8' codec can't decode the certificate's \(field): invalid UTF-8")
            error.undecodableText = Array(bytes)
            throw error
        }
        return text
    }

    static func incomplete(_ field: String) -> TLSError {
        TLSError.invalidArgument("certificate \(field) entry has no value")
    }
}

/// A memory BIO read back the way CPython reads printed fields: one `BIO_gets` into a 2048-byte
/// buffer (so only the first line, at most 2047 bytes, is kept).
final class LinePrinter {
    static let bufferSize = 2048
    private let bio: OpaquePointer

    init() throws {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw TLSError.fromQueue("failed to allocate BIO")
        }
        self.bio = bio
    }

    deinit {
        BIO_free(bio)
    }

    /// Empties the BIO, lets `print` write into it, and returns the first line's bytes.
    func firstLine(_ print: (OpaquePointer) -> Void) throws -> [UInt8] {
        _ = BIO_ctrl(bio, BIO_CTRL_RESET, 0, nil)
        print(bio)
        var buffer = [CChar](repeating: 0, count: LinePrinter.bufferSize)
        let length = BIO_gets(bio, &buffer, Int32(LinePrinter.bufferSize - 1))
        guard length >= 0 else {
            throw TLSError.fromQueue("could not read back a printed certificate field")
        }
        return buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
    }

    /// ``firstLine(_:)`` decoded as strict UTF-8.
    func text(_ field: String, _ print: (OpaquePointer) -> Void) throws -> String {
        try CertificateDecoder.utf8Text(firstLine(print), field: field)
    }
}
