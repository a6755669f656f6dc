"""Shared fixtures: a PKI made at test time, and their PEM files under tmp_path.

How each is made (see ``tls_support.CertificateAuthority``): EC P-256 keys generated in memory by
pyca/cryptography, SHA-256 signatures, nothing read from the repository.
"""

import os
import pathlib
import socket
import ssl
import sys
import threading

import pytest
from hypothesis import settings

sys.path.insert(0, os.path.dirname(__file__))

# The property tests' two ways of drawing, chosen by SWIFTSSL_HYPOTHESIS_PROFILE (Hypothesis's own
# defaults when it is unset). scripts/test (CI) runs "gate": the same examples on every run, so a
# run never fails on an example no earlier run drew. scripts/explore runs "explore": fresh examples
# from the seed it prints, many more of them; new differences are found there.
settings.register_profile("gate", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
if os.environ.get("SWIFTSSL_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["SWIFTSSL_HYPOTHESIS_PROFILE"])

from tls_support import CertificateAuthority, LoopbackServer, RecordPeer  # noqa: E402


@pytest.fixture(scope="session")
def root_ca():
    """A self-signed root CA, generated once per session."""
    return CertificateAuthority("swiftssl test root")


@pytest.fixture(scope="session")
def server_cert(root_ca):
    """A leaf signed directly by ``root_ca`` for localhost, 127.0.0.1 and ::1."""
    return root_ca.issue("localhost", "127.0.0.1", "::1", common_name="localhost")


@pytest.fixture
def server_files(server_cert, tmp_path):
    """``server_cert`` as (chain path, key path), for the stdlib, which only takes paths."""
    return server_cert.write(tmp_path, "server-files")


@pytest.fixture(scope="session")
def intermediate_ca(root_ca):
    """An intermediate CA signed by ``root_ca``."""
    return root_ca.intermediate("swiftssl test intermediate")


@pytest.fixture(scope="session")
def chained_cert(intermediate_ca):
    """A leaf for localhost signed by ``intermediate_ca``; its chain_pem includes the intermediate."""
    return intermediate_ca.issue("localhost", "127.0.0.1", common_name="chained.localhost")


@pytest.fixture(scope="session")
def client_cert(root_ca):
    """A client certificate signed by ``root_ca``."""
    return root_ca.issue("client.example", common_name="client.example")


@pytest.fixture
def pem_files(tmp_path, root_ca, server_cert, chained_cert):
    """PEM files under tmp_path: ca.pem, server.crt/.key, combined.pem (leaf+key), chained.*"""
    paths = {"dir": tmp_path, "ca": tmp_path / "ca.pem", "combined": tmp_path / "combined.pem",
             "chained_combined": tmp_path / "chained_combined.pem"}
    paths["ca"].write_bytes(root_ca.cert_pem)
    paths["cert"], paths["key"] = map(pathlib.Path, server_cert.write(tmp_path, "server"))
    paths["chained_cert"], paths["chained_key"] = map(pathlib.Path, chained_cert.write(tmp_path, "chained"))
    paths["combined"].write_bytes(server_cert.combined_pem)
    paths["chained_combined"].write_bytes(chained_cert.combined_pem)
    return paths


@pytest.fixture
def stdlib_server_context(server_cert, tmp_path):
    """A stdlib ``ssl`` server context presenting ``server_cert`` (loaded from tmp_path files)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate_path, key_path = server_cert.write(tmp_path, "stdlib-server")
    context.load_cert_chain(certificate_path, key_path)
    return context


@pytest.fixture
def stdlib_server(stdlib_server_context):
    """Factory: ``with stdlib_server(handler, connections=1) as server`` (stdlib ssl on the far end)."""
    def make(handler=None, connections=1, context=None, family=socket.AF_INET):
        context_in_use = context or stdlib_server_context
        return LoopbackServer(lambda raw: context_in_use.wrap_socket(raw, server_side=True),
                              handler, connections=connections, family=family)
    return make


@pytest.fixture
def swiftssl_contexts(root_ca, server_cert):
    """A swiftssl server context with the test server's chain and key, and a client context
    trusting the test root: (server, client)."""
    import swiftssl

    server = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(server_cert.combined_pem)
    client = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    return server, client


@pytest.fixture
def connected(root_ca, stdlib_server_context):
    """Factory: ``connect(module=swiftssl, pair=socket.socketpair, **wrap_arguments)`` returns (a
    client TLS socket of `module`, a ``RecordPeer``) over the two sockets ``pair()`` makes, after a
    TLS 1.3 handshake."""
    import swiftssl

    made = []

    def connect(module=swiftssl, pair=socket.socketpair, **wrap_arguments):
        client_raw, server_raw = pair()
        made.extend([client_raw, server_raw])
        # Room for everything a test sends in one sendall, before the client reads any of it.
        for end in (client_raw, server_raw):
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        client_raw.settimeout(10)
        server_raw.settimeout(10)
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=root_ca.cert_pem.decode())
        peer = RecordPeer(server_raw, stdlib_server_context)
        handshaker = threading.Thread(target=peer.handshake)
        handshaker.start()
        client = context.wrap_socket(client_raw, server_hostname="localhost", **wrap_arguments)
        handshaker.join()
        made.append(client)
        return client, peer

    yield connect
    for sock in made:
        sock.close()
