"""Threads (DESIGN.md section 6; issue 4, item 4).

- 64 threads share one client and one server context, handshake and move data concurrently, and
  every byte arrives intact (over loopback TCP, and over MemoryBIOs).
- Closing (or shutting down) a socket from another thread while a thread is blocked reading it
  ends that read with an exception or an end of stream, never a crash or a hang.
"""

import hashlib
import random
import socket
import threading
import time

import pytest

import swiftssl
from tls_support import NETWORK_TIMEOUT, LoopbackServer, memory_handshake, recv_exactly


THREADS = 64


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_64_threads_share_one_context_and_every_byte_arrives_intact(swiftssl_contexts):
    """64 client threads on one shared client context, each served by its own server thread on
    one shared server context; each sends 256 KiB of its own random data in uneven writes, twice
    (two connections), and gets it back echoed, checked by SHA-256."""
    server_context, client_context = swiftssl_contexts
    listener = socket.create_server(("127.0.0.1", 0), backlog=THREADS * 2)
    address = listener.getsockname()
    server_errors, client_errors, results = [], [], {}
    start = threading.Barrier(THREADS, timeout=NETWORK_TIMEOUT * 4)

    def serve_one(raw):
        try:
            raw.settimeout(NETWORK_TIMEOUT * 4)
            with server_context.wrap_socket(raw, server_side=True) as tls:
                size = int.from_bytes(recv_exactly(tls, 8), "big")
                remaining = size
                while remaining:
                    chunk = tls.recv(min(remaining, 32768))
                    if not chunk:
                        raise ConnectionError("client stopped early")
                    tls.sendall(chunk)
                    remaining -= len(chunk)
        except Exception as error:  # recorded for the test
            server_errors.append(error)

    def accept_all():
        workers = []
        for _ in range(THREADS * 2):
            try:
                raw, _ = listener.accept()
            except OSError as error:
                server_errors.append(error)
                break
            worker = threading.Thread(target=serve_one, args=(raw,), daemon=True)
            worker.start()
            workers.append(worker)
        for worker in workers:
            worker.join(NETWORK_TIMEOUT * 8)

    def client(index):
        try:
            generator = random.Random(index)
            start.wait()
            digests = []
            for round_number in range(2):
                data = generator.randbytes(256 * 1024)
                raw = socket.create_connection(address, timeout=NETWORK_TIMEOUT * 4)
                with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(len(data).to_bytes(8, "big"))
                    position = 0
                    while position < len(data):
                        step = generator.randint(1, 40000)
                        tls.sendall(data[position:position + step])
                        position += step
                    echoed = recv_exactly(tls, len(data))
                digests.append((hashlib.sha256(data).hexdigest(), hashlib.sha256(echoed).hexdigest()))
            results[index] = digests
        except Exception as error:  # recorded for the test
            client_errors.append((index, error))

    acceptor = threading.Thread(target=accept_all, daemon=True)
    acceptor.start()
    clients = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(THREADS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(NETWORK_TIMEOUT * 8)
    acceptor.join(NETWORK_TIMEOUT * 8)
    listener.close()
    assert not any(thread.is_alive() for thread in clients), "a client thread hung"
    assert client_errors == [] and server_errors == []
    assert sorted(results) == list(range(THREADS))
    for index, digests in results.items():
        for sent, echoed in digests:
            assert sent == echoed, f"thread {index}: data corrupted"


def test_64_threads_share_one_context_over_memory_bios(swiftssl_contexts):
    """The same sharing without sockets: 64 threads each run handshakes and transfers through
    MemoryBIOs on the two shared contexts (more interleaving of OpenSSL calls per second)."""
    server_context, client_context = swiftssl_contexts
    errors = []

    def worker(index):
        try:
            generator = random.Random(1000 + index)
            for _ in range(5):
                client, server, to_server, from_client = memory_handshake(client_context, server_context, swiftssl.MemoryBIO)
                data = generator.randbytes(generator.randint(1, 50000))
                client.write(data)
                to_server.write(from_client.read())
                received = b""
                while len(received) < len(data):
                    received += server.read(65536)
                assert received == data
        except Exception as error:  # recorded for the test
            errors.append((index, error))

    threads = [threading.Thread(target=worker, args=(index,), daemon=True) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(NETWORK_TIMEOUT * 8)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []


# --------------------------------------------------------------------------------------------
# Closing under a blocked reader
# --------------------------------------------------------------------------------------------

def blocked_reader_outcome(client_context, server, how: str, timeout: float | None):
    """Connects, starts a thread blocked in recv(), then ``how``s the socket from this thread.
    Returns what the reader got: ("returned", bytes) or ("raised", exception); None if it hung."""
    tls = client_context.wrap_socket(server.connect(timeout), server_hostname="localhost")
    outcome = []
    reading = threading.Event()

    def reader():
        reading.set()
        try:
            outcome.append(("returned", tls.recv(100)))
        except BaseException as error:  # what the test examines
            outcome.append(("raised", error))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert reading.wait(NETWORK_TIMEOUT)
    time.sleep(0.2)  # let it reach the blocking wait
    if how == "close":
        tls.close()
    elif how == "shutdown":
        tls.shutdown(socket.SHUT_RDWR)
    thread.join(NETWORK_TIMEOUT * 2)
    tls.close()
    return outcome[0] if outcome else None


@pytest.mark.parametrize("how, timeout", [("shutdown", None), ("shutdown", 5.0), ("close", 1.0)])
def test_closing_a_socket_while_another_thread_is_blocked_reading_it(swiftssl_contexts, how, timeout):
    """The reader's recv() returns or raises; the process survives. ``close`` alone cannot wake a
    thread blocked in the kernel (as with stdlib ssl), so it runs with a timeout that must end
    the read; ``shutdown`` wakes the reader at once, even without a timeout."""
    server_context, client_context = swiftssl_contexts

    def hold(tls):
        # Says nothing while the client reads; returns when the client goes away.
        try:
            tls.recv(100)
        except OSError:
            pass

    def wrap(raw):
        return server_context.wrap_socket(raw, server_side=True)

    with LoopbackServer(wrap, hold, connections=3) as server:
        for _ in range(3):
            result = blocked_reader_outcome(client_context, server, how, timeout)
            assert result is not None, "the blocked reader never came back"
            kind, value = result
            if kind == "raised":
                assert isinstance(value, (OSError, ValueError)), repr(value)
            else:
                assert value == b""
        server.wait()
