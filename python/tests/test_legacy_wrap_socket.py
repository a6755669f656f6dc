"""Module-level ``swiftssl.wrap_socket`` (python/swiftssl/_legacy.py), the App Engine API: credentials
(``ca_certs``, ``certfile``, ``keyfile``) in every accepted form, on the client and the server side.

Every test does a real handshake on 127.0.0.1 with CPython's stdlib ``ssl`` on the other end.
Certificates come from the session PKI in conftest.py (made at test time with cryptography).
Encrypted keys are in ``test_legacy_wrap_socket_passwords.py``, the other arguments and
CPython 3.11 compatibility in ``test_legacy_wrap_socket_arguments.py``.
"""

import io
import os
import pathlib
import ssl

import pytest

import swiftssl
from legacy_wrap_socket_support import stdlib_client, talk
from tls_support import LoopbackServer, echo_upper_line


class ReadOnly:
    """A file-like object with nothing but ``read()`` (no seek, no close, no iteration)."""

    def __init__(self, content):
        self._content = content

    def read(self):
        return self._content


def credential_forms(pem: bytes, path):
    """Every accepted way of giving the same PEM: paths (str/bytes/PathLike), content, file-likes."""
    return {
        "path-str": lambda: str(path),
        "path-bytes": lambda: os.fsencode(str(path)),
        "pathlib": lambda: path,
        "pem-bytes": lambda: pem,
        "pem-str": lambda: pem.decode("ascii"),
        "StringIO": lambda: io.StringIO(pem.decode("ascii")),
        "BytesIO": lambda: io.BytesIO(pem),
        "read-only-object": lambda: ReadOnly(pem),
    }


FORMS = list(credential_forms(b"", "").keys())


# -- client side ---------------------------------------------------------------------------

@pytest.mark.parametrize("form", FORMS)
def test_client_ca_certs_in_every_form(form, root_ca, server_cert, pem_files, stdlib_server):
    ca_certs = credential_forms(root_ca.cert_pem, pem_files["ca"])[form]()
    with stdlib_server(echo_upper_line) as server:
        tls = swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED,
                                   ca_certs=ca_certs, server_hostname="localhost")
        with tls:
            # Before reading to EOF: after a ragged EOF OpenSSL (and so stdlib) says
            # "handshake not done yet".
            assert tls.getpeercert(True) == server_cert.der
            assert tls.getpeercert()["subjectAltName"][0] == ("DNS", "localhost")
            assert talk(tls) == b"HELLO SWIFTSSL\n"
    assert server.errors == []


def test_client_ca_certs_wrong_ca_fails(stdlib_server):
    """Control for the test above: trusting an unrelated CA must fail verification."""
    from tls_support import CertificateAuthority
    stranger = CertificateAuthority("unrelated root")
    with stdlib_server(echo_upper_line) as server:
        with pytest.raises(swiftssl.SSLCertVerificationError) as caught:
            swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED,
                                 ca_certs=stranger.cert_pem, server_hostname="localhost")
    assert caught.value.verify_code == 20  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY


@pytest.mark.parametrize("form", FORMS)
def test_client_certificate_in_every_form(form, root_ca, client_cert, tmp_path, stdlib_server_context,
                                          stdlib_server):
    """The client presents certfile/keyfile given in ``form``; a stdlib server requires it."""
    stdlib_server_context.verify_mode = ssl.CERT_REQUIRED
    stdlib_server_context.load_verify_locations(cadata=root_ca.cert_pem.decode())
    certificate_path, key_path = client_cert.write(tmp_path, "client")
    certfile = credential_forms(client_cert.cert_pem, pathlib.Path(certificate_path))[form]()
    keyfile = credential_forms(client_cert.key_pem, pathlib.Path(key_path))[form]()

    def handler(tls):
        echo_upper_line(tls)
        return tls.getpeercert(True)

    with stdlib_server(handler) as server:
        with swiftssl.wrap_socket(server.connect(), keyfile=keyfile, certfile=certfile) as tls:
            assert talk(tls) == b"HELLO SWIFTSSL\n"
        server.wait()
    assert server.errors == []
    assert server.results == [client_cert.der]


# -- server side ---------------------------------------------------------------------------

@pytest.mark.parametrize("form", FORMS)
def test_server_certfile_and_keyfile_in_every_form(form, root_ca, server_cert, pem_files):
    certfile = credential_forms(server_cert.cert_pem, pem_files["cert"])[form]()
    keyfile = credential_forms(server_cert.key_pem, pem_files["key"])[form]()
    wrap = lambda raw: swiftssl.wrap_socket(raw, keyfile=keyfile, certfile=certfile, server_side=True)
    with LoopbackServer(wrap, echo_upper_line) as server:
        with stdlib_client(root_ca)(server) as tls:
            assert tls.getpeercert(True) == server_cert.der
            assert talk(tls) == b"HELLO SWIFTSSL\n"
    assert server.errors == []
    assert server.results == [b"hello swiftssl\n"]


@pytest.mark.parametrize("form", FORMS)
def test_server_certfile_holding_leaf_chain_and_key(form, root_ca, chained_cert, pem_files):
    """certfile = leaf + intermediate + key; a client trusting only the root must verify, which it
    can only do if the intermediate was sent."""
    certfile = credential_forms(chained_cert.combined_pem, pem_files["chained_combined"])[form]()
    wrap = lambda raw: swiftssl.wrap_socket(raw, certfile=certfile, server_side=True)
    with LoopbackServer(wrap, echo_upper_line) as server:
        with stdlib_client(root_ca)(server) as tls:
            assert tls.getpeercert(True) == chained_cert.der
            assert talk(tls) == b"HELLO SWIFTSSL\n"
    assert server.errors == []


def test_server_without_intermediate_is_not_verifiable(root_ca, chained_cert):
    """Control: the same leaf without its intermediate fails at a client trusting only the root."""
    leaf_and_key = chained_cert.cert_pem + chained_cert.key_pem
    wrap = lambda raw: swiftssl.wrap_socket(raw, certfile=leaf_and_key, server_side=True)
    with LoopbackServer(wrap) as server:
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            stdlib_client(root_ca)(server)
    assert caught.value.verify_code == 20


def test_swiftssl_client_trusting_root_verifies_intermediate_chain(root_ca, chained_cert):
    """Both ends swiftssl: the chain comes from a combined certfile, trust from the root alone."""
    wrap = lambda raw: swiftssl.wrap_socket(raw, certfile=io.BytesIO(chained_cert.combined_pem),
                                            server_side=True)
    with LoopbackServer(wrap, echo_upper_line) as server:
        with swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED,
                                  ca_certs=root_ca.cert_pem.decode(), server_hostname="localhost") as tls:
            assert tls.getpeercert(True) == chained_cert.der
            assert talk(tls) == b"HELLO SWIFTSSL\n"
    assert server.errors == []
