#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/seeds/ (committed; rerun to regenerate).

    python3 fuzz/make_seeds.py

Provenance: every certificate and key is made here with pyca/cryptography (throwaway EC P-256 and
RSA-2048 keys, SHA-256, a 30-day validity), every handshake message by CPython's ``ssl`` over
MemoryBIOs (the TLS-PSK ones by swiftssl's, see psk_wrap_bio_seeds); the "random" seeds come from
``random.Random(0)``. Nothing else is in them. The keys
protect nothing. A rerun replaces each seed directory (fresh keys, so new file names).
"""

import datetime
import hashlib
import ipaddress
import os
import random
import shutil
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID, ObjectIdentifier

SEEDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
PASSWORD = b"fuzz-password"
PEM = serialization.Encoding.PEM


def make_ca_and_leaf():
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz seed root")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("fuzz.example"), x509.DNSName("*.fuzz.example"), x509.DNSName("xn--bcher-kva.example"),
             x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1")),
             x509.RFC822Name("root@fuzz.example"), x509.UniformResourceIdentifier("https://fuzz.example/"),
             x509.DirectoryName(ca_name), x509.RegisteredID(ObjectIdentifier("1.2.3.4")),
             x509.OtherName(ObjectIdentifier("1.3.6.1.5.5.7.8.9"), b"\x0c\x03abc")]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz.example"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fuzz \u00e9\u4e2d"),
                         x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")])
    leaf = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name)
            .public_key(leaf_key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                       x509.UniformResourceIdentifier("http://ocsp.fuzz.example")),
                x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                       x509.UniformResourceIdentifier("http://ca.fuzz.example/ca.der"))]),
                           critical=False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier("http://crl.fuzz.example/crl")], None, None, None)]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return ca, leaf, leaf_key


def key_pem(key, fmt=serialization.PrivateFormat.PKCS8, password=None):
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(PEM, fmt, encryption)


def credential_seed(operation, form, blob, password=b""):
    return bytes([operation, form, len(password)]) + password + blob


def credentials_seeds(ca, leaf, leaf_key):
    cert = leaf.public_bytes(PEM)
    ca_pem = ca.public_bytes(PEM)
    der = lambda c: c.public_bytes(serialization.Encoding.DER)  # noqa: E731
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    traditional = serialization.PrivateFormat.TraditionalOpenSSL
    key = key_pem(leaf_key)
    padded_cert = cert + b"\n" * max(0, len(key) - len(cert))
    padded_key = key + b"\n" * max(0, len(cert) - len(key))
    return [
        credential_seed(0, 0, cert + key),
        credential_seed(0, 3, cert + key_pem(leaf_key, traditional)),
        credential_seed(0, 4, b"leading text\n" + cert + ca_pem + key),
        credential_seed(1, 0, cert + key_pem(leaf_key, password=PASSWORD), PASSWORD),
        credential_seed(1, 9, cert + key_pem(leaf_key, traditional, PASSWORD), PASSWORD),
        credential_seed(2, 0, padded_cert + padded_key),
        credential_seed(2, 8, padded_cert + padded_key),
        credential_seed(3, 0, ca_pem + cert),
        credential_seed(4, 0, der(ca) + der(leaf)),
        credential_seed(4, 1, ca_pem),
        credential_seed(5, 0, ca_pem),
        credential_seed(5, 1, der(ca)),
        credential_seed(6, 24, cert + key_pem(leaf_key, password=PASSWORD), PASSWORD),
        credential_seed(6, 40, cert + key_pem(leaf_key, password=PASSWORD), PASSWORD),
        credential_seed(0, 0, cert + key_pem(rsa_key, traditional)),
        credential_seed(7, 0, cert),
        credential_seed(7, 0, der(leaf)),
        credential_seed(7, 0, ca_pem),
    ]


def length_prefixed(data: bytes) -> bytes:
    return b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255))


def handshake_messages(ca, leaf, leaf_key):
    """A ClientHello, and server flights (TLS 1.3 and TLS 1.2) answering it."""
    directory = tempfile.mkdtemp()
    try:
        certfile = os.path.join(directory, "server.pem")
        with open(certfile, "wb") as handle:
            handle.write(leaf.public_bytes(PEM) + key_pem(leaf_key))
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
        flights = []
        hello = None
        for maximum in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            client_object = client.wrap_bio(incoming, outgoing, server_hostname="fuzz.example")
            try:
                client_object.do_handshake()
            except ssl.SSLWantReadError:
                pass
            hello = outgoing.read()
            server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server.maximum_version = maximum
            server.load_cert_chain(certfile)
            server_in, server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
            server_object = server.wrap_bio(server_in, server_out, server_side=True)
            server_in.write(hello)
            try:
                server_object.do_handshake()
            except ssl.SSLWantReadError:
                pass
            flights.append(server_out.read())
        return hello, flights
    finally:
        shutil.rmtree(directory)


def wrap_bio_seeds(ca, leaf, leaf_key):
    hello, flights = handshake_messages(ca, leaf, leaf_key)
    generator = random.Random(0)
    seeds = [bytes([0]) + length_prefixed(hello), bytes([2]) + length_prefixed(hello),
             bytes([2]) + length_prefixed(hello[:len(hello) // 2]),
             bytes([0]) + bytes([5]) + b"\x15\x03\x03\x00\x02" + bytes([2]) + b"\x01\x00"]
    for flight in flights:
        seeds += [bytes([1]) + length_prefixed(flight), bytes([3]) + length_prefixed(flight)]
    seeds += [bytes([generator.randrange(4)]) + generator.randbytes(generator.randrange(1, 300))
              for _ in range(4)]
    return seeds


def psk_wrap_bio_seeds():
    """For the wrap_bio target's TLS-PSK mode (byte 0 bit 3): a PSK client's ClientHellos (TLS 1.3,
    carrying the identity and binder; TLS 1.2 only, offering PSK suites) for a PSK server, and that
    server's answers for a PSK client (the TLS 1.2 one carries the identity hint). Made by
    swiftssl over its MemoryBIOs: the stdlib this runs under may have no TLS-PSK (before 3.13)."""
    import swiftssl

    key = bytes(range(16))
    seeds = []
    for maximum in (swiftssl.TLSVersion.TLSv1_3, swiftssl.TLSVersion.TLSv1_2):
        client = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname = False
        client.verify_mode = swiftssl.CERT_NONE
        client.maximum_version = maximum
        client.set_ciphers("PSK")
        client.set_psk_client_callback(lambda hint: ("fuzz", key))
        server = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
        server.set_ciphers("PSK")
        server.set_psk_server_callback(lambda identity: key, "fuzz hint")
        client_in, client_out, server_in, server_out = (swiftssl.MemoryBIO() for _ in range(4))
        client_object = client.wrap_bio(client_in, client_out, server_hostname="fuzz.example")
        server_object = server.wrap_bio(server_in, server_out, server_side=True)
        for end in (client_object, server_object):
            try:
                end.do_handshake()
            except swiftssl.SSLWantReadError:
                pass
            if end is client_object:
                hello = client_out.read()
                server_in.write(hello)
        flight = server_out.read()
        seeds += [bytes([8]) + length_prefixed(hello), bytes([10]) + length_prefixed(hello),
                  bytes([9]) + length_prefixed(flight), bytes([13]) + length_prefixed(flight)]
    return seeds


def match_hostname_seeds():
    generator = random.Random(0)
    return [b""] + [generator.randbytes(size) for size in (4, 16, 64, 128, 256, 512, 1024)]


def write(target, seeds):
    directory = os.path.join(SEEDS, target)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for seed in seeds:
        with open(os.path.join(directory, hashlib.sha1(seed).hexdigest()), "wb") as handle:
            handle.write(seed)
    print(f"{directory}: {len(seeds)} seeds, {sum(map(len, seeds))} bytes")


def main():
    ca, leaf, leaf_key = make_ca_and_leaf()
    write("credentials", credentials_seeds(ca, leaf, leaf_key))
    write("wrap_bio", wrap_bio_seeds(ca, leaf, leaf_key) + psk_wrap_bio_seeds())
    write("match_hostname", match_hostname_seeds())


if __name__ == "__main__":
    main()
