"""An SSLObject (python/swiftssl/_socket.py over Sources/SwiftSSL/TLSConnection.swift) driven
through any sequence of operations gives what the stdlib's gives: the same plaintext on both
sides and the same exceptions (class, errno, message) at the same steps.

The far end is a stdlib SSLObject server in both runs; the test moves the bytes between them, in
pieces, corrupted or cut off with an EOF as a step says. swiftssl's client runs over its own
MemoryBIOs and over the stdlib's (StdlibMemoryBIOChannel). Reads are "read until the next
exception", because a swiftssl read returns every complete record at once where the stdlib's
returns one (README, "Differences"): the bytes and the exception that ends them must agree.
"""

import ssl as stdlib_ssl

import pytest
from hypothesis import given, settings, strategies as st

import differential_support
from differential_support import described, example_count
import swiftssl

STEPS = differential_support.steps(
    moves=[st.tuples(st.just("client_write"), st.integers(min_value=0, max_value=40_000))],
    endings=[st.just(("client_incoming_eof",))])


class Conversation:
    """A client SSLObject of `client_context`'s library (over `bio` objects) and a stdlib
    server SSLObject."""

    def __init__(self, bio, client_context, server_context):
        self.client_in, self.client_out = bio(), bio()
        self.client = client_context.wrap_bio(self.client_in, self.client_out, server_hostname="localhost")
        self.server_in, self.server_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
        self.server = server_context.wrap_bio(self.server_in, self.server_out, server_side=True)
        self.to_client = bytearray()  # what the server sent that the client has not been given
        self.client_got = bytearray()
        self.server_got = bytearray()
        self.eof_written = False

    @staticmethod
    def attempt(function):
        try:
            result = function()
            return ("returned", result if isinstance(result, (int, type(None))) else len(result))
        except (stdlib_ssl.SSLError, ValueError) as error:
            return described(error)

    def read_all(self, sslobject, into):
        while True:
            try:
                chunk = sslobject.read(100_000)
            except (stdlib_ssl.SSLError, ValueError) as error:
                return described(error)
            if not chunk:
                return "end of stream"
            into += chunk

    def collect_server_output(self):
        self.to_client += self.server_out.read()

    def step(self, name, argument=None):
        if name == "client_handshake":
            return self.attempt(self.client.do_handshake)
        if name == "client_write":
            return self.attempt(lambda: self.client.write(bytes([7]) * argument))
        if name == "client_read":
            return self.read_all(self.client, self.client_got)
        if name == "client_unwrap":
            return self.attempt(self.client.unwrap)
        if name == "to_server":
            self.server_in.write(self.client_out.read())
            handshake = self.attempt(self.server.do_handshake)
            read = self.read_all(self.server, self.server_got) if handshake[0] == "returned" else None
            self.collect_server_output()
            return handshake, read
        if name == "server_write":
            result = self.attempt(lambda: self.server.write(bytes([9]) * argument))
            self.collect_server_output()
            return result
        if name == "server_unwrap":
            result = self.attempt(self.server.unwrap)
            self.collect_server_output()
            return result
        if name == "client_sends":  # a write, its records to the server, the server reads
            return self.step("client_write", argument), self.step("to_server")
        if name == "server_sends":  # a write, all of its records to the client, the client reads
            return self.step("server_write", argument), self.step("to_client", 1 << 20), self.step("client_read")
        if name == "to_client":
            piece, self.to_client[:argument] = bytes(self.to_client[:argument]), b""
            if not self.eof_written:
                self.client_in.write(piece)
            return len(piece)
        if name == "corrupt":
            if argument < len(self.to_client):
                self.to_client[argument] ^= 0x5A
            return None
        if name == "client_incoming_eof":
            self.eof_written = True
            self.client_in.write_eof()
            return None
        raise AssertionError(name)

    def run(self, steps, handshake_first):
        before = differential_support.HANDSHAKE if handshake_first else []
        outcomes = [self.step(*step) for step in before + steps]
        return outcomes, bytes(self.client_got), bytes(self.server_got)


@pytest.fixture(scope="module", params=["TLSv1.3", "TLSv1.2"])
def contexts(request, root_ca, tmp_path_factory):
    return differential_support.contexts(root_ca, tmp_path_factory.mktemp("differential"), request.param)


@pytest.mark.parametrize("bios", ["swiftssl BIOs", "stdlib BIOs"])
# SSLOBJECT_EXAMPLES=5000 for a longer search.
@settings(max_examples=example_count("SSLOBJECT_EXAMPLES", 150), deadline=None)
@given(steps=STEPS, handshake_first=st.integers(0, 4).map(bool))  # 4 in 5 start connected
def test_any_sequence_of_operations_matches_the_stdlib(contexts, bios, steps, handshake_first):
    server_context, clients = contexts
    bio = swiftssl.MemoryBIO if bios == "swiftssl BIOs" else stdlib_ssl.MemoryBIO
    ours = Conversation(bio, clients[swiftssl], server_context).run(steps, handshake_first)
    theirs = Conversation(stdlib_ssl.MemoryBIO, clients[stdlib_ssl], server_context).run(steps, handshake_first)
    assert ours == theirs
    differential_support.report(*theirs)
