"""Reads over MemoryBIOs (``SSLObject``, as asyncio uses it) return every complete record the
incoming BIO holds, up to the size asked for (Sources/SwiftSSL/TLSConnection.swift, ``read``);
CPython's return one record per call. What must not change: a record not complete yet waits for
its rest, and a bad record, an EOF or a close_notify behind good data is reported by the read
after the data, with the stdlib's exception (the tests compare the two).

The far end is a stdlib ``SSLObject`` server; the test moves the bytes between the two.
"""

import random
import ssl as stdlib_ssl

import pytest

import swiftssl
from tls_support import MemoryPair, read_until_it_stops

RECORD = 16384
# swiftssl over its own MemoryBIOs and over the stdlib's (asyncio's), and the stdlib.
VARIANTS = pytest.mark.parametrize("module, foreign_bios", [(swiftssl, False), (swiftssl, True), (stdlib_ssl, False)],
                                   ids=["swiftssl", "swiftssl over stdlib BIOs", "stdlib"])


@pytest.mark.parametrize("use_buffer", [False, True], ids=["bytes", "into buffer"])
@pytest.mark.parametrize("foreign_bios", [False, True], ids=["swiftssl BIOs", "stdlib BIOs"])
def test_one_read_returns_every_complete_record(stdlib_server_context, root_ca, use_buffer, foreign_bios):
    pair = MemoryPair(swiftssl, stdlib_server_context, root_ca, foreign_bios)
    payload = random.Random(1).randbytes(4 * RECORD + 100)
    pair.client_in.write(pair.records(payload))
    data, reads, outcome = read_until_it_stops(pair.client, use_buffer=use_buffer)
    assert (data, reads, outcome) == (payload, 1, "SSLWantReadError")  # CPython needs 5 reads


@pytest.mark.parametrize("use_buffer", [False, True], ids=["bytes", "into buffer"])
def test_a_read_takes_no_more_than_asked(stdlib_server_context, root_ca, use_buffer):
    pair = MemoryPair(swiftssl, stdlib_server_context, root_ca)
    payload = random.Random(2).randbytes(3 * RECORD)
    pair.client_in.write(pair.records(payload))
    data, reads, _ = read_until_it_stops(pair.client, size=20000, use_buffer=use_buffer)
    assert data == payload
    assert reads == 3  # 20000, 20000 and the 9152 left (one record and a part, twice)


@VARIANTS
def test_a_record_not_complete_yet_waits_for_its_rest(stdlib_server_context, root_ca, module, foreign_bios):
    pair = MemoryPair(module, stdlib_server_context, root_ca, foreign_bios)
    first = pair.records(b"a" * 1000) + pair.records(b"b" * 1000)
    third = pair.records(b"c" * 1000)
    pair.client_in.write(first + third[:500])
    data, _, outcome = read_until_it_stops(pair.client)
    assert (data, outcome) == (b"a" * 1000 + b"b" * 1000, "SSLWantReadError")
    pair.client_in.write(third[500:])
    assert pair.client.read(1 << 20) == b"c" * 1000


@VARIANTS
@pytest.mark.parametrize("ending", ["corrupt record", "EOF", "close_notify"])
def test_what_follows_the_data_is_reported_after_it_as_the_stdlib_does(stdlib_server_context, root_ca,
                                                                       module, foreign_bios, ending):
    pair = MemoryPair(module, stdlib_server_context, root_ca, foreign_bios)
    good = random.Random(3).randbytes(2 * RECORD + 7)
    pair.client_in.write(pair.records(good))
    if ending == "corrupt record":
        bad = bytearray(pair.records(b"bad " * 100))
        bad[20] ^= 0xFF
        pair.client_in.write(bytes(bad))
    elif ending == "EOF":
        pair.client_in.write_eof()
    else:
        try:
            pair.server.unwrap()
        except stdlib_ssl.SSLWantReadError:
            pass
        pair.client_in.write(pair.server_out.read())
    data, _, outcome = read_until_it_stops(pair.client)
    assert data == good
    assert outcome == {"corrupt record": "SSLError", "EOF": "SSLEOFError",
                       "close_notify": "end of stream"}[ending]


def test_sslobject_attributes_live_in_slots_and_new_ones_are_still_accepted(stdlib_server_context, root_ca):
    """As SSLSocket's (test_socket.py): no per-instance dict for its own attributes; a program
    can still add attributes and take weak references, as with CPython's SSLObject."""
    import weakref

    client = MemoryPair(swiftssl, stdlib_server_context, root_ca).client
    assert not vars(client)
    assert client.server_side is False and client.server_hostname == "localhost"
    client.tag = "mine"
    assert vars(client) == {"tag": "mine"}
    assert weakref.ref(client)() is client

