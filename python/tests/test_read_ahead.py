"""Reads that take several records at once (Sources/SwiftSSL/SocketTransport.swift).

``recv_into`` returns everything that has arrived, up to the buffer's size, instead of one record
per call as CPython's ``ssl`` does. What must not change: no complete record is ever left where
``select()`` cannot see it, an EOF or a bad record after good data is reported by the next read
(never instead of the data), and plaintext the peer sends after its close_notify reaches the
socket ``unwrap()`` returns.

The far end is the stdlib over MemoryBIOs on one end of a socketpair (``connected`` in
conftest.py, ``tls_support.RecordPeer``), so each test decides exactly which bytes go out in one
send.
"""

import random
import select
import socket
import ssl as stdlib_ssl
import threading
import time

import pytest

import swiftssl

RECORD = 16384


def receive_watching_select(client, total, buffer_size):
    """Reads `total` bytes from a non-blocking `client` with buffers of `buffer_size()` bytes,
    asserting before every read that what has not been read yet is either pending() in the
    library or makes the socket readable: a select() loop never stalls on data that arrived."""
    received = bytearray()
    while len(received) < total:
        assert client.pending() > 0 or select.select([client], [], [], 5)[0], (
            f"{total - len(received)} bytes arrived but neither pending() nor select() shows them")
        buffer = bytearray(buffer_size())
        try:
            got = client.recv_into(buffer)
        except swiftssl.SSLWantReadError:
            continue
        received += buffer[:got]
    return bytes(received)


def test_one_recv_into_returns_every_record_that_has_arrived(connected):
    client, peer = connected()
    payload = random.Random(1).randbytes(4 * RECORD)
    peer.raw.sendall(peer.records(payload))
    buffer = bytearray(256 * 1024)
    got = client.recv_into(buffer)
    # CPython's ssl returns one record (16384 bytes) here.
    assert got == len(payload)
    assert buffer[:got] == payload


def test_recv_into_takes_no_more_than_the_buffer_holds(connected):
    client, peer = connected()
    payload = random.Random(2).randbytes(4 * RECORD)
    peer.raw.sendall(peer.records(payload))
    received = bytearray()
    buffer = bytearray(20000)
    while len(received) < len(payload):
        got = client.recv_into(buffer)
        assert 0 < got <= len(buffer)
        received += buffer[:got]
    assert received == payload


@pytest.mark.parametrize("seed", range(6))
def test_no_complete_record_is_left_where_select_cannot_see_it(connected, seed):
    """After every read, what has not been read yet is either pending() in the library or
    readable on the socket: a select() loop never stalls on data that already arrived."""
    generator = random.Random(seed)
    client, peer = connected()
    client.setblocking(False)
    sizes = [generator.choice([1, 2, 100, 1500, 5000, RECORD - 1, RECORD]) for _ in range(24)]
    payload = generator.randbytes(sum(sizes))
    wire = b"".join(peer.records(payload[sum(sizes[:i]):sum(sizes[:i + 1])]) for i in range(len(sizes)))
    peer.raw.sendall(wire)
    buffer_sizes = [1, 7, 1000, 5000, 17000, 40000, 70000, 300000]
    assert receive_watching_select(client, len(payload), lambda: generator.choice(buffer_sizes)) == payload


def send_in_pieces(raw, wire, generator):
    """Sends `wire` in pieces of random sizes (a byte to a few records), pausing now and then,
    so that reads find records cut anywhere: in a header, in a body, between records."""
    position = 0
    while position < len(wire):
        size = generator.choice([1, 2, 4, 5, 6, 30, 700, 1500, RECORD, RECORD + 22, 3 * RECORD])
        raw.sendall(wire[position:position + size])
        position += size
        if generator.random() < 0.2:
            time.sleep(0.002)


def tcp_pair():
    """Two ends of a loopback TCP connection (reads take used bytes with MSG_TRUNC there; over a
    socketpair they copy them out)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    return client, server


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pair", [socket.socketpair, tcp_pair], ids=["socketpair", "tcp"])
@pytest.mark.parametrize("blocking", [True, False], ids=["blocking", "select"])
def test_records_arriving_cut_anywhere_are_read_whole_and_then_the_close_notify(connected, seed, pair, blocking):
    """The peek-then-take reads (SocketTransport) with the records arriving in arbitrary pieces,
    so that a read often meets a record only partly in the kernel: every byte arrives, in order,
    a select() loop never stalls, and the close_notify behind the data ends the stream with b""."""
    generator = random.Random(100 + seed)
    client, peer = connected(pair=pair)
    sizes = [generator.choice([1, 3, 100, 1500, 5000, RECORD - 1, RECORD]) for _ in range(20)]
    payload = generator.randbytes(sum(sizes))
    wire = b"".join(peer.records(payload[sum(sizes[:i]):sum(sizes[:i + 1])]) for i in range(len(sizes)))
    sender = threading.Thread(target=send_in_pieces, args=(peer.raw, wire + peer.close_notify(), generator))
    buffer_sizes = [1, 7, 1000, 5000, 17000, 70000]
    sizes_generator = random.Random(seed)
    sender.start()
    try:
        if blocking:
            received = bytearray()
            while True:
                chunk = client.recv(sizes_generator.choice(buffer_sizes))
                if not chunk:
                    break
                received += chunk
        else:
            client.setblocking(False)
            received = bytearray(receive_watching_select(
                client, len(payload), lambda: sizes_generator.choice(buffer_sizes)))
            assert client.pending() > 0 or select.select([client], [], [], 5)[0]
            client.settimeout(5)
            assert client.recv(10) == b""
    finally:
        sender.join(10)
    assert bytes(received) == payload


@pytest.mark.parametrize("record_size, buffer_size", [(100, 1000), (100, 100), (1000, 5000), (5, 4096)])
def test_records_that_fill_the_buffer_exactly_leave_nothing_unseen(connected, record_size, buffer_size):
    """The sharpest case: a read ends exactly at a record boundary with nothing pending(), so
    any record taken from the socket beyond what fitted would be visible to no one."""
    client, peer = connected()
    client.setblocking(False)
    count = 300
    payload = bytes(range(256)) * (record_size * count // 256 + 1)
    payload = payload[:record_size * count]
    peer.raw.sendall(b"".join(peer.records(payload[i:i + record_size])
                              for i in range(0, len(payload), record_size)))
    assert receive_watching_select(client, len(payload), lambda: buffer_size) == payload


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_plaintext_after_close_notify_reaches_the_unwrapped_socket(connected, module):
    client, peer = connected(module)
    payload = b"over TLS " * 1000
    peer.raw.sendall(peer.records(payload) + peer.close_notify() + b"PLAIN AFTER TLS")
    received = bytearray()
    while True:
        data = client.recv(65536)
        if not data:
            break
        received += data
    assert received == payload
    plain = client.unwrap()
    assert plain.recv(100) == b"PLAIN AFTER TLS"


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
@pytest.mark.parametrize("ending", ["close_notify", "corrupt record"])
def test_what_a_read_met_after_its_data_leaves_the_socket_readable(connected, module, ending):
    """The peer sends data and then a close_notify (or a bad record) and keeps the connection
    open, waiting, as unwrap() does. A program that select()s before each read and never asks
    pending() (asyncore and asynchat, pyftpdlib, test_ftplib's server) must still be woken for
    the end: the record stays in the socket until the read that reports it, as with the stdlib."""
    client, peer = connected(module)
    payload = b"before the end " * 100
    records = peer.records(payload)
    after = peer.close_notify() if ending == "close_notify" else bytes([23, 3, 3, 0, 40]) + bytes(40)
    peer.raw.sendall(records + after)
    assert select.select([client], [], [], 5)[0]
    assert client.recv(65536) == payload
    assert client.pending() == 0
    assert select.select([client], [], [], 5)[0], "the end is in no one's sight"
    if ending == "close_notify":
        assert client.recv(65536) == b""
        assert client.pending() == 0
    else:
        with pytest.raises(stdlib_ssl.SSLError, match="DECRYPTION_FAILED_OR_BAD_RECORD_MAC"):
            client.recv(65536)


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_plaintext_after_close_notify_is_readable_on_the_unwrapped_socket(connected, module):
    """A read that took the last data also reached the close_notify and the plaintext behind it
    (a STARTTLS protocol going back to plaintext, FTP's CCC): unwrap() leaves that plaintext in
    the socket, where select() sees it."""
    client, peer = connected(module)
    client.setblocking(False)
    peer.raw.sendall(peer.records(b"last over TLS") + peer.close_notify() + b"PLAIN")
    assert select.select([client], [], [], 5)[0]
    assert client.recv(65536) == b"last over TLS"
    assert select.select([client], [], [], 5)[0]
    assert client.recv(65536) == b""
    plain = client.unwrap()
    assert select.select([plain], [], [], 5)[0], "the plaintext is in no one's sight"
    assert plain.recv(100) == b"PLAIN"


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_unwrap_after_data_and_close_notify_read_together_leaves_only_plaintext(connected, module):
    """unwrap() right after the read that returned the last data, without the read that
    returns b"": the peer's close_notify, already seen, must not reach the plaintext socket."""
    client, peer = connected(module)
    peer.raw.sendall(peer.records(b"last over TLS") + peer.close_notify() + b"PLAIN")
    time.sleep(0.2)  # all three have arrived
    assert client.recv(65536) == b"last over TLS"
    plain = client.unwrap()
    assert plain.recv(100) == b"PLAIN"


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
@pytest.mark.parametrize("suppress_ragged_eofs", [True, False])
def test_an_eof_after_data_is_reported_by_the_next_read(connected, module, suppress_ragged_eofs):
    client, peer = connected(module, suppress_ragged_eofs=suppress_ragged_eofs)
    payload = b"x" * (3 * RECORD)
    peer.raw.sendall(peer.records(payload))
    peer.raw.shutdown(socket.SHUT_WR)  # FIN without close_notify
    received = bytearray()
    buffer = bytearray(1 << 20)
    outcome = None
    while outcome is None:
        try:
            got = client.recv_into(buffer)
        except module.SSLEOFError:
            outcome = "SSLEOFError"
            continue
        if got == 0:
            outcome = "0"
        received += buffer[:got]
    assert received == payload
    assert outcome == ("0" if suppress_ragged_eofs else "SSLEOFError")


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_a_corrupt_record_after_data_fails_the_read_after_the_data(connected, module):
    client, peer = connected(module)
    good = peer.records(b"good " * 100)
    bad = bytearray(peer.records(b"bad " * 100))
    bad[20] ^= 0xFF  # inside the ciphertext: the record's tag no longer matches
    peer.raw.sendall(good + bytes(bad))
    assert client.recv(65536) == b"good " * 100
    with pytest.raises(module.SSLError) as caught:
        client.recv(65536)
    assert type(caught.value).__name__ == "SSLError"
    assert caught.value.reason == "DECRYPTION_FAILED_OR_BAD_RECORD_MAC"


def test_a_read_with_a_timeout_also_takes_every_record_that_arrived(connected):
    client, peer = connected()
    client.settimeout(5)
    payload = bytes(3 * RECORD)
    peer.raw.sendall(peer.records(payload))
    assert client.recv_into(bytearray(1 << 20)) == len(payload)


def test_a_write_after_a_read_that_met_a_bad_record_reports_that_record(connected):
    """swiftssl only (documented in the README): the read that returned the good data already
    decrypted the bad record behind it, so OpenSSL has failed the connection; the next write
    raises the cause rather than OpenSSL's bare "connection closed", and so does the next read.
    (CPython's write would still go out, and its next read would raise the same error.)"""
    client, peer = connected()
    good = peer.records(b"good")
    bad = bytearray(peer.records(b"bad " * 100))
    bad[20] ^= 0xFF
    peer.raw.sendall(good + bytes(bad))
    assert client.recv(65536) == b"good"
    with pytest.raises(swiftssl.SSLError) as on_write:
        client.sendall(b"more")
    assert on_write.value.reason == "DECRYPTION_FAILED_OR_BAD_RECORD_MAC"
    with pytest.raises(swiftssl.SSLError) as on_read:
        client.recv(100)
    assert on_read.value.reason == "DECRYPTION_FAILED_OR_BAD_RECORD_MAC"


def test_a_select_loop_server_answers_the_close_notify_that_came_with_the_last_data(root_ca, server_cert):
    """test_ftplib's data channel, over TCP: a stdlib client sends many small records and then
    unwrap()s, which sends close_notify and waits for the server's. The swiftssl server reads
    once per select() with recv(1024), as asyncore does, and unwraps when recv returns b"". The
    read that returned the last data must not hide the close_notify from select(), or both ends
    wait until the client times out."""
    listener = socket.create_server(("127.0.0.1", 0))
    payload = b"".join(b"line %05d of the file\r\n" % number for number in range(800))
    outcome = {}

    def client():
        context = stdlib_ssl.create_default_context(cadata=root_ca.cert_pem.decode())
        with context.wrap_socket(socket.create_connection(listener.getsockname()),
                                 server_hostname="localhost") as tls:
            for start in range(0, len(payload), 24):
                tls.sendall(payload[start:start + 24])
            tls.settimeout(5)
            try:
                tls.unwrap()
                outcome["client"] = "unwrapped"
            except (OSError, stdlib_ssl.SSLError) as failure:
                outcome["client"] = repr(failure)

    thread = threading.Thread(target=client)
    thread.start()
    raw, _ = listener.accept()
    listener.close()
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert.combined_pem)
    server = context.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False,
                                 do_handshake_on_connect=False)
    server.setblocking(False)
    received = bytearray()
    handshaken = False
    try:
        while True:
            assert select.select([server], [], [], 10)[0], "the server's select() loop stalled"
            try:
                if not handshaken:
                    server.do_handshake()
                    handshaken = True
                    continue
                data = server.recv(1024)
            except swiftssl.SSLWantReadError:
                continue
            if not data:
                break
            received += data
        server.unwrap()
    finally:
        thread.join(15)
        server.close()
    assert received == payload
    assert outcome["client"] == "unwrapped"
