/// A certificate decoded into the fields CPython's `SSLSocket.getpeercert()` reports.
///
/// Every string is exactly what CPython shows, so the Python layer only changes containers:
/// names are OpenSSL's long names (`"commonName"`), times are `"Jan  5 09:34:43 2018 GMT"`.
public struct CertificateInfo: Sendable, Equatable {
    /// The subject, as relative distinguished names, each a list of (attribute name, value).
    public var subject: DistinguishedName
    /// The issuer, in the same form.
    public var issuer: DistinguishedName
    /// The X.509 version as CPython counts it (3 for v3 certificates).
    public var version: Int
    /// The serial number in upper-case hexadecimal, without a prefix.
    public var serialNumber: String
    /// The start of validity, formatted like OpenSSL's `ASN1_TIME_print`.
    public var notBefore: String
    /// The end of validity, formatted like OpenSSL's `ASN1_TIME_print`.
    public var notAfter: String
    /// The subjectAltName entries, in certificate order; nil when the certificate has no
    /// subjectAltName extension (CPython then omits the key), empty when the extension is empty.
    public var subjectAltNames: [GeneralName]?
    /// OCSP responder URIs from the Authority Information Access extension.
    public var ocspResponders: [String]
    /// CA issuer URIs from the Authority Information Access extension.
    public var caIssuers: [String]
    /// CRL distribution point URIs.
    public var crlDistributionPoints: [String]

    /// Makes a decoded certificate from its parts.
    public init(
        subject: DistinguishedName, issuer: DistinguishedName, version: Int, serialNumber: String,
        notBefore: String, notAfter: String, subjectAltNames: [GeneralName]? = nil,
        ocspResponders: [String] = [], caIssuers: [String] = [], crlDistributionPoints: [String] = []
    ) {
        self.subject = subject
        self.issuer = issuer
        self.version = version
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.subjectAltNames = subjectAltNames
        self.ocspResponders = ocspResponders
        self.caIssuers = caIssuers
        self.crlDistributionPoints = crlDistributionPoints
    }
}

/// A distinguished name: relative distinguished names in order, each holding one or more
/// (attribute name, value) pairs.
public struct DistinguishedName: Sendable, Equatable {
    /// One attribute of a relative distinguished name.
    public struct Attribute: Sendable, Equatable {
        /// OpenSSL's long name (`"commonName"`), or the dotted OID when OpenSSL has none.
        public var name: String
        /// The value as UTF-8 text (empty for a ``bitString`` value).
        public var value: String
        /// The value's bytes when it is a BIT STRING (`x500UniqueIdentifier`), which has no text;
        /// CPython's `getpeercert()` shows these bytes as they are.
        public var bitString: [UInt8]?

        /// Makes an attribute.
        public init(name: String, value: String, bitString: [UInt8]? = nil) {
            self.name = name
            self.value = value
            self.bitString = bitString
        }
    }

    /// The relative distinguished names, in certificate order.
    public var relativeNames: [[Attribute]]

    /// Makes a name from its parts.
    public init(relativeNames: [[Attribute]]) {
        self.relativeNames = relativeNames
    }

    /// The values of every `commonName` attribute, in order.
    public var commonNames: [String] {
        relativeNames.flatMap { $0 }.filter { $0.name == "commonName" }.map(\.value)
    }
}

/// One subjectAltName (or other GeneralName) entry, with the type tags CPython uses.
public enum GeneralName: Sendable, Equatable {
    /// `('DNS', name)`.
    case dnsName(String)
    /// `('IP Address', text)`: dotted quad for IPv4, eight upper-case hex groups for IPv6.
    case ipAddress(String)
    /// `('email', address)`.
    case email(String)
    /// `('URI', uri)`.
    case uri(String)
    /// `('DirName', name)`.
    case directoryName(DistinguishedName)
    /// `('Registered ID', oid)`.
    case registeredID(String)
    /// The types CPython prints through OpenSSL and splits at the first colon: othername,
    /// X400Name, EdiPartyName, e.g. `('othername', '<unsupported>')` or `('othername', 'UPN:a@b')`.
    case other(tag: String, value: String)

    /// The tag CPython puts first in the pair.
    public var pythonTag: String {
        switch self {
        case .dnsName: return "DNS"
        case .ipAddress: return "IP Address"
        case .email: return "email"
        case .uri: return "URI"
        case .directoryName: return "DirName"
        case .registeredID: return "Registered ID"
        case .other(let tag, _): return tag
        }
    }
}
