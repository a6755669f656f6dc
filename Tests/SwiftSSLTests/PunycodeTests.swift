import Foundation
@testable import SwiftSSL
import XCTest

/// `Punycode` (RFC 3492) and `toASCII`, the IDNA conversion hostnames go through before they are
/// matched or sent as SNI: RFC 3492's samples, CPython's `idna` codec's errors, then CPython's
/// `punycode` and `idna` codecs themselves on random labels.
final class PunycodeTests: XCTestCase {
    func testPunycodeEncodesRFC3492Samples() {
        let samples: [(String, String)] = [
            ("\u{644}\u{64A}\u{647}\u{645}\u{627}\u{628}\u{62A}\u{643}\u{644}\u{645}\u{648}\u{634}\u{639}\u{631}\u{628}\u{64A}\u{61F}",
             "egbpdaj6bu4bxfgehfvwxn"),
            ("\u{4ED6}\u{4EEC}\u{4E3A}\u{4EC0}\u{4E48}\u{4E0D}\u{8BF4}\u{4E2D}\u{6587}", "ihqwcrb4cv8a8dqg056pqjye"),
            ("Pročprostěnemluvíčesky", "Proprostnemluvesky-uyb24dma41a"),
            ("3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"),
            ("bücher", "bcher-kva"),
        ]
        for (input, expected) in samples {
            XCTAssertEqual(Punycode.encode(input.unicodeScalars.map(\.value)), expected)
        }
    }

    func testToASCIIErrorsLikeCPythonsCodec() throws {
        XCTAssertEqual(try Punycode.toASCII("Mixed.CASE.example."), "Mixed.CASE.example.")
        XCTAssertEqual(try Punycode.toASCII("Bücher.Example"), "xn--bcher-kva.Example")
        XCTAssertEqual(try Punycode.toASCII("bücher."), "xn--bcher-kva.")
        XCTAssertEqual(try Punycode.toASCII("\u{212A}ö.example"), "xn--k-1ga.example")
        for invalid in ["a..b", String(repeating: "a", count: 64), "ü..b", "xn--bü.example", "." + "ü",
                        String(repeating: "ü", count: 60)] {
            XCTAssertThrowsError(try Punycode.toASCII(invalid), invalid) { error in
                XCTAssertEqual((error as? TLSError)?.kind, .invalidArgument)
            }
        }
    }

    /// `Punycode.encode` against CPython's `punycode` codec, and `toASCII` against its `idna` codec on
    /// names where nameprep amounts to lowercasing.
    func testPunycodeAgainstCPython() throws {
        var labels: [String] = ["bücher", "ÜBER", "mañana", "日本語", "한국어", "ελληνικά", "a-b-ü", "ü-", "-ü"]
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", "-", "é", "ü", "ž", "ж", "中", "文", "😀", "\u{10FFFD}", "\u{80}"]
        for _ in 0..<300 {
            let length = Int.random(in: 1...20, using: &generator)
            labels.append(String(String.UnicodeScalarView((0..<length).map { _ in alphabet.randomElement(using: &generator) ?? "a" })))
        }
        let hostnames = ["püthon.python.org", "PÜTHON.Python.Org", "www.pythön.org.", "könig。idn．pythontest｡net",
                         "日本語.jp", "ex.ample", "ü..b", "xn--bü.example", String(repeating: "ü", count: 60)]
        let script = """
            import json, sys
            request = json.load(sys.stdin)
            def idna(name):
                try:
                    return name.encode('idna').decode('ascii')
                except UnicodeError:
                    return None
            json.dump([[label.encode('punycode').decode('ascii') for label in request['labels']],
                       [idna(name) for name in request['hostnames']]], sys.stdout)
            """
        let input = String(decoding: try JSONSerialization.data(withJSONObject: ["labels": labels, "hostnames": hostnames]), as: UTF8.self)
        let output = try PythonOracle.run(script, input: input)
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[Any]])
        let encoded = try XCTUnwrap(results.first as? [String])
        XCTAssertEqual(encoded.count, labels.count)
        for (label, expected) in zip(labels, encoded) {
            XCTAssertEqual(Punycode.encode(label.unicodeScalars.map(\.value)), expected, label)
        }
        let converted = try XCTUnwrap(results.last)
        for (hostname, expected) in zip(hostnames, converted) {
            XCTAssertEqual(try? Punycode.toASCII(hostname), expected as? String, hostname)
        }
    }
}
