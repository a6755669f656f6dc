import Foundation
@testable import SwiftSSL
import XCTest

/// `matchHostname` with CPython 3.11's `ssl.match_hostname` as the specification: CPython's own
/// test table, exact messages, then a differential run against the interpreter itself.
final class HostnameMatcherTests: XCTestCase {
    typealias SubjectAltNames = [(tag: String, value: String)]
    typealias Subject = [[(name: String, value: String)]]

    static func commonName(_ value: String) -> Subject { [[("commonName", value)]] }

    func ok(_ subject: Subject, _ hostname: String, file: StaticString = #filePath, line: UInt = #line) {
        ok(subject, [], hostname, file: file, line: line)
    }

    func ok(_ subject: Subject, _ subjectAltNames: SubjectAltNames, _ hostname: String,
            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoThrow(try matchHostname(subjectAltNames: subjectAltNames, subject: subject, hostname: hostname),
                         hostname, file: file, line: line)
    }

    func fail(_ subject: Subject, _ hostname: String, message: String? = nil,
              file: StaticString = #filePath, line: UInt = #line) {
        fail(subject, [], hostname, message: message, file: file, line: line)
    }

    func fail(_ subject: Subject, _ subjectAltNames: SubjectAltNames, _ hostname: String,
              message: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try matchHostname(subjectAltNames: subjectAltNames, subject: subject, hostname: hostname),
                             hostname, file: file, line: line) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .hostnameMismatch, "\(error)", file: file, line: line)
            if let message {
                XCTAssertEqual((error as? TLSError)?.message, message, file: file, line: line)
            }
        }
    }

    // MARK: CPython's test_match_hostname, case by case

    func testCPythonHostnameCases() {
        var subject = Self.commonName("example.com")
        ok(subject, "example.com")
        ok(subject, "ExAmple.cOm")
        fail(subject, "www.example.com")
        fail(subject, ".example.com")
        fail(subject, "example.org")
        fail(subject, "exampleXcom")

        subject = Self.commonName("*.a.com")
        ok(subject, "foo.a.com")
        fail(subject, "bar.foo.a.com")
        fail(subject, "a.com")
        fail(subject, "Xa.com")
        fail(subject, ".a.com")

        // Only a wildcard that is the whole left-most label matches.
        subject = Self.commonName("f*.com")
        for hostname in ["foo.com", "f.com", "bar.com", "foo.a.com", "bar.foo.com"] {
            fail(subject, hostname)
        }

        // NUL bytes (CVE-2013-4073).
        subject = Self.commonName("null.python.org\u{0}example.org")
        ok(subject, "null.python.org\u{0}example.org")
        fail(subject, "example.org")
        fail(subject, "null.python.org")

        for pattern in ["*.*.a.com", "a.*.com"] {
            subject = Self.commonName(pattern)
            for hostname in ["bar.foo.a.com", "a.com", "Xa.com", ".a.com", "a.foo.com", "a..com"] {
                fail(subject, hostname)
            }
        }
    }

    func testCPythonIDNACases() throws {
        // 'püthon.python.org'.encode("idna"): the wildcard never matches into an A-label.
        let aLabel = "xn--pthon-kva.python.org"
        XCTAssertEqual(try Punycode.toASCII("püthon.python.org"), aLabel)
        ok(Self.commonName(aLabel), aLabel)
        fail(Self.commonName("x*.python.org"), aLabel)
        fail(Self.commonName("xn--p*.python.org"), aLabel)

        let pattern = try Punycode.toASCII("www*.pythön.org")
        XCTAssertEqual(pattern, "www*.xn--pythn-mua.org")
        for hostname in ["www.pythön.org", "www1.pythön.org", "ftp.pythön.org", "pythön.org"] {
            fail(Self.commonName(pattern), try Punycode.toASCII(hostname))
        }
    }

    func testCPythonRealWorldCases() {
        let subjectAltNames: SubjectAltNames = [("DNS", "linuxfr.org"), ("DNS", "linuxfr.com"), ("othername", "<unsupported>")]
        let subject = Self.commonName("linuxfrz.org")
        ok(subject, subjectAltNames, "linuxfr.org")
        ok(subject, subjectAltNames, "linuxfr.com")
        fail(subject, subjectAltNames, "<unsupported>")
        // With a subjectAltName, the commonName is not used.
        fail(subject, subjectAltNames, "linuxfrz.org", message: "hostname 'linuxfrz.org' doesn't match either of 'linuxfr.org', 'linuxfr.com'")

        let google: Subject = [
            [("countryName", "US")], [("stateOrProvinceName", "California")], [("localityName", "Mountain View")],
            [("organizationName", "Google Inc")], [("commonName", "mail.google.com")],
        ]
        ok(google, "mail.google.com")
        fail(google, "gmail.com", message: "hostname 'gmail.com' doesn't match 'mail.google.com'")
        fail(google, "California")

        // No commonName and no subjectAltName.
        let anonymous = Array(google.dropLast())
        fail(anonymous, "mail.google.com", message: "no appropriate commonName or subjectAltName fields were found")
        // subjectAltName without DNS entries: the commonName counts.
        ok(google, [("othername", "blabla")], "mail.google.com")
        fail(anonymous, [("othername", "blabla")], "google.com")
    }

    func testCPythonIPAddressCases() {
        let subject = Self.commonName("example.com")
        let ipv4: SubjectAltNames = [("DNS", "example.com"), ("IP Address", "10.11.12.13"),
                                     ("IP Address", "14.15.16.17"), ("IP Address", "127.0.0.1")]
        ok(subject, ipv4, "10.11.12.13")
        ok(subject, ipv4, "14.15.16.17")
        // inet_aton accepts these, but they do not round-trip, so they are names, not addresses.
        for hostname in ["127.1", "14.15.16.17 ", "14.15.16.17 extra data", "14.15.16.18", "example.net"] {
            fail(subject, ipv4, hostname)
        }

        let ipv6: SubjectAltNames = [("DNS", "example.com"), ("IP Address", "2001:0:0:0:0:0:0:CAFE\n"),
                                     ("IP Address", "2003:0:0:0:0:0:0:BABA\n")]
        ok(subject, ipv6, "2001::cafe")
        ok(subject, ipv6, "2003::baba")
        for hostname in ["2003::baba ", "2003::baba extra data", "2003::bebe", "example.net"] {
            fail(subject, ipv6, hostname)
        }
    }

    func testCPythonWildcardMessages() {
        fail(Self.commonName("a*b.example.com"), "axxb.example.com",
             message: "partial wildcards in leftmost label are not supported: 'a*b.example.com'.")
        fail(Self.commonName("www.*.example.com"), "www.sub.example.com",
             message: "wildcard can only be present in the leftmost label: 'www.*.example.com'.")
        fail(Self.commonName("a*b*.example.com"), "axxbxxc.example.com",
             message: "too many wildcards in certificate DNS name: 'a*b*.example.com'.")
        fail(Self.commonName("*"), "host",
             message: "sole wildcard without additional labels are not support: '*'.")
        fail(Self.commonName("*.com"), "com", message: "hostname 'com' doesn't match '*.com'")
    }

    func testCPythonInetPatonCases() throws {
        for invalid in ["1", "", "1.2.3", "256.0.0.1", "127.0.0.1/24"] {
            XCTAssertThrowsError(try InternetAddress.packed(invalid), invalid) { error in
                XCTAssertEqual((error as? TLSError)?.kind, .invalidArgument)
            }
        }
        XCTAssertEqual(try InternetAddress.packed("127.0.0.1"), [127, 0, 0, 1])
        XCTAssertEqual(try InternetAddress.packed("192.168.0.1"), [192, 168, 0, 1])
        XCTAssertEqual(try InternetAddress.packed("::1"), [UInt8](repeating: 0, count: 15) + [1])
        XCTAssertEqual(try InternetAddress.packed("2001:db8:85a3::8a2e:370:7334").count, 16)
        XCTAssertThrowsError(try InternetAddress.packed("127.1")) { error in
            XCTAssertEqual((error as? TLSError)?.message, "'127.1' is not a quad-dotted IPv4 address.")
        }
        XCTAssertThrowsError(try InternetAddress.packed("example")) { error in
            XCTAssertEqual((error as? TLSError)?.message, "'example' is neither an IPv4 nor an IP6 address.")
        }
    }

    // MARK: Beyond CPython's table

    func testCertificateIPValuesThatAreNotAddressesAreValueErrors() {
        for (value, message) in [("127.1", "'127.1' is not a quad-dotted IPv4 address."),
                                 ("bogus", "'bogus' is neither an IPv4 nor an IP6 address."),
                                 ("1.2.3.4\u{0}", "embedded null character")] {
            XCTAssertThrowsError(try matchHostname(subjectAltNames: [("IP Address", value)], subject: [], hostname: "1.2.3.4")) { error in
                XCTAssertEqual((error as? TLSError)?.kind, .invalidArgument)
                XCTAssertEqual((error as? TLSError)?.message, message)
            }
        }
        // Not looked at when the hostname is a name.
        fail([], [("IP Address", "bogus")], "example.com", message: "hostname 'example.com' doesn't match 'bogus'")
        // Python's rstrip() takes Unicode whitespace too.
        ok([], [("IP Address", "10.0.0.1\u{3000}\u{85}")], "10.0.0.1")
    }

    func testAddressHostnameComparesCommonNameTextuallyWithoutSubjectAltNames() {
        ok(Self.commonName("127.0.0.1"), "127.0.0.1")
        fail(Self.commonName("127.0.0.1"), [("DNS", "127.0.0.1")], "127.0.0.1")
    }

    func testULabelHostnamesMatchTheirALabels() {
        let subjectAltNames: SubjectAltNames = [("DNS", "xn--knig-5qa.idn.pythontest.net"), ("DNS", "*.xn--pythn-mua.org")]
        ok([], subjectAltNames, "könig.idn.pythontest.net")
        ok([], subjectAltNames, "KÖNIG.idn.pythontest.net")
        ok([], subjectAltNames, "www.pythön.org")
        ok([], subjectAltNames, "könig。idn．pythontest｡net")
        // A U-label in the certificate still matches the same U-label, as in CPython.
        ok(Self.commonName("könig.example"), "könig.example")
        fail([], subjectAltNames, "kónig.idn.pythontest.net",
             message: "hostname 'kónig.idn.pythontest.net' doesn't match either of 'xn--knig-5qa.idn.pythontest.net', '*.xn--pythn-mua.org'")
    }

    func testComparisonIsByCodePointNotCanonicalEquivalence() {
        // Swift's == says these are equal; Python's does not.
        fail(Self.commonName("caf\u{E9}.example"), "cafe\u{301}.example")
        fail([], [("DNS", "caf\u{E9}.example")], "cafe\u{301}.example")
        // "\u{212A}" (KELVIN SIGN) is canonically "K", but is not the key 'DNS'/'commonName' in Python.
        fail([[("\u{212A}commonName", "x")]], "x", message: "no appropriate commonName or subjectAltName fields were found")
        // A combining mark after '.' does not hide the dot from partition().
        fail(Self.commonName("*.\u{301}a.com"), "x.a.com")
    }

    func testLowercaseFollowsPython() {
        ok(Self.commonName("İ.example"), "i\u{307}.example")
        // Final sigma: 'x.ΑΣ'.lower() is 'x.ας', so it differs from 'x.ασ'; before '.' (case-ignorable)
        // and a cased letter it is no final sigma: 'ΑΣ.example'.lower() is 'ασ.example'.
        fail(Self.commonName("x.ΑΣ"), "x.ασ")
        ok(Self.commonName("x.ΑΣ"), "x.ας")
        ok(Self.commonName("ΑΣ.example"), "ασ.example")
        fail(Self.commonName("ΑΣ.example"), "ας.example")
    }

    func testCertificateInfoEntryPoint() throws {
        let info = CertificateInfo(
            subject: DistinguishedName(relativeNames: [[.init(name: "commonName", value: "cn.example")]]),
            issuer: DistinguishedName(relativeNames: []), version: 3, serialNumber: "01",
            notBefore: "", notAfter: "",
            subjectAltNames: [.directoryName(DistinguishedName(relativeNames: [])), .email("a@b"),
                              .other(tag: "DNS", value: "other.example")])
        // Only the DNS entry counts (OpenSSL never prints an othername as "DNS", but a dict may say so).
        XCTAssertNoThrow(try matchHostname(info, hostname: "other.example"))
        XCTAssertThrowsError(try matchHostname(info, hostname: "cn.example")) { error in
            XCTAssertEqual((error as? TLSError)?.message, "hostname 'cn.example' doesn't match 'other.example'")
        }
        var noNames = info
        noNames.subjectAltNames = nil
        XCTAssertNoThrow(try matchHostname(noNames, hostname: "CN.example"))
        XCTAssertEqual(TLSError.emptyCertificateForHostnameMatch.kind, .invalidArgument)
    }

    func testPythonRepr() {
        let cases: [(String, String)] = [
            ("abc", "'abc'"), ("it's", "\"it's\""), ("'\"", "'\\'\"'"), ("\"", "'\"'"), ("a\\b", "'a\\\\b'"),
            ("\t\n\r\u{0}\u{1F}\u{7F}", "'\\t\\n\\r\\x00\\x1f\\x7f'"), ("é€😀", "'é€😀'"),
            ("\u{85}\u{A0}\u{AD}", "'\\x85\\xa0\\xad'"), ("\u{2028}\u{200B}\u{E000}", "'\\u2028\\u200b\\ue000'"),
            ("\u{F0000}\u{E0001}", "'\\U000f0000\\U000e0001'"), ("\u{378}", "'\\u0378'"), ("a b", "'a b'"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(pythonRepr(text), expected)
        }
    }

    // MARK: Against CPython

    /// Every combination of a set of certificate names and hostnames, through both implementations:
    /// same outcome, same exception class, same message.
    func testDifferentialAgainstCPython() throws {
        let patterns = [
            "example.com", "EXAMPLE.com", "*.example.com", "*.Example.COM", "f*.example.com", "*", "*.", "*.com",
            "a.*.com", "**.example.com", "", "null.example\u{0}.com", "xn--pthon-kva.python.org", "*.xn--pthon-kva.org",
            "it's.example", "quote\".example", "tab\t.example", "é.example", "ΑΣ.example", "ας.example",
            "10.0.0.1", "\u{378}.example", "\u{1F600}.example", "\u{E0001}.example", ".example.com", "*.*",
        ]
        let addresses = ["10.0.0.1", "10.0.0.1\n", "2001:DB8:0:0:0:0:0:1", "2001:db8::1\u{3000}", "::ffff:10.0.0.1",
                         "10.1", "junk", "0x0a.0.0.1"]
        let hostnames = [
            "example.com", "EXAMPLE.COM", "www.example.com", "a.b.example.com", ".example.com", "example.com.",
            "com", "", "10.0.0.1", "010.0.0.1", "10.1", "10.0.0.1 x", "2001:db8::1", "2001:DB8::0:1", "::ffff:a00:1",
            "::1", "null.example\u{0}.com", "püthon.python.org", "www.püthon.org", "it's.example", "ΑΣ.example",
            "Ας.example", "x.xn--pthon-kva.org", "\u{378}.example", "é.example", "E\u{301}.example", "fa.example.com",
        ]
        var cases: [(SubjectAltNames, Subject)] = []
        for pattern in patterns {
            cases.append(([], Self.commonName(pattern)))
            cases.append(([("DNS", pattern), ("DNS", "second.example")], Self.commonName("cn.example")))
        }
        for address in addresses {
            cases.append(([("IP Address", address), ("DNS", "example.com")], []))
        }
        cases.append(([("email", "example.com"), ("othername", "<unsupported>")], [[("countryName", "XY"), ("commonName", "multi.example")], [("commonName", "example.com")]]))
        cases.append(([], []))

        var requests: [[String: Any]] = []
        for (subjectAltNames, subject) in cases {
            for hostname in hostnames {
                let aLabel = hostname.unicodeScalars.allSatisfy(\.isASCII) ? nil : try? Punycode.toASCII(hostname)
                requests.append([
                    "san": subjectAltNames.map { [$0.tag, $0.value] },
                    "subject": subject.map { $0.map { [$0.name, $0.value] } },
                    "hostname": hostname, "alabel": aLabel.map { $0 as Any } ?? NSNull(),
                ])
            }
        }
        // CPython's match_hostname, extended the way DESIGN.md extends it: on a CertificateError for a
        // U-label hostname, the A-label is tried too, and the first error stands if that fails.
        let script = """
            import json, ssl, sys, warnings
            warnings.simplefilter('ignore')
            def check(cert, hostname, alabel):
                try:
                    ssl.match_hostname(cert, hostname)
                except ssl.CertificateError:
                    if alabel is None:
                        raise
                    try:
                        ssl.match_hostname(cert, alabel)
                    except ssl.CertificateError:
                        pass
                    else:
                        return
                    raise
            results = []
            for request in json.load(sys.stdin):
                cert = {'subject': tuple(tuple(tuple(pair) for pair in rdn) for rdn in request['subject'])}
                if request['san']:
                    cert['subjectAltName'] = tuple(tuple(pair) for pair in request['san'])
                cert['version'] = 3  # never empty: emptiness is the caller's check
                try:
                    check(cert, request['hostname'], request['alabel'])
                    results.append(['ok', ''])
                except ssl.CertificateError as error:
                    results.append(['CertificateError', error.args[0]])
                except ValueError as error:
                    results.append(['ValueError', error.args[0]])
            json.dump(results, sys.stdout)
            """
        let input = String(decoding: try JSONSerialization.data(withJSONObject: requests), as: UTF8.self)
        let output = try PythonOracle.run(script, input: input)
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String]])
        XCTAssertEqual(expected.count, requests.count)
        var index = 0
        var mismatches = 0
        for (subjectAltNames, subject) in cases {
            for hostname in hostnames {
                defer { index += 1 }
                guard index < expected.count, expected[index].count == 2 else { continue }
                let actual: [String]
                do {
                    try matchHostname(subjectAltNames: subjectAltNames, subject: subject, hostname: hostname)
                    actual = ["ok", ""]
                } catch let error as TLSError {
                    actual = [error.kind == .hostnameMismatch ? "CertificateError" : "ValueError", error.message]
                }
                if actual != expected[index] {
                    mismatches += 1
                    XCTFail("\(subjectAltNames) \(subject) \(pythonRepr(hostname)): swiftssl \(actual), CPython \(expected[index])")
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertGreaterThan(index, 1000)
    }
}
