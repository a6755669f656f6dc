"""The content-keyed context cache behind module-level ``wrap_socket``
(Sources/SwiftSSL/TLSContextCache.swift, reached through ``_swiftssl._legacy_context``).

``SSLContext._core_identity()`` (a test hook in Sources/SwiftSSLPython/ContextMethods.swift)
names the core context an SSLContext object uses, so two calls can be seen to share one.
Certificates come from the session PKI and from fresh CAs made here (cryptography).
"""

import io
import socket
import threading
import statistics
import time

import pytest

import swiftssl
from tls_support import CertificateAuthority, LoopbackServer, echo_upper_line


class ReadOnly:
    def __init__(self, content):
        self._content = content

    def read(self):
        return self._content


def identity(**arguments):
    """The core context identity ``wrap_socket(**arguments)`` ends up with (no handshake)."""
    left, right = socket.socketpair()
    with left, right:
        tls = swiftssl.wrap_socket(left, do_handshake_on_connect=False, **arguments)
        with tls:
            return tls.context._core_identity()


@pytest.fixture
def pem_paths(tmp_path, server_cert, root_ca):
    (tmp_path / "chain.pem").write_bytes(server_cert.cert_pem)
    (tmp_path / "key.pem").write_bytes(server_cert.key_pem)
    (tmp_path / "ca.pem").write_bytes(root_ca.cert_pem)
    return tmp_path


def test_same_content_shares_one_context(server_cert, root_ca):
    first = identity(certfile=server_cert.cert_pem, keyfile=server_cert.key_pem,
                     cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=root_ca.cert_pem)
    second = identity(certfile=server_cert.cert_pem, keyfile=server_cert.key_pem,
                      cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=root_ca.cert_pem)
    assert first == second


@pytest.mark.parametrize("form", ["BytesIO", "StringIO", "read-only", "pem-str", "path", "bytes-path"])
def test_same_content_through_other_objects_shares_the_context(form, server_cert, root_ca, pem_paths):
    reference = identity(certfile=server_cert.cert_pem, keyfile=server_cert.key_pem,
                         cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=root_ca.cert_pem)
    make = {
        "BytesIO": io.BytesIO,
        "StringIO": lambda pem: io.StringIO(pem.decode()),
        "read-only": ReadOnly,
        "pem-str": bytes.decode,
    }
    if form in make:
        arguments = dict(certfile=make[form](server_cert.cert_pem), keyfile=make[form](server_cert.key_pem),
                         ca_certs=make[form](root_ca.cert_pem))
    else:
        convert = str if form == "path" else lambda path: str(path).encode()
        arguments = dict(certfile=convert(pem_paths / "chain.pem"), keyfile=convert(pem_paths / "key.pem"),
                         ca_certs=convert(pem_paths / "ca.pem"))
    assert identity(cert_reqs=swiftssl.CERT_REQUIRED, **arguments) == reference


def test_changed_content_gives_another_context(server_cert, chained_cert, root_ca, intermediate_ca):
    base = dict(certfile=server_cert.cert_pem, keyfile=server_cert.key_pem,
                cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=root_ca.cert_pem)
    reference = identity(**base)
    variants = {
        "certificate": dict(base, certfile=chained_cert.cert_pem, keyfile=chained_cert.key_pem),
        "ca_certs": dict(base, ca_certs=intermediate_ca.cert_pem),
        "cert_reqs": dict(base, cert_reqs=swiftssl.CERT_OPTIONAL),
        "ssl_version": dict(base, ssl_version=swiftssl.PROTOCOL_TLSv1_2),
        "ciphers": dict(base, ciphers="ECDHE+AESGCM"),
        "key file's bytes (one more newline)": dict(base, keyfile=server_cert.key_pem + b"\n"),
    }
    identities = {name: identity(**arguments) for name, arguments in variants.items()}
    for name, value in identities.items():
        assert value != reference, f"changing the {name} kept the same context"
    assert len(set(identities.values())) == len(identities)


def test_file_content_is_read_again_on_each_call(server_cert, chained_cert, pem_paths):
    """Keyed by content, not by path: rewriting the file gives another context."""
    arguments = dict(certfile=str(pem_paths / "chain.pem"), keyfile=str(pem_paths / "key.pem"))
    before = identity(**arguments)
    (pem_paths / "chain.pem").write_bytes(chained_cert.cert_pem)
    (pem_paths / "key.pem").write_bytes(chained_cert.key_pem)
    assert identity(**arguments) != before
    assert identity(certfile=chained_cert.cert_pem, keyfile=chained_cert.key_pem) == identity(**arguments)


def test_password_callbacks_are_not_cached(server_cert):
    encrypted = server_cert.encrypted_key_pem(b"secret")
    with_callable = [identity(server_side=True, certfile=server_cert.cert_pem, keyfile=encrypted,
                              password=lambda: b"secret") for _ in range(2)]
    assert with_callable[0] != with_callable[1]
    with_bytes = [identity(server_side=True, certfile=server_cert.cert_pem, keyfile=encrypted,
                           password=b"secret") for _ in range(2)]
    assert with_bytes[0] == with_bytes[1]


def test_shared_contexts_are_frozen(server_cert, root_ca):
    left, right = socket.socketpair()
    with left, right:
        tls = swiftssl.wrap_socket(left, do_handshake_on_connect=False, cert_reqs=swiftssl.CERT_REQUIRED,
                                   ca_certs=root_ca.cert_pem)
        with tls:
            with pytest.raises(ValueError, match="shared by the wrap_socket cache"):
                tls.context.verify_mode = swiftssl.CERT_NONE
            assert tls.context.verify_mode == swiftssl.CERT_REQUIRED


def test_an_sni_callback_on_a_shared_context_stays_with_its_listening_socket(server_cert, root_ca):
    """The callback lives in the socket's own SSLContext object, not in the shared core: it runs
    for the connections that listener accepts, and not for another listener sharing the core."""
    seen = {"first": [], "second": []}
    listeners = {}
    for name in seen:
        raw = socket.create_server(("127.0.0.1", 0))
        listeners[name] = swiftssl.wrap_socket(raw, server_side=True, certfile=server_cert.combined_pem)
    assert listeners["first"].context._core_identity() == listeners["second"].context._core_identity()
    listeners["first"].context.sni_callback = lambda tls, server_name, context: seen["first"].append(server_name)
    client_context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    for name, listener in listeners.items():
        with listener, socket.create_connection(listener.getsockname()) as raw:
            result = {}
            accepting = threading.Thread(target=lambda: result.setdefault("accepted", listener.accept()))
            accepting.start()
            with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                accepting.join(10)
                assert tls.version() is not None
            result["accepted"][0].close()
    assert seen == {"first": ["localhost"], "second": []}


def test_cached_contexts_serve_many_real_connections(root_ca, server_cert):
    """Ten handshakes through the same cached server and client contexts, all verified."""
    wrap = lambda raw: swiftssl.wrap_socket(raw, server_side=True, certfile=io.BytesIO(server_cert.combined_pem))
    server_identities, client_identities = set(), set()

    def handler(tls):
        server_identities.add(tls.context._core_identity())
        return echo_upper_line(tls)

    with LoopbackServer(wrap, handler, connections=10) as server:
        for index in range(10):
            with swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED,
                                      ca_certs=io.StringIO(root_ca.cert_pem.decode()),
                                      server_hostname="localhost") as tls:
                client_identities.add(tls.context._core_identity())
                tls.sendall(b"call %d\n" % index)
                assert tls.recv(100) == b"CALL %d\n" % index
        server.wait()
    assert server.errors == []
    assert len(server_identities) == 1 and len(client_identities) == 1


def test_cached_call_is_much_cheaper_than_the_first(root_ca):
    """With a large CA bundle (a fresh CA so the first call really builds), later calls reuse the
    parsed store: their median must be well under the first call's time."""
    bundle = b"".join(CertificateAuthority(f"bundle CA {index}").cert_pem for index in range(150))
    bundle += root_ca.cert_pem

    def timed():
        start = time.perf_counter()
        identity(cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=bundle)
        return time.perf_counter() - start
    first = timed()
    later = statistics.median(timed() for _ in range(15))
    assert later < first / 3, (first, later)
