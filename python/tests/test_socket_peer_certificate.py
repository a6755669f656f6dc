"""SSLSocket.getpeercert() (python/swiftssl/_socket.py over Sources/SwiftSSL/CertificateDecoder.swift)
gives what CPython's gives, as a dict and as DER: for a certificate with every feature, for the
corner cases of CPython's certificate dict, on the server side, and without verification.

Each test runs a real handshake on loopback; the stdlib ``ssl`` is the oracle in the same test.
"""

import datetime
import ssl

import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

import swiftssl
from socket_clients import stdlib_client, swift_client
from tls_support import LoopbackServer


def rich_certificate(root_ca):
    """A leaf with every getpeercert() feature we can make: multi-valued RDN, UTF-8 subject,
    email/URI/IPv4/IPv6/DNS SANs, AIA (OCSP + caIssuers) and CRL distribution points."""
    subject = x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Zürich")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.LOCALITY_NAME, "Zürich")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "swiftssl tests"),
                                        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "interop")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "tls@example.org")]),
    ])
    extensions = [
        x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier("http://ocsp.example.org/")),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("http://ca.example.org/root.der")),
        ]),
        x509.CRLDistributionPoints([
            x509.DistributionPoint([x509.UniformResourceIdentifier("http://crl.example.org/root.crl")],
                                   None, None, None),
        ]),
    ]
    names = ["localhost", "127.0.0.1", "::1", "2001:db8::abcd:1",
             x509.RFC822Name("tls@example.org"), x509.UniformResourceIdentifier("https://example.org/")]
    return root_ca.issue(*names, subject=subject, extensions=extensions)


def test_getpeercert_dict_and_der_equal_stdlib(root_ca, tmp_path):
    leaf = rich_certificate(root_ca)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*leaf.write(tmp_path))

    def handler(tls):
        tls.recv(1)

    peers = []
    with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), handler,
                        connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                peers.append((tls.getpeercert(), tls.getpeercert(True), tls.getpeercert(binary_form=True)))
                tls.sendall(b".")
    (expected, expected_der, _), (actual, actual_der, actual_der_keyword) = peers
    assert actual_der == actual_der_keyword == expected_der == leaf.der
    assert list(actual.keys()) == list(expected.keys())
    for key in expected:
        assert actual[key] == expected[key], key
    assert actual == expected


def exotic_certificates(root_ca):
    """Leaves (signed by the session root) with the corner cases of CPython's certificate dict:
    odd attribute types, unknown OIDs, every general-name type, edge serials and dates."""
    from cryptography.x509.oid import ObjectIdentifier
    name = lambda *pairs: x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])
    bmp = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Zürich 中", _type=x509.name._ASN1Type.BMPString)])
    return {
        "dc-serialnumber-unknown-oid": lambda: root_ca.issue("localhost", subject=name(
            (NameOID.DOMAIN_COMPONENT, "example"), (NameOID.SERIAL_NUMBER, "42"),
            (ObjectIdentifier("1.2.3.4.5"), "custom"), (NameOID.COMMON_NAME, "localhost"))),
        "bmpstring-subject": lambda: root_ca.issue("localhost", subject=bmp),
        "empty-subject": lambda: root_ca.issue("localhost", subject=x509.Name([])),
        "nul-in-commonname": lambda: root_ca.issue("localhost", common_name="a\x00b"),
        "exotic-general-names": lambda: root_ca.issue(
            "localhost", x509.DirectoryName(name((NameOID.COMMON_NAME, "directory"))),
            x509.RegisteredID(ObjectIdentifier("1.2.3.4")),
            x509.OtherName(ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x05upn@x"),
            x509.OtherName(ObjectIdentifier("1.2.3.9"), b"\x0c\x01a"),
            "::", "fe80::1:0:0:1", x509.RFC822Name("a@example.org")),
        "distribution-point-without-uri": lambda: root_ca.issue("localhost", extensions=[
            x509.CRLDistributionPoints([
                x509.DistributionPoint(None, x509.RelativeDistinguishedName(
                    [x509.NameAttribute(NameOID.COMMON_NAME, "crl")]), None, None),
                x509.DistributionPoint([x509.UniformResourceIdentifier("http://crl.example/"),
                                        x509.DNSName("not-a-uri.example")], None, None, None)])]),
        # A BIT STRING value has no text: CPython's dict holds its bytes (swiftssl raised).
        "bitstring-name-value": lambda: root_ca.issue("localhost", subject=x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\xab\xcd",  # 0 unused bits
                               _type=x509.name._ASN1Type.BitString)])),
        "old-and-far-dates": lambda: root_ca.issue(
            "localhost", not_before=datetime.datetime(1999, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
            not_after=datetime.datetime(2050, 1, 1, tzinfo=datetime.timezone.utc)),
    }


@pytest.mark.parametrize("case", ["dc-serialnumber-unknown-oid", "bmpstring-subject", "empty-subject",
                                  "nul-in-commonname", "exotic-general-names",
                                  "distribution-point-without-uri", "bitstring-name-value", "old-and-far-dates"])
def test_getpeercert_of_exotic_certificates_equals_stdlib(case, root_ca, tmp_path):
    leaf = exotic_certificates(root_ca)[case]()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*leaf.write(tmp_path))
    peers = []
    with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), lambda tls: tls.recv(1),
                        connections=2) as server:
        for module in (ssl, swiftssl):
            client_context = module.create_default_context(cadata=root_ca.cert_pem.decode())
            client_context.check_hostname = False
            with client_context.wrap_socket(server.connect()) as tls:
                peers.append(tls.getpeercert())
                tls.sendall(b".")
    expected, actual = peers
    assert expected  # verified, so not the {} of an unverified peer
    assert actual == expected


def test_server_side_getpeercert_of_client_certificate_equals_stdlib(root_ca, server_cert, client_cert,
                                                                      tmp_path):
    """swiftssl as the server, verifying a client certificate; a stdlib server is the oracle."""
    client_context = ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    client_context.load_cert_chain(*client_cert.write(tmp_path, "client"))
    server_files = server_cert.write(tmp_path, "server")
    results = {}
    for module in (ssl, swiftssl):
        context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*server_files)
        context.verify_mode = module.CERT_REQUIRED
        context.load_verify_locations(cadata=root_ca.cert_pem.decode())

        def handler(tls):
            tls.recv(1)
            return tls.getpeercert(), tls.getpeercert(True)

        with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), handler) as server:
            with client_context.wrap_socket(server.connect(), server_hostname="localhost") as tls:
                tls.sendall(b".")
            server.wait()
        assert server.errors == []
        results[module.__name__] = server.results[0]
    assert results["swiftssl"][1] == client_cert.der
    assert results["swiftssl"] == results["ssl"]


def test_getpeercert_without_verification_is_empty_dict_like_stdlib(stdlib_server):
    results = []
    with stdlib_server(lambda tls: tls.recv(1), connections=2) as server:
        for module in (ssl, swiftssl):
            context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = module.CERT_NONE
            with context.wrap_socket(server.connect()) as tls:
                results.append((tls.getpeercert(), len(tls.getpeercert(True))))
                tls.sendall(b".")
    assert results[0] == results[1]
    assert results[0][0] == {}
