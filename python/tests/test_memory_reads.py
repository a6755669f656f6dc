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

RECORD = 16384
MODULES = pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])


class MemoryPair:
    """A client SSLObject of `module` and a stdlib server SSLObject, handshaken in memory."""

    def __init__(self, module, server_context, root_ca, foreign_bios=False):
        bio = stdlib_ssl.MemoryBIO if foreign_bios else module.MemoryBIO
        self.client_in, self.client_out = bio(), bio()
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=root_ca.cert_pem.decode())
        self.client = context.wrap_bio(self.client_in, self.client_out, server_hostname="localhost")
        self.server_in, self.server_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
        self.server = server_context.wrap_bio(self.server_in, self.server_out, server_side=True)
        unfinished = {self.client, self.server}
        for _ in range(20):
            for end in list(unfinished):
                try:
                    end.do_handshake()
                    unfinished.discard(end)
                except stdlib_ssl.SSLWantReadError:
                    pass
            self.server_in.write(self.client_out.read())
            self.client_in.write(self.server_out.read())
            if not unfinished:
                break
        assert not unfinished, "the handshake did not complete"
        self.client_in.write(self.server_out.read())

    def records(self, data):
        """The server's records carrying `data`, not delivered."""
        self.server.write(data)
        return self.server_out.read()


def read_until_it_stops(client, size=1 << 20, use_buffer=False):
    """Reads until a read raises or returns nothing: (data, reads that returned data, outcome)."""
    data, reads = bytearray(), 0
    while True:
        try:
            if use_buffer:
                buffer = bytearray(size)
                got = client.read(size, buffer)
                chunk = buffer[:got]
            else:
                chunk = client.read(size)
        except stdlib_ssl.SSLError as error:
            return bytes(data), reads, type(error).__name__
        if not chunk:
            return bytes(data), reads, "end of stream"
        data += chunk
        reads += 1


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


@MODULES
def test_a_record_not_complete_yet_waits_for_its_rest(stdlib_server_context, root_ca, module):
    pair = MemoryPair(module, stdlib_server_context, root_ca)
    first = pair.records(b"a" * 1000) + pair.records(b"b" * 1000)
    third = pair.records(b"c" * 1000)
    pair.client_in.write(first + third[:500])
    data, _, outcome = read_until_it_stops(pair.client)
    assert (data, outcome) == (b"a" * 1000 + b"b" * 1000, "SSLWantReadError")
    pair.client_in.write(third[500:])
    assert pair.client.read(1 << 20) == b"c" * 1000


@MODULES
@pytest.mark.parametrize("ending", ["corrupt record", "EOF", "close_notify"])
def test_what_follows_the_data_is_reported_after_it_as_the_stdlib_does(stdlib_server_context, root_ca,
                                                                       module, ending):
    pair = MemoryPair(module, stdlib_server_context, root_ca)
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

