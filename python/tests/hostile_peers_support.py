"""Support for the hostile-peer tests (``test_hostile_peers*.py``): TLS records built by hand, the
wire helpers an attacker uses on a raw socket, real handshake messages made by a stdlib
``SSLObject`` over ``MemoryBIO``s, and the hostile records both sides get after a handshake.

Hostile bytes come from ``random.Random(seed)``, so every run sends the same ones.
"""

import random
import socket
import ssl
import struct

import pytest

import swiftssl
from tls_support import NETWORK_TIMEOUT

# TLS record content types.
CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA = 20, 21, 22, 23
# The largest TLS 1.2 ciphertext record is 2^14 + 2048 bytes; this is well past it.
HUGE_RECORD_LENGTH = 0xFFFF
# The server-side socket timeout for scenarios that end by themselves (they must not need it).
SERVER_TIMEOUT = 10.0
# The socket timeout for the stalling scenarios, which must end with TimeoutError.
STALL_TIMEOUT = 1.0

MODULES = {"swiftssl": swiftssl, "stdlib": ssl}


def record(content_type: int, payload: bytes, version: bytes = b"\x03\x03") -> bytes:
    """One TLS record with a correct header."""
    return struct.pack("!B2sH", content_type, version, len(payload)) + payload


def random_bytes(seed: int, count: int) -> bytes:
    return random.Random(seed).randbytes(count)


def client_hello() -> bytes:
    """A real TLS ClientHello (stdlib ``ssl`` over memory; nothing connects anywhere)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    connection = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        connection.do_handshake()
    return outgoing.read()


def drain_until_closed(raw: socket.socket, timeout: float = NETWORK_TIMEOUT) -> bytes:
    """Reads until the peer closes (or resets); returns what arrived."""
    raw.settimeout(timeout)
    received = b""
    try:
        while True:
            chunk = raw.recv(65536)
            if not chunk:
                break
            received += chunk
    except OSError:  # reset by the peer: closed all the same
        pass
    return received


def send_ignoring_reset(raw: socket.socket, data: bytes) -> None:
    """Sends what the victim lets us send: it may hang up half-way, which is its right."""
    try:
        raw.sendall(data)
        raw.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def reset(raw: socket.socket) -> None:
    """Closes with an RST instead of a FIN."""
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()


def memory_handshake(raw: socket.socket, context: ssl.SSLContext, server_side: bool):
    """Completes a real handshake over ``raw`` with a stdlib SSLObject, which then lets the test
    put arbitrary bytes on the wire after it. Returns the SSLObject."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    connection = context.wrap_bio(incoming, outgoing, server_side=server_side,
                                  server_hostname=None if server_side else "localhost")
    while True:
        try:
            connection.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            data = raw.recv(65536)
            if not data:
                raise ConnectionError("peer closed during the memory handshake")
            incoming.write(data)
    raw.sendall(outgoing.read())  # the last flight (and TLS 1.3 session tickets)
    return connection


AFTER_HANDSHAKE_PAYLOADS = {
    "random_bytes": (random_bytes(11, 300), "SSLError"),
    "huge_application_record": (record(APPLICATION_DATA, b"\x00" * HUGE_RECORD_LENGTH), "SSLError"),
    "forged_application_record": (record(APPLICATION_DATA, random_bytes(12, 64)), "SSLError"),
    # An EOF inside a record: suppress_ragged_eofs (the default) turns it into end of stream.
    "truncated_record": (record(APPLICATION_DATA, random_bytes(13, 64))[:30], "end of stream"),
    "plaintext_alert_storm": (record(ALERT, b"\x01\x5a") * 2000, "SSLError"),
}
