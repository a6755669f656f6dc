@preconcurrency import CPython
import SwiftSSL

/// Builds the dict CPython's `getpeercert()` returns from a decoded certificate, key by key in
/// CPython's order; optional keys appear only when the certificate has them.
enum CertificateConversion {
    /// The dict of `certificate`; decoding errors carry CPython's error numbers.
    static func dictionary(of certificate: Certificate) throws -> PyObjectPointer {
        try withSetSSLErrorNumbers { try dictionary(certificate.info) }
    }

    static func dictionary(_ info: CertificateInfo) throws -> PyObjectPointer {
        let dict = try checked(PyDict_New())
        do {
            try setItem(dict, "subject", try name(info.subject))
            try setItem(dict, "issuer", try name(info.issuer))
            try setItem(dict, "version", newInt(info.version))
            try setItem(dict, "serialNumber", newString(info.serialNumber))
            try setItem(dict, "notBefore", newString(info.notBefore))
            try setItem(dict, "notAfter", newString(info.notAfter))
            if let subjectAltNames = info.subjectAltNames {
                try setItem(dict, "subjectAltName", try newTuple(subjectAltNames.map { try? generalName($0) }))
            }
            try setOptionalStrings(dict, "OCSP", info.ocspResponders)
            try setOptionalStrings(dict, "caIssuers", info.caIssuers)
            try setOptionalStrings(dict, "crlDistributionPoints", info.crlDistributionPoints)
        } catch {
            CSwiftSSLPy_DecRef(dict)
            throw error
        }
        return dict
    }

    private static func setOptionalStrings(_ dict: PyObjectPointer, _ key: String, _ values: [String]) throws {
        guard !values.isEmpty else { return }
        try setItem(dict, key, try newTuple(values.map(newString)))
    }

    /// `((('countryName', 'US'),), (('commonName', 'x'),))`.
    static func name(_ name: DistinguishedName) throws -> PyObjectPointer {
        try newTuple(name.relativeNames.map { relativeName in
            try? newTuple(relativeName.map { attribute in
                try? newTuple([newString(attribute.name), value(of: attribute)])
            })
        })
    }

    /// The text; for a BIT STRING its bytes, or None when it is empty (OpenSSL then holds no
    /// data, and CPython's `Py_BuildValue("y#", NULL, 0)` gives None).
    private static func value(of attribute: DistinguishedName.Attribute) -> PyObjectPointer? {
        guard let bits = attribute.bitString else { return newString(attribute.value) }
        return bits.isEmpty ? newNone() : bits.withUnsafeBytes(newBytes)
    }

    static func generalName(_ entry: GeneralName) throws -> PyObjectPointer {
        let value: PyObjectPointer?
        switch entry {
        case .dnsName(let text), .ipAddress(let text), .email(let text), .uri(let text), .registeredID(let text):
            value = newString(text)
        case .directoryName(let directoryName):
            value = try self.name(directoryName)
        case .other(_, let text):
            value = newString(text)
        }
        return try newTuple([newString(entry.pythonTag), value])
    }
}
