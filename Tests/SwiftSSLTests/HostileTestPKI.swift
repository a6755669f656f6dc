import Foundation
import SwiftSSL

/// Hostile certificates for ``HostileCertificateTests``, made once per test run with the
/// `openssl` command line (OpenSSL 3) into a temporary directory; nothing is committed.
///
/// Every key is EC P-256 except the deliberately weak RSA-1024 leaf; every signature is SHA-256
/// except the deliberately weak SHA-1 one. Two certificates cannot be expressed on the command
/// line and are made as follows:
/// - the NUL byte in a DNS subjectAltName is written as the raw DER of the GeneralNames
///   (`subjectAltName=DER:…` in the extension file);
/// - the NUL byte in the commonName: a leaf is issued with the same-length placeholder
///   `localhostX.evil.test`, the placeholder byte is replaced by 0x00 in its DER here in Swift, the
///   patched certificate is turned into a fresh, correctly self-signed request
///   (`openssl x509 -x509toreq`, which does not check the input's now broken signature) and the root
///   issues the leaf from that request (no subjectAltName, so the commonName is what is matched).
///
/// The same categories, with the outcomes stdlib `ssl` gives, are in
/// python/tests/test_verification_matrix.py (where the stdlib oracle runs live).
enum HostileTestPKI {
    /// The directory holding every file; `generate` ran when this is first read.
    static let directory: String = {
        let path = NSTemporaryDirectory() + "swiftssl-hostile-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        generate(in: path)
        return path
    }()

    /// The trusted root every client below loads.
    static var root: String { directory + "/root.pem" }

    /// `name.pem`: one certificate (a leaf, alone).
    static func certificate(_ name: String) -> String { directory + "/\(name).pem" }
    /// `name.key`: the private key of `name.pem`.
    static func key(_ name: String) -> String { directory + "/\(name).key" }
    /// `name-chain.pem`: what the server sends, leaf first then intermediates (in the order named by the file).
    static func chain(_ name: String) -> String { directory + "/\(name)-chain.pem" }

    /// Non-nil when generation failed: the script's output, for the test failure message.
    private(set) static var generationFailure: String?

    private static let placeholderCommonName = Array("localhostX.evil.test".utf8)

    private static func generate(in directory: String) {
        let subject = "/O=swiftssl hostile tests"
        let phase1 = """
        set -e
        cd '\(directory)'
        mkdir -p issued
        : > index.txt
        echo 1000 > serial
        cat > ca.cnf <<'X'
        [ca]
        default_ca = hostile
        [hostile]
        database = index.txt
        new_certs_dir = issued
        serial = serial
        default_md = sha256
        policy = anything
        unique_subject = no
        email_in_dn = no
        [anything]
        organizationName = optional
        commonName = optional
        X
        printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\n' > ca.ext
        printf 'basicConstraints=critical,CA:FALSE\\n' > not-a-ca.ext
        printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\nkeyUsage=critical,keyCertSign,cRLSign\\n' > pathlen0.ext
        printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\nnameConstraints=critical,permitted;DNS:allowed.test\\n' > constrained.ext
        ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
        serial() { echo "0x$(openssl rand -hex 8)"; }
        # root NAME
        root() {
            ec_key "$1"
            openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 30 -subj "\(subject)/CN=$1" \\
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        }
        # ca NAME ISSUER EXTFILE
        ca() {
            ec_key "$1"
            openssl req -new -key "$1.key" -subj "\(subject)/CN=$1" -out "$1.csr"
            openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "$(serial)" -days 30 \\
                -extfile "$3" -out "$1.pem"
        }
        # request NAME SAN KEYTYPE CN: key, CSR and extension file of a leaf
        request() {
            if [ "$3" = rsa1024 ]; then
                openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$1.key"
            else
                ec_key "$1"
            fi
            openssl req -new -key "$1.key" -subj "\(subject)/CN=$4" -out "$1.csr"
            {
                echo basicConstraints=critical,CA:FALSE
                echo extendedKeyUsage=serverAuth,clientAuth
                if [ -n "$2" ]; then echo "subjectAltName=$2"; fi
            } > "$1.ext"
        }
        # leaf NAME ISSUER SAN [KEYTYPE [DIGEST [CN]]]
        leaf() {
            request "$1" "$3" "${4:-ec}" "${6:-hostile leaf}"
            openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "$(serial)" -days 30 \\
                "-${5:-sha256}" -extfile "$1.ext" -out "$1.pem"
        }
        # dated NAME START END: a leaf for localhost signed by the root, valid from START to END
        dated() {
            request "$1" DNS:localhost ec "hostile leaf"
            openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$1.csr" -out "$1.pem" \\
                -startdate "$2" -enddate "$3" -extfile "$1.ext" -notext
        }

        root root
        root stranger
        ca intermediate root ca.ext
        ca second-intermediate intermediate ca.ext
        ca not-a-ca root not-a-ca.ext
        ca pathlen0 root pathlen0.ext
        ca under-pathlen0 pathlen0 ca.ext
        ca constrained root constrained.ext

        leaf valid root DNS:localhost
        dated expired 20200101000000Z 20200201000000Z
        dated not-yet-valid 20990101000000Z 20991231000000Z
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self-signed.key \\
            -out self-signed.pem -days 30 -subj "\(subject)/CN=self-signed" \\
            -addext basicConstraints=critical,CA:FALSE -addext subjectAltName=DNS:localhost
        leaf unknown-ca stranger DNS:localhost
        leaf wrong-host root DNS:other.example
        leaf wildcard root 'DNS:*.a.test'
        leaf partial-wildcard root 'DNS:f*.a.test'
        leaf nul-san root DER:30168214\(Array("localhost".utf8).hex)00\(Array(".evil.test".utf8).hex)
        leaf commonname-only root '' ec sha256 localhost
        leaf nul-commonname-draft root '' ec sha256 '\(String(decoding: placeholderCommonName, as: UTF8.self))'
        openssl x509 -in nul-commonname-draft.pem -outform DER -out nul-commonname-draft.der
        leaf ip root 'IP:127.0.0.1,IP:::1'
        leaf idn root DNS:xn--bcher-kva.example
        leaf chained intermediate DNS:localhost
        leaf two-intermediates second-intermediate DNS:localhost
        leaf under-not-a-ca not-a-ca DNS:localhost
        leaf pathlen-violated under-pathlen0 DNS:localhost
        leaf pathlen-respected pathlen0 DNS:localhost
        leaf outside-constraints constrained DNS:localhost
        leaf inside-constraints constrained DNS:www.allowed.test
        leaf sha1 root DNS:localhost ec sha1
        leaf rsa1024 root DNS:localhost rsa1024

        for name in valid expired not-yet-valid self-signed unknown-ca wrong-host wildcard partial-wildcard \\
                nul-san commonname-only ip idn sha1 rsa1024; do
            cp "$name.pem" "$name-chain.pem"
        done
        cat chained.pem intermediate.pem > chained-chain.pem
        cat two-intermediates.pem second-intermediate.pem intermediate.pem > two-intermediates-chain.pem
        cat two-intermediates.pem intermediate.pem second-intermediate.pem > two-intermediates-reversed-chain.pem
        cat under-not-a-ca.pem not-a-ca.pem > under-not-a-ca-chain.pem
        cat pathlen-violated.pem under-pathlen0.pem pathlen0.pem > pathlen-violated-chain.pem
        cat pathlen-respected.pem pathlen0.pem > pathlen-respected-chain.pem
        cat outside-constraints.pem constrained.pem > outside-constraints-chain.pem
        cat inside-constraints.pem constrained.pem > inside-constraints-chain.pem
        """
        guard run(phase1) else { return }
        // The NUL byte in the commonName: patch the placeholder, then have the root sign again.
        let draft = URL(fileURLWithPath: directory + "/nul-commonname-draft.der")
        guard var der = try? Array(Data(contentsOf: draft)),
              let start = firstIndex(of: placeholderCommonName, in: der) else {
            generationFailure = "placeholder commonName not found in nul-commonname-draft.der"
            return
        }
        der[start + placeholderCommonName.firstIndex(of: UInt8(ascii: "X"))!] = 0
        guard (try? Data(der).write(to: URL(fileURLWithPath: directory + "/nul-commonname-patched.der"))) != nil else {
            generationFailure = "could not write nul-commonname-patched.der"
            return
        }
        let phase2 = """
        set -e
        cd '\(directory)'
        openssl x509 -x509toreq -inform DER -in nul-commonname-patched.der -signkey nul-commonname-draft.key \\
            -out nul-commonname.csr
        openssl x509 -req -in nul-commonname.csr -CA root.pem -CAkey root.key -set_serial "0x$(openssl rand -hex 8)" \\
            -days 30 -extfile nul-commonname-draft.ext -out nul-commonname.pem
        cp nul-commonname-draft.key nul-commonname.key
        cp nul-commonname.pem nul-commonname-chain.pem
        """
        _ = run(phase2)
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    /// Runs `script` with bash, output captured; records it in ``generationFailure`` on failure.
    private static func run(_ script: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            generationFailure = "could not run bash: \(error)"
            return false
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            generationFailure = "openssl generation failed (\(process.terminationStatus)):\n\(text)"
            return false
        }
        return true
    }
}

private extension Array where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
