#!/usr/bin/env bash
# Makes the hostile certificates of Tests/SwiftSSLTests/HostileTestPKI.swift (used by
# HostileCertificateTests) with the openssl command line (OpenSSL 3):
#   bash Tests/PKI/make-hostile-pki.sh DIRECTORY
# HostileTestPKI runs it once per test run; with SWIFTSSL_TEST_PKI_DIRECTORY set it reads
# DIRECTORY=$SWIFTSSL_TEST_PKI_DIRECTORY/hostile made ahead of time instead
# (scripts/valgrind-swift-tests, because Foundation's Process cannot spawn under valgrind).
#
# Every key is EC P-256 except the deliberately weak RSA-1024 leaf; every signature is SHA-256
# except the deliberately weak SHA-1 one. Two certificates cannot be expressed on the command
# line and are made as follows:
# - the NUL byte in a DNS subjectAltName is written as the raw DER of the GeneralNames
#   (`subjectAltName=DER:…` in the extension file);
# - the NUL byte in the commonName: a leaf is issued with the same-length placeholder
#   `localhostX.evil.test`, the placeholder's X is overwritten with 0x00 in its DER (grep finds
#   the offset, dd writes the byte), the patched certificate is turned into a fresh, correctly
#   self-signed request (`openssl x509 -x509toreq`, which does not check the input's now broken
#   signature) and the root issues the leaf from that request (no subjectAltName, so the
#   commonName is what is matched).
set -e
directory="${1:?usage: make-hostile-pki.sh DIRECTORY}"
subject="/O=swiftssl hostile tests"
placeholder_common_name='localhostX.evil.test'
# hex STRING: its bytes as lowercase hex digits, for DER written by hand.
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
mkdir -p "$directory"
cd "$directory"
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
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca.ext
printf 'basicConstraints=critical,CA:FALSE\n' > not-a-ca.ext
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > pathlen0.ext
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nnameConstraints=critical,permitted;DNS:allowed.test\n' > constrained.ext
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
serial() { echo "0x$(openssl rand -hex 8)"; }
# root NAME
root() {
    ec_key "$1"
    openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 30 -subj "$subject/CN=$1" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
# ca NAME ISSUER EXTFILE
ca() {
    ec_key "$1"
    openssl req -new -key "$1.key" -subj "$subject/CN=$1" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "$(serial)" -days 30 \
        -extfile "$3" -out "$1.pem"
}
# request NAME SAN KEYTYPE CN: key, CSR and extension file of a leaf
request() {
    if [ "$3" = rsa1024 ]; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$1.key"
    else
        ec_key "$1"
    fi
    openssl req -new -key "$1.key" -subj "$subject/CN=$4" -out "$1.csr"
    {
        echo basicConstraints=critical,CA:FALSE
        echo extendedKeyUsage=serverAuth,clientAuth
        if [ -n "$2" ]; then echo "subjectAltName=$2"; fi
    } > "$1.ext"
}
# leaf NAME ISSUER SAN [KEYTYPE [DIGEST [CN]]]
leaf() {
    request "$1" "$3" "${4:-ec}" "${6:-hostile leaf}"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "$(serial)" -days 30 \
        "-${5:-sha256}" -extfile "$1.ext" -out "$1.pem"
}
# dated NAME START END: a leaf for localhost signed by the root, valid from START to END
dated() {
    request "$1" DNS:localhost ec "hostile leaf"
    openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$1.csr" -out "$1.pem" \
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
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self-signed.key \
    -out self-signed.pem -days 30 -subj "$subject/CN=self-signed" \
    -addext basicConstraints=critical,CA:FALSE -addext subjectAltName=DNS:localhost
leaf unknown-ca stranger DNS:localhost
leaf wrong-host root DNS:other.example
leaf wildcard root 'DNS:*.a.test'
leaf partial-wildcard root 'DNS:f*.a.test'
# GeneralNames (30 16) holding one dNSName (82 14): "localhost", a NUL byte, ".evil.test".
leaf nul-san root "DER:30168214$(hex localhost)00$(hex .evil.test)"
leaf commonname-only root '' ec sha256 localhost
leaf nul-commonname-draft root '' ec sha256 "$placeholder_common_name"
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

for name in valid expired not-yet-valid self-signed unknown-ca wrong-host wildcard partial-wildcard \
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

# The NUL byte in the commonName: overwrite the placeholder's X with 0x00 in the DER (the first
# occurrence, as the only one), then have the root sign again.
offset="$(LC_ALL=C grep -obaF "$placeholder_common_name" nul-commonname-draft.der | head -n 1 | cut -d : -f 1)"
if [ -z "$offset" ]; then
    echo "placeholder commonName not found in nul-commonname-draft.der" >&2
    exit 1
fi
cp nul-commonname-draft.der nul-commonname-patched.der
x_index="${placeholder_common_name%%X*}"
printf '\0' | dd of=nul-commonname-patched.der bs=1 seek="$((offset + ${#x_index}))" conv=notrunc status=none
openssl x509 -x509toreq -inform DER -in nul-commonname-patched.der -signkey nul-commonname-draft.key \
    -out nul-commonname.csr
openssl x509 -req -in nul-commonname.csr -CA root.pem -CAkey root.key -set_serial "0x$(openssl rand -hex 8)" \
    -days 30 -extfile nul-commonname-draft.ext -out nul-commonname.pem
cp nul-commonname-draft.key nul-commonname.key
cp nul-commonname.pem nul-commonname-chain.pem
