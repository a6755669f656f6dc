#!/usr/bin/env bash
# Makes the certificates of Tests/SwiftSSLTests/TestPKI.swift with the openssl command line:
#   bash Tests/PKI/make-test-pki.sh DIRECTORY
# a root CA, an intermediate, a leaf for "localhost"/127.0.0.1 signed by the intermediate, a
# self-signed certificate, and an encrypted copy of the leaf key (its password is written to
# leaf-encrypted.password, which TestPKI reads). TestPKI runs it once per test run; with
# SWIFTSSL_TEST_PKI_DIRECTORY set it reads DIRECTORY=$SWIFTSSL_TEST_PKI_DIRECTORY/test made ahead of
# time instead (scripts/valgrind-swift-tests, because Foundation's Process cannot spawn under valgrind).
set -e
directory="${1:?usage: make-test-pki.sh DIRECTORY}"
key_password='correct horse'
mkdir -p "$directory"
cd "$directory"
cat > ca.ext <<'X'
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
X
cat > leaf.ext <<'X'
basicConstraints=CA:FALSE
subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth
X
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
    -days 30 -subj '/CN=swiftssl test root' -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout intermediate.key \
    -out intermediate.csr -subj '/CN=swiftssl test intermediate' 2>/dev/null
openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -out intermediate.pem -days 30 -extfile ca.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj '/CN=localhost' 2>/dev/null
openssl x509 -req -in leaf.csr -CA intermediate.pem -CAkey intermediate.key -CAcreateserial \
    -out leaf.pem -days 30 -extfile leaf.ext 2>/dev/null
cat leaf.pem intermediate.pem > leaf-chain.pem
openssl pkey -in leaf.key -aes256 -passout "pass:$key_password" -out leaf-encrypted.key
printf '%s' "$key_password" > leaf-encrypted.password
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.pem \
    -days 30 -subj '/CN=localhost' -addext subjectAltName=DNS:localhost 2>/dev/null
