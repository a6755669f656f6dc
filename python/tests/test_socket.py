"""SSLSocket (python/swiftssl/_socket.py over Sources/SwiftSSLPython/ConnectionMethods.swift):
a socket and a context manager, reads and writes, unwrap and close, timeouts, flags, makefile,
accept.

Each test runs a real handshake on loopback against CPython's stdlib ``ssl``; where the stdlib
can answer the same question (same server, same call) it is run as the oracle in the same test.
getpeercert() is tested in test_socket_peer_certificate.py, the corner cases compared with the
stdlib in test_socket_edges.py.
"""

import hashlib
import io
import os
import socket
import ssl
import threading
import time

import pytest

import swiftssl
from socket_clients import stdlib_client, swift_client
from tls_support import LoopbackServer, echo_upper_line, elapsed, outcome, recv_exactly, recv_until_eof

MIB = 1024 * 1024


def test_is_a_socket_and_a_context_manager(root_ca, stdlib_server):
    with stdlib_server(echo_upper_line) as server:
        with swift_client(server, root_ca) as tls:
            assert isinstance(tls, swiftssl.SSLSocket)
            assert isinstance(tls, socket.socket)
            assert tls.family == socket.AF_INET and tls.type == socket.SOCK_STREAM
            assert tls.getpeername() == server.address
            assert tls.fileno() >= 0
            tls.sendall(b"x\n")
            assert tls.recv(10) == b"X\n"
        assert tls.fileno() == -1
        assert tls._closed


def test_attributes_live_in_slots_and_new_ones_are_still_accepted(root_ca, stdlib_server):
    """SSLSocket's own attributes are slots, not entries of a per-instance dict (part of why an
    idle connection costs less memory than with CPython's ssl: BENCHMARKS.md), and a program can
    still hang its own attributes on a socket, as on CPython's."""
    with stdlib_server(echo_upper_line) as server:
        with swift_client(server, root_ca) as tls:
            assert "__dict__" not in dir(tls) or not vars(tls)
            assert tls.server_side is False and tls.server_hostname == "localhost"
            assert tls.suppress_ragged_eofs is True and tls.do_handshake_on_connect is True
            tls.request_id = 42
            assert tls.request_id == 42 and vars(tls) == {"request_id": 42}


def test_do_handshake_explicitly(root_ca, stdlib_server):
    with stdlib_server(echo_upper_line) as server:
        with swift_client(server, root_ca, do_handshake_on_connect=False) as tls:
            assert tls.version() is None and tls.cipher() is None
            tls.do_handshake()
            assert tls.version() == "TLSv1.3"
            assert tls.cipher()[1] == "TLSv1.3"


def test_read_write_send_recv(root_ca, stdlib_server):
    def handler(tls):
        received = recv_exactly(tls, 12)
        tls.sendall(b"0123456789" * 3)
        return received

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            assert tls.write(b"abc") == 3
            assert tls.send(b"defghi") == 6
            assert tls.send(memoryview(b"jkl")) == 3
            assert tls.read(5) == b"01234"
            assert tls.recv(5) == b"56789"
            assert recv_exactly(tls, 20) == b"0123456789" * 2
        server.wait()
    assert server.results == [b"abcdefghijkl"]


def test_recv_into(root_ca, stdlib_server):
    def handler(tls):
        tls.sendall(b"A" * 10 + b"B" * 10 + b"C" * 10)
        tls.recv(1)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            buffer = bytearray(10)
            assert tls.recv_into(buffer) == 10
            assert buffer == b"A" * 10
            view = memoryview(bytearray(20))
            assert tls.recv_into(view, 4) == 4
            assert bytes(view[:4]) == b"BBBB"
            filled = 4
            while filled < 20:  # one record, but recv_into may return less than asked
                got = tls.recv_into(view[filled:])
                assert got > 0
                filled += got
            assert bytes(view) == b"B" * 10 + b"C" * 10
            tls.sendall(b".")


def test_recv_into_fills_exactly_what_arrived(root_ca, stdlib_server):
    def handler(tls):
        tls.sendall(b"xyz")
        tls.recv(1)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            buffer = bytearray(b"-" * 8)
            assert tls.recv_into(buffer) == 3
            assert buffer == b"xyz-----"
            tls.sendall(b".")


def test_sendall_one_mebibyte_intact_client_to_server(root_ca, stdlib_server):
    payload = os.urandom(MIB)

    def handler(tls):
        data = recv_exactly(tls, MIB)
        tls.sendall(hashlib.sha256(data).digest())
        return len(data)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            assert tls.sendall(payload) is None
            assert recv_exactly(tls, 32) == hashlib.sha256(payload).digest()
        server.wait()
    assert server.results == [MIB]


def test_receive_one_mebibyte_intact_server_to_client(root_ca, stdlib_server):
    payload = os.urandom(MIB)

    def handler(tls):
        tls.sendall(payload)
        tls.recv(1)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            assert recv_exactly(tls, MIB) == payload
            tls.sendall(b".")


def test_sendall_one_mebibyte_from_swiftssl_server(root_ca, server_cert):
    """The sending side is swiftssl this time, with a socket timeout (non-blocking internally)."""
    payload = os.urandom(MIB)
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert.combined_pem)

    def handler(tls):
        tls.sendall(payload)
        return tls.recv(1)

    with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), handler) as server:
        with stdlib_client(server, root_ca) as tls:
            assert recv_exactly(tls, MIB) == payload
            tls.sendall(b".")
        server.wait()
    assert server.errors == [] and server.results == [b"."]


def test_pending_matches_stdlib(root_ca, stdlib_server):
    def handler(tls):
        tls.sendall(b"p" * 100)  # one record
        tls.recv(1)

    results = []
    with stdlib_server(handler, connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                assert tls.pending() == 0
                first = tls.recv(10)
                results.append((first, tls.pending()))
                tls.sendall(b".")
    assert results[1] == results[0] == (b"p" * 10, 90)


def test_cipher_and_version_equal_stdlib(root_ca, stdlib_server):
    results = []
    with stdlib_server(lambda tls: tls.recv(1), connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                results.append((tls.cipher(), tls.version()))
                tls.sendall(b".")
    assert results[1] == results[0]
    name, protocol, bits = results[1][0]
    assert isinstance(name, str) and protocol == "TLSv1.3" and bits in (128, 256)


@pytest.mark.parametrize("swift_side", ["client", "server"])
def test_unwrap_then_plaintext_on_the_same_socket(swift_side, root_ca, server_cert, stdlib_server_context):
    def server_handler(tls):
        assert tls.recv(6) == b"secret"
        tls.sendall(b"SECRET")
        plain = tls.unwrap()
        assert plain.recv(5) == b"plain"
        plain.sendall(b"PLAIN")
        return type(plain)

    if swift_side == "server":
        context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server_cert.combined_pem)
        connect_client = stdlib_client
    else:
        context = stdlib_server_context
        connect_client = swift_client
    with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), server_handler) as server:
        tls = connect_client(server, root_ca)
        tls.sendall(b"secret")
        assert tls.recv(6) == b"SECRET"
        plain = tls.unwrap()
        if swift_side == "client":
            assert plain is tls  # CPython returns the same SSLSocket, now in plaintext mode
            assert tls.version() is None
            with pytest.raises(ValueError, match="Read on closed or unwrapped SSL socket"):
                tls.read(1)
        plain.sendall(b"plain")
        assert recv_exactly(plain, 5) == b"PLAIN"
        plain.close()
        server.wait()
    assert server.errors == []
    assert server.results[0] in (ssl.SSLSocket, swiftssl.SSLSocket)


def test_unwrap_without_tls_is_value_error(root_ca, stdlib_server):
    with stdlib_server(lambda tls: tls.unwrap()) as server:
        with swift_client(server, root_ca) as tls:
            tls.unwrap()
            with pytest.raises(ValueError, match="No SSL wrapper around"):
                tls.unwrap()


def test_close_then_io_raises_like_stdlib(root_ca, stdlib_server):
    outcomes = []
    with stdlib_server(recv_until_eof, connections=2) as server:
        for client in (stdlib_client, swift_client):
            tls = client(server, root_ca)
            tls.close()
            outcomes.append([outcome(lambda: tls.read(1))["class"],
                             outcome(lambda: tls.write(b"x"))["class"],
                             outcome(lambda: tls.recv(1))["class"],
                             tls.fileno()])
        server.wait()
    assert outcomes[1] == outcomes[0]
    assert outcomes[1][:2] == ["ValueError", "ValueError"]


def test_server_sees_end_of_stream_after_client_close(root_ca, stdlib_server):
    with stdlib_server(recv_until_eof) as server:
        tls = swift_client(server, root_ca)
        tls.sendall(b"last words")
        # End our side with a FIN first: closing a TCP socket whose receive queue still holds
        # unread bytes (the server's TLS 1.3 session tickets) makes the kernel send a reset
        # instead, whatever TLS library is on top.
        tls.shutdown(socket.SHUT_WR)
        server.wait()
        tls.close()
    assert server.errors == []
    assert server.results == [b"last words"]


def test_settimeout_read_times_out_within_the_timeout(root_ca, stdlib_server):
    release = threading.Event()
    with stdlib_server(lambda tls: release.wait(10)) as server:
        with swift_client(server, root_ca) as tls:
            tls.settimeout(0.5)
            assert tls.gettimeout() == 0.5
            with elapsed() as clock:
                with pytest.raises(socket.timeout) as caught:
                    tls.recv(10)
            release.set()
    assert isinstance(caught.value, TimeoutError)
    assert 0.4 <= clock() < 2.0
    assert "read operation timed out" in str(caught.value)


def test_handshake_times_out_against_a_silent_server():
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        raw = socket.create_connection(listener.getsockname(), timeout=0.5)
        peer, _ = listener.accept()  # accepted, but never speaks TLS
        with peer:
            with elapsed() as clock:
                with pytest.raises(TimeoutError) as caught:
                    swiftssl.wrap_socket(raw)
    assert 0.4 <= clock() < 2.0
    assert "handshake operation timed out" in str(caught.value)
    assert raw.fileno() == -1


def test_non_blocking_read_raises_want_read_like_stdlib(root_ca, stdlib_server):
    results = []
    with stdlib_server(lambda tls: tls.recv(1), connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                tls.setblocking(False)
                result = outcome(lambda: tls.recv(10))
                results.append((result["class"], result["errno"]))
                assert isinstance(result["error"], ssl.SSLWantReadError)
                tls.setblocking(True)
                tls.sendall(b".")
    assert results[1] == results[0] == ("SSLWantReadError", ssl.SSL_ERROR_WANT_READ)


@pytest.mark.parametrize("call", ["send", "recv", "recv_into", "sendall"])
def test_flags_are_refused_like_stdlib(call, root_ca, stdlib_server):
    arguments = {"send": (b"x", 1), "sendall": (b"x", 1), "recv": (10, 1),
                 "recv_into": (bytearray(10), 10, 1)}[call]
    results = []
    with stdlib_server(lambda tls: tls.recv(1), connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                result = outcome(lambda: getattr(tls, call)(*arguments))
                results.append((result["class"], result["message"].replace("swiftssl._socket", "ssl")))
                tls.sendall(b".")
    assert results[1] == results[0]
    assert results[0][0] == "ValueError"


def test_makefile_reads_lines(root_ca, stdlib_server):
    def handler(tls):
        tls.sendall(b"first line\nsecond line\n")
        tls.recv(1)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            with tls.makefile("rb") as reader:
                assert reader.readline() == b"first line\n"
                assert reader.readline() == b"second line\n"
            tls.sendall(b".")


def test_accept_on_a_wrapped_listener(root_ca, server_cert):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(io.StringIO(server_cert.combined_pem.decode()))
    listener = context.wrap_socket(socket.create_server(("127.0.0.1", 0)), server_side=True)
    with listener:
        listener.settimeout(10)
        port = listener.getsockname()[1]
        result = {}

        def client():
            client_context = ssl.create_default_context(cadata=root_ca.cert_pem.decode())
            with client_context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                            server_hostname="localhost") as tls:
                tls.sendall(b"via accept\n")
                result["answer"] = tls.recv(100)

        thread = threading.Thread(target=client)
        thread.start()
        connection, address = listener.accept()
        with connection:
            assert isinstance(connection, swiftssl.SSLSocket)
            assert connection.server_side
            echo_upper_line(connection)
        thread.join(10)
    assert result["answer"] == b"VIA ACCEPT\n"


def test_reads_after_one_that_waited_still_time_out_and_still_take_what_is_already_here(connected):
    """A read that had to wait makes the next one wait for the socket before asking OpenSSL
    (TLSConnectionReading.swift): that wait keeps the read's timeout, and bytes already here
    (in the socket, or several records at once) are read without waiting."""
    tls, peer = connected()
    tls.settimeout(5)
    sender = threading.Timer(0.2, lambda: peer.raw.sendall(peer.records(b"first")))
    sender.start()
    assert tls.recv(100) == b"first"  # waited for it
    sender.join()
    tls.settimeout(0.2)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="The read operation timed out"):
        tls.recv(100)
    assert 0.15 < time.monotonic() - started < 2
    peer.raw.sendall(peer.records(b"second") + peer.records(b"third"))
    assert tls.recv(100) == b"secondthird"  # both records, which were already here
    tls.setblocking(False)
    with pytest.raises(swiftssl.SSLWantReadError):
        tls.recv(100)
    peer.raw.sendall(peer.records(b"fourth"))
    tls.settimeout(5)
    assert tls.recv(100) == b"fourth"


def test_recv_into_none_on_a_connection_reads_as_recv_1024_as_in_cpython(root_ca, stdlib_server):
    """ssl.py sizes a None buffer as 1024 and its read() returns bytes; swiftssl raised
    memoryview's TypeError (a README difference until now)."""
    def handler(tls):
        tls.sendall(b"x" * 2000)
        tls.recv(1)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            got = tls.recv_into(None)
            assert isinstance(got, bytes) and 0 < len(got) <= 1024
            tls.sendall(b".")
