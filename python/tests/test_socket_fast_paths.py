"""The native fast paths behave as the Python code they replaced, and as stdlib ``ssl``.

``SSLSocket.sendall`` is one native call (``write_all``) instead of a Python loop over
``memoryview(data).cast("B")``; ``recv(n)`` sizes its bytes object to one TLS record at most.
Each test runs the same steps over swiftssl and over the stdlib, in one process over a
socketpair, and compares what comes out (data, return values, exception types and messages).
"""

import array
import socket
import ssl
import threading

import pytest

import swiftssl

LIBRARIES = [swiftssl, ssl]


@pytest.fixture
def connected(pem_files):
    """Factory: (client, server) TLS sockets over a socketpair, handshake done, for a library."""
    made = []

    def make(lib):
        server_context = lib.SSLContext(lib.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(str(pem_files["cert"]), str(pem_files["key"]))
        client_context = lib.SSLContext(lib.PROTOCOL_TLS_CLIENT)
        client_context.load_verify_locations(str(pem_files["ca"]))
        client_end, server_end = socket.socketpair()
        client_end.settimeout(10)
        server_end.settimeout(10)
        accepted = {}
        thread = threading.Thread(target=lambda: accepted.setdefault(
            "tls", server_context.wrap_socket(server_end, server_side=True)))
        thread.start()
        client = client_context.wrap_socket(client_end, server_hostname="localhost")
        thread.join()
        made.extend([client, accepted["tls"]])
        return client, accepted["tls"]

    yield make
    for tls in made:
        tls.close()


def _receive_exactly(tls, count):
    chunks = []
    while count:
        chunk = tls.recv(count)
        assert chunk, "unexpected end of stream"
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def _error(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the comparison is the point
        return type(error).__name__, str(error)
    return None


@pytest.mark.parametrize("lib", LIBRARIES, ids=lambda lib: lib.__name__)
def test_sendall_takes_every_contiguous_buffer(connected, lib):
    client, server = connected(lib)
    integers = array.array("i", range(1000))
    payloads = [b"plain bytes", bytearray(b"a bytearray"), memoryview(b"a memoryview"),
                memoryview(integers), memoryview(bytes(range(256)) * 8)[100:1900]]
    for payload in payloads:
        assert client.sendall(payload) is None
        expected = memoryview(payload).cast("B").tobytes()
        assert _receive_exactly(server, len(expected)) == expected
    assert client.sendall(b"") is None


@pytest.mark.parametrize("lib", LIBRARIES, ids=lambda lib: lib.__name__)
def test_sendall_of_a_megabyte_arrives_whole(connected, lib):
    client, server = connected(lib)
    payload = bytes(range(256)) * 4096
    received = {}
    reader = threading.Thread(target=lambda: received.setdefault("data", _receive_exactly(server, len(payload))))
    reader.start()
    client.sendall(payload)
    reader.join()
    assert received["data"] == payload


def test_sendall_refuses_what_the_stdlib_refuses(connected):
    outcomes = {}
    for lib in LIBRARIES:
        client, _ = connected(lib)
        strided = memoryview(bytearray(64))[::2]
        outcomes[lib.__name__] = [_error(lambda value=value: client.sendall(value))
                                  for value in ("text", 12, None, strided)]
        assert all(outcome is not None for outcome in outcomes[lib.__name__])
    assert outcomes["swiftssl"] == outcomes["ssl"]


@pytest.mark.parametrize("lib", LIBRARIES, ids=lambda lib: lib.__name__)
def test_recv_returns_a_record_at_most_and_exactly_the_pending_bytes(connected, lib):
    client, server = connected(lib)
    payload = bytes(range(256)) * 160  # 40960 bytes: three records
    client.sendall(payload)
    received = server.recv(65536)
    assert 0 < len(received) <= 16384
    received += server.recv(10)
    pending = server.pending()
    assert pending > 0
    rest_of_record = server.recv(65536)
    assert len(rest_of_record) == pending
    received += rest_of_record
    received += _receive_exactly(server, len(payload) - len(received))
    assert received == payload
    assert server.pending() == 0
