"""Interop with CPython's stdlib ``ssl`` in both directions (and swiftssl with itself): for each
TLS version and key type, a mutually authenticated handshake on loopback, data both ways, and
both ends agreeing on the version, the cipher and each other's certificate.

Certificates: a root made for this module, and EC P-256 or RSA-2048 leaves for the server and
the client (cryptography, at test time).
"""

import functools
import hashlib
import os
import ssl

import pytest

import swiftssl
from tls_support import CertificateAuthority, LoopbackServer, recv_exactly

LIBRARIES = {"stdlib": ssl, "swiftssl": swiftssl}
PAYLOAD = os.urandom(200_000)


@functools.lru_cache(maxsize=None)
def pki(key_type):
    root = CertificateAuthority(f"interop root {key_type}", key_type=key_type)
    server = root.issue("localhost", "127.0.0.1", key_type=key_type, common_name="interop server")
    client = root.issue("client.example", key_type=key_type, common_name="interop client")
    return root, server, client


def server_context(module, key_type, version, tmp_path):
    root, server, _ = pki(key_type)
    context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server.write(tmp_path, f"server-{key_type}"))
    context.verify_mode = module.CERT_REQUIRED
    context.load_verify_locations(cadata=root.cert_pem.decode())
    context.maximum_version = getattr(module.TLSVersion, version)
    return context


def client_context(module, key_type, tmp_path):
    root, _, client = pki(key_type)
    context = module.create_default_context(cadata=root.cert_pem.decode())
    context.load_cert_chain(*client.write(tmp_path, f"client-{key_type}"))
    return context


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
@pytest.mark.parametrize("client_name,server_name", [("swiftssl", "stdlib"), ("stdlib", "swiftssl"),
                                                     ("swiftssl", "swiftssl")])
def test_mutual_authentication_and_data_both_ways(client_name, server_name, version, key_type, tmp_path):
    _, server_cert, client_cert = pki(key_type)
    server_side = server_context(LIBRARIES[server_name], key_type, version, tmp_path)
    client_side = client_context(LIBRARIES[client_name], key_type, tmp_path)

    def handler(tls):
        received = recv_exactly(tls, len(PAYLOAD))
        tls.sendall(hashlib.sha256(received).digest() + PAYLOAD[::-1])
        tls.recv(1)
        return tls.version(), tls.cipher(), tls.getpeercert(True), tls.getpeercert()["subject"]

    with LoopbackServer(lambda raw: server_side.wrap_socket(raw, server_side=True), handler) as server:
        with client_side.wrap_socket(server.connect(), server_hostname="localhost") as tls:
            tls.sendall(PAYLOAD)
            assert recv_exactly(tls, 32) == hashlib.sha256(PAYLOAD).digest()
            assert recv_exactly(tls, len(PAYLOAD)) == PAYLOAD[::-1]
            client_view = (tls.version(), tls.cipher(), tls.getpeercert(True))
            tls.sendall(b".")
        server.wait()
    assert server.errors == []
    server_version, server_cipher, client_der, client_subject = server.results[0]
    expected_version = version.replace("_", ".")
    assert client_view[0] == server_version == expected_version
    assert client_view[1][:2] == server_cipher[:2]
    assert client_view[2] == server_cert.der
    assert client_der == client_cert.der
    assert (("commonName", "interop client"),) in client_subject
