"""Blocking TLS calls release the GIL (Sources/SwiftSSLPython/GILRelease.swift).

While a swiftssl handshake or read waits about a second for a slow peer, a second Python thread
must keep running: a ticker thread counting 5 ms sleeps must advance by well over a hundred
ticks; if the GIL were held the count would stay near zero. The slow peer is a stdlib ``ssl``
server in a separate process, so that it does not itself need this process's GIL (a held GIL
then shows as a low count, not as a hang).
"""

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import swiftssl

SLOW_PEER = textwrap.dedent("""
    import socket, ssl, sys, time
    mode, delay, certificate, key = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    listener.settimeout(20)
    raw, _ = listener.accept()
    if mode == "handshake":
        time.sleep(delay)
    with context.wrap_socket(raw, server_side=True) as tls:
        if mode == "read":
            time.sleep(delay)
        tls.sendall(b"late")
        tls.recv(1)
""")

DELAY = 1.0
MINIMUM_TICKS = 60  # out of about DELAY / 0.005 = 200 possible


class Ticker:
    """A thread that counts while it gets to run."""

    def __init__(self):
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            time.sleep(0.005)
            self.count += 1

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(5)


def measure(blocking_call):
    """Runs ``blocking_call`` with a ticker going; returns (its result, seconds, ticks during it)."""
    with Ticker() as ticker:
        time.sleep(0.05)
        before, start = ticker.count, time.monotonic()
        result = blocking_call()
        seconds, ticks = time.monotonic() - start, ticker.count - before
    return result, seconds, ticks


class SlowPeer:
    """The SLOW_PEER script in a subprocess; ``port`` once started; killed on exit."""

    def __init__(self, mode, server_cert, tmp_path):
        certificate, key = server_cert.write(tmp_path, "slow-peer")
        self.process = subprocess.Popen([sys.executable, "-c", SLOW_PEER, mode, str(DELAY), certificate, key],
                                        stdout=subprocess.PIPE, env=dict(os.environ))

    def __enter__(self):
        self.port = int(self.process.stdout.readline())
        return self

    def __exit__(self, *exc_info):
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process.stdout.close()


@pytest.mark.parametrize("timeout", [None, 10.0], ids=["blocking-socket", "socket-timeout"])
def test_read_waiting_for_a_slow_peer_lets_other_threads_run(timeout, root_ca, server_cert, tmp_path):
    with SlowPeer("read", server_cert, tmp_path) as peer:
        context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
        raw = socket.create_connection(("127.0.0.1", peer.port), timeout=10)
        raw.settimeout(timeout)
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            data, seconds, ticks = measure(lambda: tls.recv(4))
            tls.sendall(b".")
    assert data == b"late"
    assert seconds >= DELAY * 0.8
    assert ticks >= MINIMUM_TICKS, f"only {ticks} ticks while recv() waited {seconds:.2f}s"


@pytest.mark.parametrize("timeout", [None, 10.0], ids=["blocking-socket", "socket-timeout"])
def test_handshake_waiting_for_a_slow_peer_lets_other_threads_run(timeout, root_ca, server_cert, tmp_path):
    with SlowPeer("handshake", server_cert, tmp_path) as peer:
        raw = socket.create_connection(("127.0.0.1", peer.port), timeout=10)
        raw.settimeout(timeout)
        tls, seconds, ticks = measure(lambda: swiftssl.wrap_socket(
            raw, cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=root_ca.cert_pem, server_hostname="localhost"))
        with tls:
            assert tls.version() == "TLSv1.3"
            assert tls.recv(4) == b"late"
            tls.sendall(b".")
    assert seconds >= DELAY * 0.8
    assert ticks >= MINIMUM_TICKS, f"only {ticks} ticks while the handshake waited {seconds:.2f}s"


def test_many_threads_read_at_once(root_ca, server_cert):
    """Eight client threads block in recv() on one shared context while the server, in Python,
    answers them one after the other: only possible if each wait releases the GIL."""
    count = 8
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert.combined_pem)
    accepted = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    client_context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    answers = {}

    def client(index):
        raw = socket.create_connection(listener.getsockname(), timeout=10)
        with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
            answers[index] = tls.recv(16)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(count)]
    with listener:
        for thread in threads:
            thread.start()
        for _ in range(count):
            raw, _ = listener.accept()
            raw.settimeout(10)
            accepted.append(context.wrap_socket(raw, server_side=True))
        time.sleep(0.2)  # every client is now blocked in recv()
        for index, tls in enumerate(accepted):
            tls.sendall(b"answer %d" % index)
        for thread in threads:
            thread.join(10)
        for tls in accepted:
            tls.close()
    assert sorted(answers.values()) == sorted(b"answer %d" % index for index in range(count))
