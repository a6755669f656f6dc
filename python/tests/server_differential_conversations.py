"""The conversations test_server_differential.py compares: a server of either library (an
SSLObject over MemoryBIOs in MemoryServer, a non-blocking SSLSocket over a socketpair in
SocketServer) facing a stdlib client SSLObject, the contexts both are made with, and the steps
(ServerConversation.step) that carry bytes between them and record each outcome."""

import array
import fcntl
import socket
import sys
import termios
import ssl as stdlib_ssl

from differential_support import described
from server_differential_known_differences import errors_in
from server_differential_steps import GARBAGE, HANDSHAKE, SERVER_OPERATIONS, SNI_RESULTS, VERSION_CAPS


BUFFER = 4 << 20  # socket buffers: nothing a test sends ever waits for room
EVERYTHING = 1 << 22


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
