/// Base64 PEM armour, in the exact layout CPython's `DER_cert_to_PEM_cert` produces.
public enum PEMEncoding {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Wraps `der` as `-----BEGIN label-----`, base64 in 64-column lines, `-----END label-----\n`.
    public static func encode(der: [UInt8], label: String) -> String {
        let encoded = base64(der)
        var text = "-----BEGIN \(label)-----\n"
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: 64, limitedBy: encoded.endIndex) ?? encoded.endIndex
            text += String(decoding: encoded[start..<end], as: UTF8.self) + "\n"
            start = end
        }
        return text + "-----END \(label)-----\n"
    }

    /// Standard base64 with padding.
    static func base64(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let first = bytes[index]
            let second = index + 1 < bytes.count ? bytes[index + 1] : 0
            let third = index + 2 < bytes.count ? bytes[index + 2] : 0
            output.append(alphabet[Int(first >> 2)])
            output.append(alphabet[Int((first & 0x03) << 4 | second >> 4)])
            output.append(index + 1 < bytes.count ? alphabet[Int((second & 0x0f) << 2 | third >> 6)] : UInt8(ascii: "="))
            output.append(index + 2 < bytes.count ? alphabet[Int(third & 0x3f)] : UInt8(ascii: "="))
            index += 3
        }
        return output
    }

    /// Decodes the base64 body between the first `-----BEGIN label-----` and its `-----END label-----`.
    /// Returns nil when the armour is missing or the body is not base64.
    public static func decode(pem: String, label: String) -> [UInt8]? {
        let text = Array(pem.utf8)
        guard let headerEnd = find(Array("-----BEGIN \(label)-----".utf8), in: text, from: 0)?.upperBound,
              let footer = find(Array("-----END \(label)-----".utf8), in: text, from: headerEnd) else { return nil }
        return base64Decode(text[headerEnd..<footer.lowerBound])
    }

    /// The first occurrence of `needle` in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Range<Int>? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count)
        where haystack[index..<(index + needle.count)].elementsEqual(needle) {
            return index..<(index + needle.count)
        }
        return nil
    }

    /// Standard base64 decoding that skips whitespace; nil on any other non-alphabet byte.
    static func base64Decode<Text: Sequence>(_ text: Text) -> [UInt8]? where Text.Element == UInt8 {
        var output: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in text {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            default: return nil
            }
            if padding > 0 { return nil }
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // One character of a group left over holds 6 bits, less than a byte: not base64.
        if bits == 6 || padding > 2 { return nil }
        return output
    }
}
