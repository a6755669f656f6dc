#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Checks that a decoded certificate is valid for `hostname`, with CPython 3.11's
/// `ssl.match_hostname` rules and messages (CPython is the oracle; see
/// ``matchHostname(subjectAltNames:subject:hostname:)`` for the rules).
///
/// - Throws: ``TLSError`` of kind ``TLSError/Kind/hostnameMismatch`` where CPython raises
///   `CertificateError`, of kind ``TLSError/Kind/invalidArgument`` where it raises a plain
///   `ValueError` (an `IP Address` entry that is not an address).
public func matchHostname(_ info: CertificateInfo, hostname: String) throws {
    // DirName entries never match; every other entry keeps the (tag, value) pair CPython's dict holds.
    let subjectAltNames: [(tag: String, value: String)] = (info.subjectAltNames ?? []).compactMap { name in
        switch name {
        case .dnsName(let value), .ipAddress(let value), .email(let value), .uri(let value), .registeredID(let value):
            return (name.pythonTag, value)
        case .other(let tag, let value):
            return (tag, value)
        case .directoryName:
            return nil
        }
    }
    let subject = info.subject.relativeNames.map { $0.map { (name: $0.name, value: $0.value) } }
    try matchHostname(subjectAltNames: subjectAltNames, subject: subject, hostname: hostname)
}

/// Checks `hostname` against certificate names given as plain pairs, the shape of the dict
/// `getpeercert()` returns, so that certificates built by hand (as Python callers do) work too.
///
/// The rules are CPython 3.11's `ssl.match_hostname`, exactly:
/// - A hostname that is an IPv4 address in quad-dotted form, or an IPv6 address, is compared by
///   value with `IP Address` entries only; anything else is compared with `DNS` entries.
/// - Names compare case-insensitively (Python's `str.lower()`); a `DNS` name may hold one `*`, as the
///   whole left-most label, matching exactly one non-empty label. Other wildcard forms throw.
/// - `commonName` attributes of the subject count only when there is no `DNS` or `IP Address` entry.
///
/// One deliberate extension: a hostname with non-ASCII (U-label) labels also matches the names its
/// A-label form (`xn--…`) matches. Messages always show the hostname as given.
///
/// CPython first raises `ValueError("empty or no certificate, …")` when the certificate dict is
/// empty. An empty dict and a dict without names look alike here, so that check belongs to the
/// caller: the Python glue tests the dict itself and raises ``TLSError/emptyCertificateForHostnameMatch``.
///
/// - Throws: ``TLSError`` of kind ``TLSError/Kind/hostnameMismatch`` with CPython's
///   `CertificateError` message when nothing matches or a wildcard is malformed, and
///   ``TLSError/Kind/invalidArgument`` with CPython's `ValueError` message when an
///   `IP Address` value is not an address.
public func matchHostname(
    subjectAltNames: [(tag: String, value: String)], subject: [[(name: String, value: String)]], hostname: String
) throws {
    let hostAddress = try? InternetAddress.packed(hostname)
    // Only a name that has non-ASCII labels has a different A-label; a failed conversion leaves
    // CPython's behaviour alone.
    let asciiHostname = hostname.unicodeScalars.allSatisfy(\.isASCII) ? nil : try? Punycode.toASCII(hostname)

    func dnsNameMatches(_ pattern: String) throws -> Bool {
        if try HostnameMatcher.dnsNameMatches(pattern, hostname) { return true }
        guard let asciiHostname else { return false }
        return try HostnameMatcher.dnsNameMatches(pattern, asciiHostname)
    }

    var names: [String] = []
    for (tag, value) in subjectAltNames {
        if PythonText.equal(tag, "DNS") {
            if hostAddress == nil, try dnsNameMatches(value) { return }
            names.append(value)
        } else if PythonText.equal(tag, "IP Address") {
            if let hostAddress, try InternetAddress.packed(PythonText.strippingTrailingWhitespace(value)) == hostAddress {
                return
            }
            names.append(value)
        }
    }
    if names.isEmpty {
        for relativeName in subject {
            for (name, value) in relativeName where PythonText.equal(name, "commonName") {
                if try dnsNameMatches(value) { return }
                names.append(value)
            }
        }
    }
    switch names.count {
    case 0:
        throw HostnameMatcher.mismatch("no appropriate commonName or subjectAltName fields were found")
    case 1:
        throw HostnameMatcher.mismatch("hostname \(pythonRepr(hostname)) doesn't match \(pythonRepr(names[0]))")
    default:
        let listed = names.map(pythonRepr).joined(separator: ", ")
        throw HostnameMatcher.mismatch("hostname \(pythonRepr(hostname)) doesn't match either of \(listed)")
    }
}

extension TLSError {
    /// CPython's `ValueError` for `match_hostname(cert, hostname)` with an empty or missing `cert`
    /// (`getpeercert()` returns `{}` on a `CERT_NONE` socket). The Python layer raises it after
    /// testing the dict, before calling ``matchHostname(subjectAltNames:subject:hostname:)``.
    public static let emptyCertificateForHostnameMatch = TLSError.invalidArgument(
        "empty or no certificate, match_hostname needs a SSL socket or SSL context with either "
            + "CERT_OPTIONAL or CERT_REQUIRED")
}

/// CPython's `_dnsname_match`, over Unicode scalars as Python strings are code points.
enum HostnameMatcher {
    static func mismatch(_ message: String) -> TLSError {
        TLSError(kind: .hostnameMismatch, message: message)
    }

    /// RFC 6125 section 6.4.3 as CPython restricts it: one wildcard, alone in the left-most label.
    static func dnsNameMatches(_ pattern: String, _ hostname: String) throws -> Bool {
        let patternScalars = Array(pattern.unicodeScalars)
        if patternScalars.isEmpty { return false }
        let hostScalars = Array(hostname.unicodeScalars)
        let wildcardCount = patternScalars.lazy.filter { $0 == "*" }.count
        if wildcardCount == 0 {
            return PythonText.lowercased(patternScalars) == PythonText.lowercased(hostScalars)
        }
        if wildcardCount > 1 {
            throw mismatch("too many wildcards in certificate DNS name: \(pythonRepr(pattern)).")
        }
        let (leftmost, hasDot, remainder) = partition(patternScalars)
        if remainder.contains("*") {
            throw mismatch("wildcard can only be present in the leftmost label: \(pythonRepr(pattern)).")
        }
        if !hasDot {
            throw mismatch("sole wildcard without additional labels are not support: \(pythonRepr(pattern)).")
        }
        if leftmost != ["*"] {
            throw mismatch("partial wildcards in leftmost label are not supported: \(pythonRepr(pattern)).")
        }
        let (hostLeftmost, hostHasDot, hostRemainder) = partition(hostScalars)
        // The wildcard must match at least one character.
        if hostLeftmost.isEmpty || !hostHasDot { return false }
        return PythonText.lowercased(remainder) == PythonText.lowercased(hostRemainder)
    }

    /// Python's `str.partition('.')`.
    static func partition(_ scalars: [Unicode.Scalar]) -> ([Unicode.Scalar], Bool, [Unicode.Scalar]) {
        guard let dot = scalars.firstIndex(of: ".") else { return (scalars, false, []) }
        return (Array(scalars[..<dot]), true, Array(scalars[(dot + 1)...]))
    }
}

/// CPython's `ssl._inet_paton` over Glibc's parsers, so the same inputs are accepted.
enum InternetAddress {
    /// The packed address: 4 bytes for a quad-dotted IPv4 address, 16 for IPv6.
    ///
    /// - Throws: ``TLSError/Kind/invalidArgument`` with CPython's `ValueError` messages, including
    ///   the refusal of forms `inet_aton` accepts but does not round-trip (`'127.1'`,
    ///   `'1.2.3.4 trailing'`).
    static func packed(_ text: String) throws -> [UInt8] {
        // socket.inet_aton converts its argument to a C string and refuses embedded NULs.
        if text.utf8.contains(0) {
            throw TLSError.invalidArgument("embedded null character")
        }
        var ipv4 = in_addr()
        if text.withCString({ inet_aton($0, &ipv4) }) != 0 {
            // s_addr is in network order, so its memory holds the four bytes in address order.
            let bytes = withUnsafeBytes(of: ipv4.s_addr) { Array($0) }
            // inet_ntoa's format, built here because inet_ntoa returns a shared static buffer.
            let canonical = bytes.map { String($0) }.joined(separator: ".")
            if canonical.utf8.elementsEqual(text.utf8) {
                return bytes
            }
            throw TLSError.invalidArgument("\(pythonRepr(text)) is not a quad-dotted IPv4 address.")
        }
        var ipv6 = in6_addr()
        if text.withCString({ inet_pton(AF_INET6, $0, &ipv6) }) == 1 {
            return withUnsafeBytes(of: &ipv6) { Array($0) }
        }
        throw TLSError.invalidArgument("\(pythonRepr(text)) is neither an IPv4 nor an IP6 address.")
    }
}

/// Python's `repr()` of a `str`: single quotes unless the text has a single quote and no double
/// quote; backslash escapes for the quote, `\\`, `\t`, `\n`, `\r`; `\xNN`, `\uNNNN` or `\UNNNNNNNN`
/// (lower-case hex) for characters Python does not print; everything else as is.
func pythonRepr(_ text: String) -> String {
    let scalars = text.unicodeScalars
    let quote: Unicode.Scalar = scalars.contains("'") && !scalars.contains("\"") ? "\"" : "'"
    var result = String.UnicodeScalarView()
    result.append(quote)
    for scalar in scalars {
        switch scalar {
        case quote, "\\":
            result.append("\\")
            result.append(scalar)
        case "\t": result.append(contentsOf: "\\t".unicodeScalars)
        case "\n": result.append(contentsOf: "\\n".unicodeScalars)
        case "\r": result.append(contentsOf: "\\r".unicodeScalars)
        default:
            let value = scalar.value
            if value < 0x20 || value == 0x7F || (value > 0x7F && !PythonText.isPrintable(scalar)) {
                let (prefix, width) = value <= 0xFF ? ("\\x", 2) : value <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
                let digits = String(value, radix: 16)
                result.append(contentsOf: (prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
    }
    result.append(quote)
    return String(result)
}

/// The few `str` behaviours of CPython 3.11 that the matching rules depend on, on code points and
/// with CPython 3.11's Unicode database (14.0): characters assigned later are unassigned to it.
enum PythonText {
    static func isKnownToPython(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major < 14 || (age.major == 14 && age.minor == 0)
    }

    /// `a == b` in Python: code points, not Swift's canonical equivalence (`"\u{212A}" == "K"`).
    static func equal(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.elementsEqual(b.unicodeScalars)
    }

    /// `str.lower()`: full lower-case mappings, and U+03A3 becomes final sigma (U+03C2) in the
    /// Final_Sigma context, as CPython does.
    static func lowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        for (index, scalar) in scalars.enumerated() {
            if scalar.isASCII {
                let value = UInt8(scalar.value)
                result.append(Unicode.Scalar((65...90).contains(value) ? value + 32 : value))
            } else if scalar == "\u{3A3}" {
                result.append(isFinalSigma(scalars, at: index) ? "\u{3C2}" : "\u{3C3}")
            } else if isKnownToPython(scalar) {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return result
    }

    /// Cased letter, then case-ignorables, the sigma, and no cased letter after more case-ignorables.
    static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        func isCased(_ scalar: Unicode.Scalar) -> Bool { isKnownToPython(scalar) && scalar.properties.isCased }
        func isIgnorable(_ scalar: Unicode.Scalar) -> Bool {
            isKnownToPython(scalar) && scalar.properties.isCaseIgnorable
        }
        guard let before = scalars[..<index].last(where: { !isIgnorable($0) }), isCased(before) else { return false }
        guard let after = scalars[(index + 1)...].first(where: { !isIgnorable($0) }) else { return true }
        return !isCased(after)
    }

    /// `str.rstrip()`: drops trailing characters Python counts as whitespace.
    static func strippingTrailingWhitespace(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        while let last = scalars.last, isWhitespace(last) {
            scalars.removeLast()
        }
        return String(String.UnicodeScalarView(scalars))
    }

    /// `str.isspace()` for one character (bidirectional class WS, B or S, or category Zs).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `str.isprintable()` for one character: not Cc, Cf, Cs, Co, Cn, Zl, Zp, or Zs other than space.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        guard isKnownToPython(scalar) else { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
             .spaceSeparator:
            return false
        default:
            return true
        }
    }
}
