/// Host names to their ASCII (A-label) form, for SNI and for matching U-label host names.
///
/// The label structure and errors follow CPython's `encodings.idna` codec (`str.encode("idna")`,
/// which `SSLContext` applies to `server_hostname`): an all-ASCII name is returned unchanged, case
/// included; labels must be 1…63 octets (a trailing dot is allowed); the dots U+3002, U+FF0E and
/// U+FF61 separate labels too. Where that codec applies nameprep, this only lowercases, so it
/// produces the IDNA 2008 / UTS #46 non-transitional form: `ß` and `ς` are kept and encoded rather
/// than mapped to `ss` and `σ`, and no Unicode normalization is applied.
enum Punycode {
    static let acePrefix = "xn--"
    static let maximumLabelLength = 63

    /// The host name with every non-ASCII label lowercased and Punycode-encoded behind `xn--`.
    ///
    /// Throws ``TLSError/Kind/invalidArgument`` with CPython's codec message where CPython's codec
    /// raises `UnicodeError` (an empty or over-long label, a non-ASCII label starting `xn--`).
    static func toASCII(_ hostname: String) throws -> String {
        if hostname.isEmpty { return hostname }
        if hostname.unicodeScalars.allSatisfy(\.isASCII) {
            try checkASCIIName(hostname)
            return hostname
        }
        var labels = splitLabels(hostname)
        var trailingDot = ""
        if let last = labels.last, last.isEmpty {
            trailingDot = "."
            labels.removeLast()
        }
        return try labels.map(labelToASCII).joined(separator: ".") + trailingDot
    }

    /// The codec's fast path for ASCII names: every label but the last must be 1…63 octets, the
    /// last at most 63 (empty means a trailing dot).
    static func checkASCIIName(_ hostname: String) throws {
        let labels = hostname.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for label in labels.dropLast() where label.isEmpty || label.count > maximumLabelLength {
            throw codecError("label empty or too long")
        }
        if let last = labels.last, last.count > maximumLabelLength {
            throw codecError("label too long")
        }
    }

    static func splitLabels(_ hostname: String) -> [[Unicode.Scalar]] {
        var labels: [[Unicode.Scalar]] = [[]]
        for scalar in hostname.unicodeScalars {
            switch scalar {
            case ".", "\u{3002}", "\u{FF0E}", "\u{FF61}":
                labels.append([])
            default:
                labels[labels.count - 1].append(scalar)
            }
        }
        return labels
    }

    static func labelToASCII(_ label: [Unicode.Scalar]) throws -> String {
        // Lowercasing stands in for nameprep; it may turn a label ASCII (U+212A KELVIN SIGN → k).
        let lowered = label.isEmpty || label.allSatisfy(\.isASCII)
            ? label
            : label.flatMap { Array($0.properties.lowercaseMapping.unicodeScalars) }
        let result: String
        if lowered.allSatisfy(\.isASCII) {
            result = String(String.UnicodeScalarView(lowered))
        } else {
            if lowered.starts(with: acePrefix.unicodeScalars) {
                throw codecError("Label starts with ACE prefix")
            }
            guard let encoded = encode(lowered.map(\.value)) else {
                throw codecError("label empty or too long")
            }
            result = acePrefix + encoded
        }
        guard !result.isEmpty, result.utf8.count <= maximumLabelLength else {
            throw codecError("label empty or too long")
        }
        return result
    }

    /// The error CPython's `str.encode("idna")` raises, as its message reads.
    static func codecError(_ reason: String) -> TLSError {
        TLSError.invalidArgument("encoding with 'idna' codec failed (UnicodeError: \(reason))")
    }

    // MARK: RFC 3492

    static let base = 36
    static let tMin = 1
    static let tMax = 26
    static let skew = 38
    static let damp = 700
    static let initialBias = 72
    static let initialN = 0x80
    /// Labels longer than this cannot become valid DNS labels, and keeping inputs short keeps every
    /// intermediate value of the algorithm far from overflow.
    static let maximumInputLength = 256

    /// RFC 3492 section 6.3 encoding of one label's code points (no prefix); nil when the label is
    /// too long to be a DNS label.
    static func encode(_ input: [UInt32]) -> String? {
        guard input.count <= maximumInputLength else { return nil }
        let codePoints = input.map { Int($0) }
        var output: [UInt8] = codePoints.filter { $0 < initialN }.map { UInt8($0) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 {
            output.append(UInt8(ascii: "-"))
        }
        var n = initialN
        var delta = 0
        var bias = initialBias
        while handled < codePoints.count {
            // The smallest code point not yet handled; one exists because handled < count.
            guard let next = codePoints.filter({ $0 >= n }).min() else { return nil }
            delta += (next - n) * (handled + 1)
            n = next
            for codePoint in codePoints {
                if codePoint < n {
                    delta += 1
                }
                if codePoint == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta: delta, pointCount: handled + 1, first: handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func digit(_ value: Int) -> UInt8 {
        // 0…25 are a…z, 26…35 are 0…9.
        value < 26 ? UInt8(ascii: "a") + UInt8(value) : UInt8(ascii: "0") + UInt8(value - 26)
    }

    static func adapt(delta: Int, pointCount: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / pointCount
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}
