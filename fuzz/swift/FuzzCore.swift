// libFuzzer target for the Swift core's parsers, compiled together with Sources/SwiftSSL (so the
// core is coverage-instrumented, unlike under atheris) by fuzz/swift/build.sh:
//
//   bash fuzz/swift/build.sh && build/fuzz-core -max_total_time=60 CORPUS fuzz/seeds/credentials
//
// Byte 0 picks the parser, the rest is its input: certificates (PEM or DER, one or many) with the
// getpeercert() decoder and their DER/PEM re-encoding; private keys (PEM, DER, encrypted, with a
// fixed password); the PEM decoder; Punycode (IDNA ToASCII); matchHostname with names and a
// host made from the input. Errors are thrown TLSErrors and are fine; a trap, an overflow or an
// AddressSanitizer report is a finding. The seeds of fuzz_credentials.py fit this layout too
// (their byte 0 is an operation number; here it just picks a parser).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCoreOneInput(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let selector = input[0]
    let body = UnsafeRawBufferPointer(rebasing: input[1...])
    let text = String(decoding: body, as: UTF8.self)
    switch selector % 7 {
    case 0, 1:
        if let certificates = try? Certificate.parseAll(body) {
            for certificate in certificates {
                _ = try? certificate.info
                _ = certificate.derBytes
                _ = certificate.pemString
            }
        }
    case 2:
        _ = try? PrivateKey.parse(body, password: .text("fuzz-password"))
        _ = try? PrivateKey.parse(body, password: .callback { throw TLSError.invalidArgument("no") })
    case 3:
        _ = PEMEncoding.decode(pem: text, label: "CERTIFICATE")
        _ = PEMEncoding.encode(der: Array(body), label: "CERTIFICATE")
    case 4:
        _ = try? Punycode.toASCII(text)
    default:
        // Host and names separated by NUL: "host\0dns1\0dns2\0..."; odd ones are IP Address SANs,
        // the last one is also a commonName.
        let parts = text.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        let hostname = parts.first ?? ""
        let names = parts.dropFirst()
        let subjectAltNames = names.enumerated().map { (tag: $0.offset % 2 == 0 ? "DNS" : "IP Address", value: $0.element) }
        let subject = names.last.map { [[(name: "commonName", value: $0)]] } ?? []
        _ = try? matchHostname(subjectAltNames: subjectAltNames, subject: subject, hostname: hostname)
    }
    return 0
}
