"""Resources (DESIGN.md section 6; issue 4, item 4): thousands of sequential connections in one
process leave resident memory (RSS) and open file descriptors flat; the bound asserted catches a
leak of a few hundred bytes per connection. Threads sharing contexts: test_threads.py.

Sizes: ``SWIFTSSL_SEQUENTIAL_CONNECTIONS`` (default 10,000 measured after 2,000 of warm-up, about
25 s on a 2-core machine) sets the loopback run; set it to 100000 for the longer run SECURITY.md describes. The
measurements are printed (``pytest -s`` shows them).

RSS comes from /proc/self/statm (Linux only), descriptors from /proc/self/fd. Each measurement
starts after a warm-up so one-time allocations (OpenSSL's tables, the context cache, pymalloc
arenas) are not counted as growth.
"""

import os
import socket
import ssl as stdlib_ssl
import sys
import threading
import time

import pytest

import swiftssl
from tls_support import NETWORK_TIMEOUT, LoopbackServer, memory_handshake

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")

SEQUENTIAL_CONNECTIONS = int(os.environ.get("SWIFTSSL_SEQUENTIAL_CONNECTIONS", "10000"))
WARM_UP = 300
# Growth allowed over a whole measured run: RSS moves in pages and malloc keeps some slack, but a
# per-connection leak of 400 bytes over 10,000 connections is already 4 MB.
RSS_GROWTH_LIMIT = 3 * 1024 * 1024


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def measure(label: str, count: int, one, warm_up: int = WARM_UP) -> dict:
    """Runs ``one(index)`` warm_up times, then ``count`` times, and reports RSS and fd growth."""
    for index in range(warm_up):
        one(index)
    rss_before, fds_before, started = resident_bytes(), open_descriptors(), time.monotonic()
    checkpoints = []  # RSS growth (KiB) after each tenth: a leak climbs steadily, noise does not
    for index in range(count):
        one(index)
        if (index + 1) % max(1, count // 10) == 0:
            checkpoints.append((resident_bytes() - rss_before) // 1024)
    report = {"label": label, "count": count, "seconds": round(time.monotonic() - started, 1),
              "rss_growth_kib": (resident_bytes() - rss_before) // 1024, "checkpoints_kib": checkpoints,
              "fd_before": fds_before, "fd_after": open_descriptors()}
    print(f"\n{report}")
    return report


def assert_flat(report: dict, rss_limit: int = RSS_GROWTH_LIMIT) -> None:
    assert report["rss_growth_kib"] * 1024 < rss_limit, report
    assert report["fd_after"] <= report["fd_before"], report


class ServingThread:
    """A swiftssl server on loopback answering each connection's line upper-cased, until stopped.

    Unlike LoopbackServer it needs no connection count up front, so the measured loop decides.
    """

    def __init__(self, context):
        self.context = context
        self.errors = []
        self.stopping = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return  # the listener was closed: stop
            if self.stopping:
                raw.close()
                return
            try:
                raw.settimeout(NETWORK_TIMEOUT)
                with self.context.wrap_socket(raw, server_side=True) as tls:
                    tls.sendall(tls.recv(100).upper())
            except Exception as error:  # recorded for the test
                self.errors.append(error)
                raw.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        # closing the listener does not wake a thread in accept(); a last connection does.
        self.stopping = True
        try:
            socket.create_connection(self.address, timeout=NETWORK_TIMEOUT).close()
        except OSError:
            pass
        self.thread.join(NETWORK_TIMEOUT)
        self.listener.close()
        assert not self.thread.is_alive()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sequential_loopback_connections_keep_rss_and_descriptors_flat(swiftssl_contexts):
    """SEQUENTIAL_CONNECTIONS (10,000) handshakes over loopback, both ends swiftssl, each with a
    round trip and the calls that build Python objects (getpeercert, cipher, version)."""
    server_context, client_context = swiftssl_contexts
    with ServingThread(server_context) as server:
        def one(index):
            raw = socket.create_connection(server.address, timeout=NETWORK_TIMEOUT)
            with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"n%d" % index)
                assert tls.recv(100) == b"N%d" % index
                assert tls.getpeercert()["subjectAltName"]
                assert tls.getpeercert(binary_form=True)
                assert tls.cipher() and tls.version() == "TLSv1.3"

        # RSS settles only after a couple of thousand connections (malloc and pymalloc arenas
        # reaching their steady state: measured flat from ~4,000 to 30,000), hence the long warm-up.
        report = measure("loopback connections", SEQUENTIAL_CONNECTIONS, one, warm_up=2000)
    assert server.errors == []
    assert_flat(report)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_legacy_wrap_socket_with_credentials_in_memory_keeps_rss_and_descriptors_flat(root_ca, server_cert):
    """Module-level wrap_socket with certfile/ca_certs as PEM bytes: the context cache and the
    credential parsing run on every call."""
    chain_and_key, ca_pem = server_cert.combined_pem, root_ca.cert_pem

    def wrap(raw):
        return swiftssl.wrap_socket(raw, server_side=True, certfile=chain_and_key)

    count = 2000
    with LoopbackServer(wrap, lambda tls: tls.sendall(tls.recv(100).upper()),
                        connections=WARM_UP + count) as server:
        def one(index):
            with swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=ca_pem,
                                      server_hostname="localhost") as tls:
                tls.sendall(b"x")
                assert tls.recv(10) == b"X"

        report = measure("legacy wrap_socket", count, one)
        server.wait()
    assert server.errors == []
    assert_flat(report)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("memory_bio", [swiftssl.MemoryBIO, stdlib_ssl.MemoryBIO],
                         ids=["swiftssl BIOs", "stdlib BIOs"])
def test_memory_bio_connections_keep_rss_flat(swiftssl_contexts, memory_bio):
    """wrap_bio handshakes with no socket at all: connection, MemoryBIO and certificate objects
    (over the stdlib's BIOs, the connection holds them: StdlibMemoryBIOChannel)."""
    server_context, client_context = swiftssl_contexts

    def one(index):
        client, server, to_server, from_client = memory_handshake(client_context, server_context, memory_bio)
        client.write(b"payload %d" % index)
        to_server.write(from_client.read())
        assert server.read(100) == b"payload %d" % index
        assert client.getpeercert()["subjectAltName"]

    assert_flat(measure("memory BIO connections", 5000, one))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_contexts_loading_credentials_from_memory_keep_rss_flat(root_ca, server_cert):
    """New contexts each loading an encrypted key (password as str, bytes and callback), a chain,
    and CAs as PEM str and DER bytes: everything they allocate is freed with them."""
    encrypted_key = server_cert.encrypted_key_pem(b"secret")
    ca_der = root_ca.certificate.public_bytes(__import__("cryptography").hazmat.primitives.serialization.Encoding.DER)
    passwords = ["secret", b"secret", lambda: b"secret"]

    def one(index):
        server = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(server_cert.chain_pem, encrypted_key, password=passwords[index % 3])
        client = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(cadata=root_ca.cert_pem.decode())
        client.load_verify_locations(cadata=ca_der)
        with pytest.raises(swiftssl.SSLError):
            server.load_cert_chain(server_cert.chain_pem, encrypted_key, password=b"wrong")

    assert_flat(measure("contexts with in-memory credentials", 800, one, warm_up=100))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_legacy_wrap_socket_with_a_password_callback_keeps_rss_flat(server_cert):
    """Regression: a configuration with a password callback is never cached, and the cache's
    SHA-256 context was abandoned unfreed on that path (about 200 bytes per wrap_socket call,
    860 KiB over this loop). No handshake: the context is made and dropped on each call."""
    def one(index):
        near, far = socket.socketpair()
        try:
            swiftssl.wrap_socket(near, server_side=True, certfile=server_cert.chain_pem,
                                 keyfile=server_cert.key_pem, password=lambda: b"unused",
                                 do_handshake_on_connect=False).close()
        finally:
            near.close()
            far.close()

    assert_flat(measure("wrap_socket with a password callback", 4000, one, warm_up=200),
                rss_limit=512 * 1024)


# --------------------------------------------------------------------------------------------
# Reference counts in the native glue
# --------------------------------------------------------------------------------------------

def test_match_hostname_releases_every_entry_of_the_certificate_dict():
    """Regression: the glue kept one reference to each subjectAltName entry per call (and, when
    an entry was malformed, to every entry after it), so a server checking names per connection
    grew without bound. Counts must be back where they were after 1,000 calls of each kind."""
    san_entry = ("DNS", "www.example.com")
    other_entry = ("IP Address", "192.0.2.1")
    relative_name = (("commonName", "example.com"),)
    good = {"subject": (relative_name,), "subjectAltName": (san_entry, other_entry)}
    malformed_first = {"subject": ((("commonName", "x", "extra"),), relative_name),
                       "subjectAltName": (("DNS",), san_entry)}
    watched = (san_entry, other_entry, relative_name)
    before = [sys.getrefcount(item) for item in watched]
    for _ in range(1000):
        swiftssl.match_hostname(good, "www.example.com")
        with pytest.raises(swiftssl.CertificateError):
            swiftssl.match_hostname(good, "other.example.org")
        with pytest.raises(ValueError):
            swiftssl.match_hostname(malformed_first, "www.example.com")
    assert [sys.getrefcount(item) for item in watched] == before


def test_getpeercert_and_cipher_objects_are_not_kept_alive(swiftssl_contexts):
    """Objects the glue returns are owned by the caller alone (no stray reference that would
    keep every peer certificate dict alive)."""
    server_context, client_context = swiftssl_contexts
    client, server, to_server, from_client = memory_handshake(client_context, server_context, swiftssl.MemoryBIO)
    calls = [client.getpeercert, lambda: client.getpeercert(True), client.cipher, client.version,
             server.cipher]
    for call in calls:
        value = call()
        # One reference from `value`, one from getrefcount's argument.
        assert sys.getrefcount(value) == 2, value
