"""An SSLSocket (python/swiftssl/_socket.py over Sources/SwiftSSL/SocketTransport.swift, whose
reads take several records per system call) driven through any sequence of operations gives what
the stdlib's gives: the same plaintext on both sides and the same exceptions at the same steps.

The client is a non-blocking SSLSocket over one end of a socketpair; the far end is a stdlib
SSLObject server whose records the test sends through the other end, in pieces, corrupted, or
followed by an EOF, as a step says. Reads are "recv until the next exception or b''", because a
swiftssl read returns every record that has arrived where the stdlib's returns one.
"""

import array
import fcntl
import select
import socket
import termios
import ssl as stdlib_ssl

import pytest
from hypothesis import given, settings, strategies as st

import differential_support
from differential_support import described, example_count
import swiftssl

STEPS = differential_support.steps(endings=[st.just(("server_eof",))])
BUFFER = 4 << 20  # socket buffers: nothing a test sends ever waits for room


class SocketConversation:
    """A client SSLSocket from `client_context` (non-blocking, or with a short timeout) and a
    stdlib server SSLObject behind a socketpair."""

    def __init__(self, client_context, server_context, client_timeout):
        self.client_raw, self.server_raw = socket.socketpair()
        for end in (self.client_raw, self.server_raw):
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)
            end.setblocking(False)
        self.client_raw.settimeout(client_timeout)
        self.client = client_context.wrap_socket(self.client_raw, server_hostname="localhost",
                                                 do_handshake_on_connect=False)
        self.server_in, self.server_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
        self.server = server_context.wrap_bio(self.server_in, self.server_out, server_side=True)
        self.to_client = bytearray()
        self.client_got = bytearray()
        self.server_got = bytearray()
        self.unwrapped = False
        self.eof_sent = False
        self.failed = False  # a client operation raised an SSLError other than want-read/write

    def close(self):
        for end in (self.client, self.client_raw, self.server_raw):
            end.close()

    def note_failure(self, error):
        if isinstance(error, stdlib_ssl.SSLError) and not isinstance(
                error, (stdlib_ssl.SSLWantReadError, stdlib_ssl.SSLWantWriteError)):
            self.failed = True

    def attempt(self, function, client=True):
        try:
            result = function()
            return ("returned", result if isinstance(result, (int, type(None))) else type(result).__name__)
        except (stdlib_ssl.SSLError, ValueError, OSError) as error:
            if client:
                self.note_failure(error)
            return described(error)

    def read_all(self):
        while True:
            # Only what select() or pending() shows, as a program with a timeout would read;
            # except after a fatal error, which leaves unread bytes in the stdlib's socket and
            # none in swiftssl's, and after which both only report the failure again.
            if self.client.gettimeout() != 0 and not self.failed and not self.client.pending() \
                    and not select.select([self.client], [], [], 0)[0]:
                return "nothing to read"
            try:
                chunk = self.client.recv(100_000)
            except TimeoutError:
                # select() saw the start of a record whose rest has not been sent: the stdlib's
                # recv waits for it, while swiftssl's has already taken those bytes with the
                # record before them and its socket is not readable (README, "Differences").
                return "nothing to read"
            except (stdlib_ssl.SSLError, ValueError, OSError) as error:
                self.note_failure(error)
                return described(error)
            if not chunk:
                return "end of stream"
            self.client_got += chunk

    def server_read_all(self):
        while True:
            try:
                chunk = self.server.read(100_000)
            except stdlib_ssl.SSLError as error:
                return described(error)
            if not chunk:
                return "end of stream"
            self.server_got += chunk

    def collect_server_output(self):
        self.to_client += self.server_out.read()

    def step(self, name, argument=None):
        if self.unwrapped and name.startswith("client"):
            return "unwrapped"
        if name == "client_handshake":
            return self.attempt(self.client.do_handshake)
        if name == "client_sends":
            return self.attempt(lambda: self.client.sendall(bytes([7]) * argument))
        if name == "client_read":
            return self.read_all()
        if name == "client_unwrap":
            result = self.attempt(self.client.unwrap)
            self.unwrapped = result[0] == "returned"
            return result
        if name == "to_server":
            # Only what FIONREAD says is there: a recv that fails with EAGAIN would leave that
            # errno behind, and CPython's SSLSocket reports a stale errno as the error of a later
            # handshake that meets an EOF (BlockingIOError), which is not worth copying.
            waiting = array.array("i", [0])
            fcntl.ioctl(self.server_raw, termios.FIONREAD, waiting)
            if waiting[0]:
                self.server_in.write(self.server_raw.recv(waiting[0]))
            handshake = self.attempt(self.server.do_handshake, client=False)
            read = self.server_read_all() if handshake[0] == "returned" else None
            self.collect_server_output()
            return handshake, read
        if name == "server_write":
            result = self.attempt(lambda: self.server.write(bytes([9]) * argument), client=False)
            self.collect_server_output()
            return result
        if name == "server_sends":
            return self.step("server_write", argument), self.step("to_client", 1 << 20), self.step("client_read")
        if name == "server_unwrap":
            result = self.attempt(self.server.unwrap, client=False)
            self.collect_server_output()
            return result
        if name == "to_client":
            piece, self.to_client[:argument] = bytes(self.to_client[:argument]), b""
            if piece and not self.eof_sent:
                self.server_raw.sendall(piece)
            return None
        if name == "corrupt":
            if argument < len(self.to_client):
                self.to_client[argument] ^= 0x5A
            return None
        if name == "server_eof":
            if not self.eof_sent:
                self.server_raw.shutdown(socket.SHUT_WR)
                self.eof_sent = True
            return None
        raise AssertionError(name)

    def run(self, steps, handshake_first):
        try:
            before = differential_support.HANDSHAKE if handshake_first else []
            outcomes = [self.step(*step) for step in before + steps]
            return outcomes, bytes(self.client_got), bytes(self.server_got)
        finally:
            self.close()


@pytest.fixture(scope="module", params=["TLSv1.3", "TLSv1.2"])
def contexts(request, root_ca, tmp_path_factory):
    return differential_support.contexts(root_ca, tmp_path_factory.mktemp("socket-differential"), request.param)


@pytest.fixture(scope="module", params=[0.0, 0.02], ids=["non-blocking", "timeout"])
def timeout(request):
    """Non-blocking, or a timeout short enough that a read or handshake waiting for the rest of
    a record (which neither library can finish) fails fast; writes with a timeout gather records."""
    return request.param


# SSLSOCKET_EXAMPLES=5000 for a longer search.
@settings(max_examples=example_count("SSLSOCKET_EXAMPLES", 60), deadline=None)
@given(steps=STEPS, handshake_first=st.integers(0, 4).map(bool))  # 4 in 5 start connected
def test_any_sequence_of_operations_matches_the_stdlib(contexts, timeout, steps, handshake_first):
    server_context, clients = contexts
    ours = SocketConversation(clients[swiftssl], server_context, timeout).run(steps, handshake_first)
    theirs = SocketConversation(clients[stdlib_ssl], server_context, timeout).run(steps, handshake_first)
    assert ours == theirs
    differential_support.report(*theirs)
