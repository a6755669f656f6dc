"""The server side of swiftssl against the stdlib's: a swiftssl server (an SSLObject over
MemoryBIOs, or a non-blocking server SSLSocket over a socketpair) and a stdlib server with the
same settings, each facing a stdlib client SSLObject that the test drives through the same random
steps, give the same outcome at every step: return values, the plaintext each side received, the
bytes each side sent (as lengths: an RSA server key keeps both runs' records the same size), the
exceptions (class, errno, message without its location), what an SNI callback saw and what
reached sys.unraisablehook.

What is drawn: the server's verify_mode and the client's certificate (none, trusted, from an
unknown CA); TLS 1.2/1.3 caps on either side; ALPN lists on both sides; an sni_callback that returns
None, an alert number or something else, raises, or switches `ssl_object.context` to a context
with another certificate; post_handshake_auth on either side; session resumption; and the steps:
handshakes, data both ways (0..40000 bytes), unwraps on either side, verify_client_post_handshake,
bytes moved in pieces, a byte corrupted or an EOF in transit, garbage (an HTTP request, ...)
sent to the server. "server_details" compares version(), cipher()[0:2], selected_alpn_protocol(),
getpeercert() in both forms, server_hostname, session_reused, pending(), shared_ciphers() as a
set, get_channel_binding() (equal to the client's?) and what the client sees of the server.

Reads are "read until the next exception or b''", because a swiftssl read returns every complete
record at once where the stdlib's returns one (README, "Differences"). Deliberate differences are
forgiven only as KNOWN_DIFFERENCES describes them; each forgiven difference shows as a
Hypothesis event (--hypothesis-show-statistics).
SERVER_EXAMPLES=2000 for a longer search (about 50 s per 1000 examples and test).
"""

import array
import dataclasses
import fcntl
import os
import socket
import sys
import termios
import ssl as stdlib_ssl

import pytest
from hypothesis import event, given, settings, strategies as st

import differential_support
from differential_support import described
import swiftssl
from tls_support import CertificateAuthority


# Differences kept on purpose: each entry says where it shows, as a test of (step or "details:
# <probe>", swiftssl's outcome, the stdlib's); the test forgives an outcome only where an entry
# explains it.
KNOWN_DIFFERENCES = {
    # Session tickets after an sni_callback switched contexts vary in length from one handshake
    # to the next in either library (542, 558 or 574 bytes of tickets for the same settings, in
    # CPython's runs as in swiftssl's): a ticket record, or a ClientHello carrying the ticket, is
    # 16 or 32 bytes longer or shorter in one run than in the other. (Without a switch both
    # libraries' tickets are the same length, now that swiftssl uses CPython's session id
    # context.)
    # Byte counts and corruption offsets no longer line up after it, so the example ends there.
    "ticket a block longer or shorter (stops the example)": lambda where, ours, theirs: (
        where.startswith(TRANSFERS) and longer_by_a_ticket_block(ours, theirs)),
    # A server call failing after the server already failed (OpenSSL then has no error of its
    # own to queue): CPython reports whatever error is left in OpenSSL's per-thread queue, here
    # the stdlib client's from its last call in this thread (say TLSV1_ALERT_PROTOCOL_VERSION
    # after the client's unwrap() met the server's alert). swiftssl clears the queue before each
    # call (DESIGN.md) and reports its own EOF error.
    "stale error of another connection after a server error": lambda where, ours, theirs: (
        where.endswith("after a server error") and differs_only_in_errors(ours, theirs)),
    # A server SSLSocket failing to send (EPIPE: the peer's socket was shut down) in a write,
    # or in a read that sends a post-handshake CertificateRequest: 3.13 raises the OSError
    # (BrokenPipeError), 3.11 and 3.12 SSLEOFError, or for recv() a ragged EOF (b""), as
    # swiftssl does on every version.
    "3.13's BrokenPipeError where 3.11 has an EOF": lambda where, ours, theirs: (
        sys.version_info >= (3, 13) and eof_for_broken_pipe(ours, theirs)),
}

# Entries after which the two conversations can no longer be compared step by step.
DIVERGING = {"ticket a block longer or shorter (stops the example)"}

# -- how the entries above recognise a difference --------------------------------------------

def is_error(outcome):
    """A `described` exception: (class name, errno, message)."""
    return isinstance(outcome, tuple) and len(outcome) == 3 and isinstance(outcome[0], str) \
        and isinstance(outcome[2], str) and outcome[0].endswith(("Error", "Exception"))


def longer_by_a_ticket_block(ours, theirs):
    """`ours` is `theirs` but for byte counts up to 32 bytes apart: one or two NewSessionTicket
    messages a cipher block longer or shorter, or a ClientHello carrying such a ticket (OpenSSL
    pads a ClientHello of 256 to 511 bytes to 512, so that one changes by less)."""
    if isinstance(ours, int) and isinstance(theirs, int) and not isinstance(ours, bool):
        return abs(ours - theirs) <= 32
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(ours) == len(theirs) \
            and theirs and not isinstance(theirs[0], str):  # not a return value nor an error
        return all(longer_by_a_ticket_block(mine, its) for mine, its in zip(ours, theirs))
    return ours == theirs


def differs_only_in_errors(ours, theirs):
    """`ours` is `theirs` but for exceptions (want-read aside) where the other raised too."""
    if is_error(ours) and is_error(theirs):
        return "SSLWantReadError" not in (ours[0], theirs[0]) or ours == theirs
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(ours) == len(theirs) \
            and not is_error(ours) and not is_error(theirs):
        return all(differs_only_in_errors(mine, its) for mine, its in zip(ours, theirs))
    return ours == theirs


def errors_in(outcome):
    """The exceptions (as `described`) in a step's outcome."""
    if is_error(outcome):
        yield outcome
    elif isinstance(outcome, (tuple, list)):
        for part in outcome:
            yield from errors_in(part)


def eof_for_broken_pipe(ours, theirs):
    """`ours` is `theirs` but for SSLEOFError, or the end of the stream a suppressed ragged EOF
    gives, where `theirs` has BrokenPipeError."""
    if is_error(theirs) and theirs[0] == "BrokenPipeError":
        return ours in (theirs, ("SSLEOFError", 8, "EOF occurred in violation of protocol"), "end of stream")
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(ours) == len(theirs) \
            and not is_error(theirs):
        return all(eof_for_broken_pipe(mine, its) for mine, its in zip(ours, theirs))
    return ours == theirs


# The steps whose outcomes count bytes in transit.
TRANSFERS = ("to_server", "to_client", "server_turn", "client_turn", "client_sends", "server_sends")



# -- the conversations ----------------------------------------------------------------------------

BUFFER = 4 << 20  # socket buffers: nothing a test sends ever waits for room
EVERYTHING = 1 << 22

GARBAGE = [b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",  # plain HTTP to a TLS port
           b"\x16\x03\x01\xff\xff" + bytes(40),          # a handshake record too long to be one
           b"\x80\x2e\x01\x00\x02" + bytes(46),          # an SSLv2 ClientHello header
           bytes(7)]

# What the server's sni_callback does: None (no callback), or one of these.
SNI_ACTIONS = ["return None", "switch context",  # then the ones that fail the handshake:
               "raise", "return 40", "return 112", "return 0",
               "return 1000", "return 2**70", "return a str"]
SNI_RESULTS = {"return None": None, "return 40": 40, "return 112": 112, "return 0": 0,
               "return 1000": 1000, "return 2**70": 2**70, "return a str": "40"}
VERSION_CAPS = {"any": (None, None), "TLS 1.2 at most": (None, "TLSv1_2"), "TLS 1.3 only": ("TLSv1_3", None)}
ALPN_LISTS = [None, ["h2"], ["http/1.1"], ["h2", "http/1.1"], ["spdy/3"]]
VERIFY_MODES = ["CERT_NONE", "CERT_OPTIONAL", "CERT_REQUIRED"]


@dataclasses.dataclass(frozen=True)
class Setup:
    """The settings of one example, the same for both runs."""
    server_verify: str
    other_verify: str           # the verify_mode of the context the SNI callback may switch to
    client_certificate: str     # "none", "trusted" or "untrusted"
    server_versions: str
    client_versions: str
    server_alpn: list
    client_alpn: list
    sni_action: str
    server_post_handshake_auth: bool
    client_post_handshake_auth: bool
    server_hostname: str
    resume: bool                # the client first connects once and then resumes that session


# Weighted so that most handshakes complete and data flows: one in ten SNI callbacks fails the
# handshake on purpose, one client certificate in five is from an unknown CA.
SETUPS = st.builds(
    Setup,
    server_verify=st.sampled_from(VERIFY_MODES), other_verify=st.sampled_from(VERIFY_MODES),
    client_certificate=st.sampled_from(["none", "none", "trusted", "trusted", "untrusted"]),
    server_versions=st.sampled_from(["any", "any", *VERSION_CAPS]),
    client_versions=st.sampled_from(["any", "any", *VERSION_CAPS]),
    server_alpn=st.sampled_from(ALPN_LISTS), client_alpn=st.sampled_from(ALPN_LISTS),
    sni_action=st.sampled_from([None] * 6 + ["return None", "switch context", "switch context", "fail"])
    .flatmap(lambda action: st.sampled_from(SNI_ACTIONS[2:]) if action == "fail" else st.just(action)),
    server_post_handshake_auth=st.booleans(), client_post_handshake_auth=st.booleans(),
    server_hostname=st.sampled_from(["localhost", "localhost", None]),
    resume=st.integers(0, 3).map(lambda n: n == 0))

SIZE = st.integers(min_value=0, max_value=40_000)
DATA = st.integers(min_value=1, max_value=40_000)  # Hypothesis likes 0, which sends nothing
PIECE = st.integers(min_value=1, max_value=70_000)
MOVES = [
    st.tuples(st.just("client_sends"), DATA),   # write, everything to the server, it reads
    st.tuples(st.just("server_sends"), DATA),   # write, everything to the client, it reads
    st.tuples(st.just("client_write"), SIZE),
    st.tuples(st.just("server_write"), SIZE),
    st.tuples(st.just("to_server"), PIECE),
    st.tuples(st.just("to_client"), PIECE),
    st.just(("server_turn",)),                  # everything to the server, handshake, read
    st.just(("client_turn",)),
    st.just(("server_read",)),
    st.just(("server_handshake",)),
    st.just(("server_details",)),
    st.just(("verify_client_post_handshake",)),
]
ENDINGS = [
    st.just(("client_unwrap",)),
    st.just(("server_unwrap",)),
    st.tuples(st.just("corrupt_to_server"), st.integers(min_value=0, max_value=3_000)),
    st.tuples(st.just("corrupt_to_client"), st.integers(min_value=0, max_value=3_000)),
    st.just(("eof_to_server",)),
    st.just(("eof_to_client",)),
    st.tuples(st.just("garbage"), st.sampled_from(GARBAGE)),
]
# Moves four times as often as endings, and data sent whole both ways twice as often as any
# other move, so that about half the examples carry data before something ends them.
SENDS = MOVES[:2]
STEPS = st.lists(st.one_of(*((MOVES + SENDS) * 4), *ENDINGS), min_size=3, max_size=16)
SOCKET_STEPS = st.lists(st.one_of(*((MOVES + SENDS) * 4), *ENDINGS, st.just(("client_hangs_up",))),
                        min_size=3, max_size=16)
# How a conversation starts: with a complete handshake (and the tickets delivered), with nothing,
# or with garbage where the ClientHello should be.
OPENINGS = st.sampled_from(["handshake"] * 5 + ["nothing", "garbage"])
SERVER_OPERATIONS = {"server_handshake", "server_read", "server_write", "server_unwrap",
                     "verify_client_post_handshake", "server_details"}
# (The last server_turn completes a resumed TLS 1.2 handshake, where the client finishes last.)
HANDSHAKE = [("client_handshake",), ("server_turn",), ("client_turn",), ("server_turn",), ("client_turn",),
             ("server_turn",)]


@pytest.fixture(scope="module")
def credentials(root_ca, tmp_path_factory):
    """Paths of the certificates and keys: RSA keys throughout, so that both runs' records have
    the same lengths (an ECDSA signature's length varies)."""
    directory = tmp_path_factory.mktemp("server-differential")
    unknown_ca = CertificateAuthority("swiftssl unknown root")
    issued = {"server": root_ca.issue("localhost", common_name="localhost", key_type="rsa"),
              "other": root_ca.issue("localhost", common_name="other.localhost", key_type="rsa"),
              "trusted": root_ca.issue("client.example", common_name="client.example", key_type="rsa"),
              "untrusted": unknown_ca.issue("client.example", common_name="client.example", key_type="rsa")}
    paths = {name: certificate.write(directory, name) for name, certificate in issued.items()}
    paths["root"] = root_ca.cert_pem.decode()
    return paths


def apply_common_settings(context, module, caps, alpn):
    minimum, maximum = VERSION_CAPS[caps]
    if minimum:
        context.minimum_version = getattr(module.TLSVersion, minimum)
    if maximum:
        context.maximum_version = getattr(module.TLSVersion, maximum)
    if alpn is not None:
        context.set_alpn_protocols(alpn)


def server_context(module, setup, credentials, certificate, verify_mode):
    context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*credentials[certificate])
    context.load_verify_locations(cadata=credentials["root"])
    context.verify_mode = getattr(module, verify_mode)
    apply_common_settings(context, module, setup.server_versions, setup.server_alpn)
    context.post_handshake_auth = setup.server_post_handshake_auth
    return context


def client_context(setup, credentials):
    context = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=credentials["root"])
    if setup.client_certificate != "none":
        context.load_cert_chain(*credentials[setup.client_certificate])
    apply_common_settings(context, stdlib_ssl, setup.client_versions, setup.client_alpn)
    context.post_handshake_auth = setup.client_post_handshake_auth
    return context


def summary(value):
    """A return value both runs can share: types the libraries both return, else a type name."""
    if value is None or isinstance(value, (bool, int, str, bytes, dict, tuple, list, frozenset)):
        return value
    return type(value).__name__


class ServerConversation:
    """A server of `module` (made by a subclass: over MemoryBIOs or a socket) and a stdlib client
    SSLObject; the test carries the bytes between them."""

    def __init__(self, module, setup, credentials):
        self.module, self.setup, self.credentials = module, setup, credentials
        self.seen = []         # what the SNI callback was given, and unraisable exceptions
        self.context = self.make_server_context()
        self.other_context = server_context(module, setup, credentials, "other", setup.other_verify)
        self.client_context = client_context(setup, credentials)
        self.to_server, self.to_client = bytearray(), bytearray()  # bytes in transit
        self.client_got, self.server_got = bytearray(), bytearray()
        self.server_eof = self.client_eof = False
        self.unwrapped = False
        self.server_failed = False  # a server operation raised an error other than want-read

    def make_server_context(self):
        context = server_context(self.module, self.setup, self.credentials, "server", self.setup.server_verify)
        action = self.setup.sni_action
        if action is None:
            return context

        def sni_callback(ssl_object, server_name, given_context):
            self.seen.append(("sni", type(ssl_object).__name__, server_name, given_context is context))
            if action == "switch context":
                ssl_object.context = self.other_context
                return None
            if action == "raise":
                raise ZeroDivisionError("from the SNI callback")
            return SNI_RESULTS[action]
        context.sni_callback = sni_callback
        return context

    def start(self, session):
        self.client_in, self.client_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
        self.client = self.client_context.wrap_bio(
            self.client_in, self.client_out, server_hostname=self.setup.server_hostname, session=session)
        self.server = self.make_server()

    def first_session(self):
        """A session from a complete handshake between a new client and server of the same
        contexts (None if it does not complete), and what happened."""
        client_in, client_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
        server_in, server_out = self.module.MemoryBIO(), self.module.MemoryBIO()
        client = self.client_context.wrap_bio(client_in, client_out, server_hostname=self.setup.server_hostname)
        server = self.context.wrap_bio(server_in, server_out, server_side=True)
        outcomes = []
        for _ in range(3):
            outcomes.append(self.attempt(client.do_handshake))
            server_in.write(client_out.read())
            outcomes.append(self.attempt(server.do_handshake))
            client_in.write(server_out.read())
        outcomes.append(self.read_all(client.read, bytearray()))
        try:
            return client.session, outcomes
        except ValueError:  # no session to take: the handshake failed
            return None, outcomes

    # -- what a subclass provides: the server and its transport --------------------------------
    def make_server(self):
        raise NotImplementedError

    def deliver(self, piece):
        raise NotImplementedError

    def deliver_eof(self):
        raise NotImplementedError

    def collect(self):
        """The bytes the server has sent since the last call."""
        raise NotImplementedError

    def server_read(self):
        raise NotImplementedError

    def hang_up(self):
        raise NotImplementedError

    def close(self):
        pass

    # -- steps --------------------------------------------------------------------------------
    def attempt(self, function):
        try:
            return ("returned", summary(function()))
        except Exception as error:  # any class: a different one is a difference to report
            return described(error)

    def read_all(self, read, into):
        while True:
            try:
                chunk = read()
            except Exception as error:
                return described(error)
            if not chunk:
                return "end of stream"
            into += chunk

    def after_server(self, outcome):
        self.to_client += self.collect()
        if any(error[0] not in ("SSLWantReadError", "SSLWantWriteError", "SSLZeroReturnError")
               for error in errors_in(outcome)):
            self.server_failed = True
        return outcome

    def details(self):
        server = self.server

        def channel_binding():
            """tls-unique (random: its length, and whether it is the client's), and whether
            the handshake has finished."""
            mine = server.get_channel_binding()
            finished = server.version() is not None
            return finished, mine if mine is None else (len(mine), mine == self.client.get_channel_binding())

        def shared_ciphers():
            ciphers = server.shared_ciphers()
            return ciphers if ciphers is None else frozenset(ciphers)

        def client_view():
            peer = self.client.getpeercert()
            return (self.client.version(), self.client.selected_alpn_protocol(),
                    peer and dict(peer).get("subject"))

        probes = {"version": server.version, "cipher": lambda: (server.cipher() or (None, None))[0:2],
                  "alpn": server.selected_alpn_protocol, "peer": server.getpeercert,
                  "peer DER": lambda: server.getpeercert(True),
                  "server_hostname": lambda: server.server_hostname,
                  "session_reused": lambda: server.session_reused, "pending": server.pending,
                  "shared_ciphers": shared_ciphers, "channel binding": channel_binding,
                  "compression": server.compression, "server_side": lambda: server.server_side,
                  "switched context": lambda: server.context is self.other_context,
                  "client sees": client_view}
        return {name: self.attempt(probe) for name, probe in probes.items()}

    def step(self, name, argument=None):
        if self.unwrapped and name in SERVER_OPERATIONS:
            return "unwrapped"  # a server SSLSocket after unwrap() is a plain socket
        if name == "client_handshake":
            return self.attempt(self.client.do_handshake)
        if name == "client_write":
            return self.attempt(lambda: self.client.write(bytes([7]) * argument))
        if name == "client_read":
            return self.read_all(lambda: self.client.read(100_000), self.client_got)
        if name == "client_unwrap":
            return self.attempt(self.client.unwrap)
        if name == "to_server":
            self.to_server += self.client_out.read()
            piece, self.to_server[:argument] = bytes(self.to_server[:argument]), b""
            if piece and not self.server_eof:
                self.deliver(piece)
            return len(piece)
        if name == "to_client":
            piece, self.to_client[:argument] = bytes(self.to_client[:argument]), b""
            if piece and not self.client_eof:
                self.client_in.write(piece)
            return len(piece)
        if name == "server_handshake":
            return self.after_server(self.attempt(self.server.do_handshake))
        if name == "server_read":
            return self.after_server(self.read_all(self.server_read, self.server_got))
        if name == "server_write":
            return self.after_server(self.attempt(lambda: self.server.write(bytes([9]) * argument)))
        if name == "server_unwrap":
            outcome = self.after_server(self.attempt(self.server.unwrap))
            self.unwrapped = isinstance(self.server, socket.socket) and outcome[0] == "returned"
            return outcome
        if name == "verify_client_post_handshake":
            return self.after_server(self.attempt(self.server.verify_client_post_handshake))
        if name == "server_details":
            return self.after_server(self.details())
        if name == "server_turn":
            moved = self.step("to_server", EVERYTHING)
            handshake = self.step("server_handshake")
            return moved, handshake, self.step("server_read") if handshake[0] == "returned" else None
        if name == "client_turn":
            return self.step("to_client", EVERYTHING), self.step("client_handshake"), self.step("client_read")
        if name == "client_sends":
            return self.step("client_write", argument), self.step("server_turn")
        if name == "server_sends":
            return self.step("server_write", argument), self.step("client_turn")
        if name.startswith("corrupt"):
            in_transit = self.to_server if name == "corrupt_to_server" else self.to_client
            if name == "corrupt_to_server":
                in_transit += self.client_out.read()
            if argument < len(in_transit):
                in_transit[argument] ^= 0x5A
            return None
        if name == "garbage":
            self.to_server += self.client_out.read() + argument
            return None
        if name == "eof_to_server":
            if not self.server_eof:
                self.server_eof = True
                self.deliver_eof()
            return None
        if name == "eof_to_client":
            if not self.client_eof:
                self.client_eof = True
                self.client_in.write_eof()
            return None
        if name == "client_hangs_up":
            return self.hang_up()
        raise AssertionError(name)

    def run(self, steps, opening):
        hook = sys.unraisablehook
        sys.unraisablehook = lambda report: self.seen.append(
            ("unraisable", report.exc_type.__name__, str(report.exc_value), report.err_msg,
             type(report.object).__name__))
        try:
            outcomes = []
            session = None
            if self.setup.resume:
                session, prelude = self.first_session()
                outcomes.append(("first connection", prelude, self.seen[:]))
                self.seen.clear()
            self.start(session)
            before = {"handshake": HANDSHAKE, "nothing": [], "garbage": [("garbage", GARBAGE[0])]}[opening]
            for step in before + steps:
                failed_before = self.server_failed
                outcome = self.step(*step)
                where = step[0] + (" after a server error" if failed_before else "")
                outcomes.append((where, outcome, self.seen[:]))
                self.seen.clear()
            outcomes.append(("at the end", self.step("server_details"), self.seen[:]))
            return outcomes, bytes(self.client_got), bytes(self.server_got)
        finally:
            sys.unraisablehook = hook
            self.close()


class MemoryServer(ServerConversation):
    """The server is an SSLObject over MemoryBIOs of its own library."""

    def make_server(self):
        self.server_in, self.server_out = self.module.MemoryBIO(), self.module.MemoryBIO()
        return self.context.wrap_bio(self.server_in, self.server_out, server_side=True)

    def deliver(self, piece):
        self.server_in.write(piece)

    def deliver_eof(self):
        self.server_in.write_eof()

    def collect(self):
        return self.server_out.read()

    def server_read(self):
        return self.server.read(100_000)


class SocketServer(ServerConversation):
    """The server is a non-blocking server-side SSLSocket over one end of a socketpair; the
    test reads and writes the other end for the client."""

    def make_server(self):
        self.client_raw, server_raw = socket.socketpair()
        for end in (self.client_raw, server_raw):
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)
            end.setblocking(False)
        self.hung_up = False
        return self.context.wrap_socket(server_raw, server_side=True, do_handshake_on_connect=False)

    def deliver(self, piece):
        if not self.hung_up:
            self.client_raw.sendall(piece)

    def deliver_eof(self):
        if not self.hung_up:
            self.client_raw.shutdown(socket.SHUT_WR)

    def hang_up(self):
        """The client's socket stops reading and writing: the server's writes fail."""
        if not self.hung_up:
            self.hung_up = self.server_eof = True
            self.client_raw.shutdown(socket.SHUT_RDWR)
        return None

    def collect(self):
        # Only what FIONREAD says is there (a recv failing with EAGAIN would do as well, but
        # this keeps the test's own errors out of errno).
        waiting = array.array("i", [0])
        fcntl.ioctl(self.client_raw, termios.FIONREAD, waiting)
        if self.hung_up or not waiting[0]:
            return b""
        return self.client_raw.recv(waiting[0])

    def server_read(self):
        return self.server.recv(100_000)

    def close(self):
        if hasattr(self, "server"):
            self.server.close()
            self.client_raw.close()


def known_difference(where, ours, theirs):
    """The KNOWN_DIFFERENCES entry that explains why `ours` differs from `theirs` at `where`, or
    None."""
    return next((label for label, shows in KNOWN_DIFFERENCES.items()
                 if shows(where, ours, theirs)), None)


def differences(where, ours, theirs):
    """The labels of the entries that explain `ours` != `theirs` (one step's outcomes); fails the test
    where none does. Connection details are compared probe by probe, so that an entry forgives
    only the probe it explains."""
    if ours == theirs:
        return set()
    if isinstance(ours, dict) and isinstance(theirs, dict) and ours.keys() == theirs.keys():
        return set().union(*(differences(f"details: {probe}", ours[probe], theirs[probe]) for probe in theirs))
    label = known_difference(where, ours, theirs)
    assert label, f"at {where}:\nswiftssl: {ours!r}\nstdlib:   {theirs!r}"
    event(f"known difference: {label}")
    return {label}


def compare(conversation_class, credentials, setup, steps, opening):
    ours = conversation_class(swiftssl, setup, credentials).run(steps, opening)
    theirs = conversation_class(stdlib_ssl, setup, credentials).run(steps, opening)
    for (where, our_outcome, our_callbacks), (their_where, their_outcome, their_callbacks) \
            in zip(ours[0], theirs[0]):
        assert where == their_where, f"only one server failed before {their_where}"
        differences(f"{where}, callbacks", our_callbacks, their_callbacks)
        if differences(where, our_outcome, their_outcome) & DIVERGING:
            return
    assert ours[1:] == theirs[1:], "the plaintext received differs"
    differential_support.report(*theirs)
    at_the_end = theirs[0][-1][1]
    event(f"server connected at the end: {isinstance(at_the_end, dict) and at_the_end['version'][1]}")


EXAMPLES = int(os.environ.get("SERVER_EXAMPLES", 100))


@settings(max_examples=EXAMPLES, deadline=None)
@given(setup=SETUPS, steps=STEPS, opening=OPENINGS)
def test_memory_server_matches_the_stdlib(credentials, setup, steps, opening):
    compare(MemoryServer, credentials, setup, steps, opening)


@settings(max_examples=EXAMPLES, deadline=None)
@given(setup=SETUPS, steps=SOCKET_STEPS, opening=OPENINGS)
def test_socket_server_matches_the_stdlib(credentials, setup, steps, opening):
    compare(SocketServer, credentials, setup, steps, opening)
