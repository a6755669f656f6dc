"""The states test_connection_arguments_differential.py makes its calls in: the stdlib peer (an
SSLObject over MemoryBIOs, driven from the test's thread), the Scene that builds an SSLSocket or
SSLObject in a given state and closes everything afterwards, and each library's contexts
(Library)."""

import array
import fcntl
import os
import socket
import ssl as stdlib_ssl
import termios
import threading

TIMEOUT = 0.05  # the "timeout" mode's socket timeout
PAYLOAD = b"hello, world"  # what the peer sends after the handshake, in one record
HOSTNAME = "localhost"
MODES = {"blocking": None, "non-blocking": 0.0, "timeout": TIMEOUT}
WANT = (stdlib_ssl.SSLWantReadError, stdlib_ssl.SSLWantWriteError)


# -- the peer and the states -------------------------------------------------------------------
class Peer:
    """The far end: a stdlib SSLObject over MemoryBIOs; `send` and `receive` move its records
    (to and from a socket, or another object's MemoryBIOs)."""

    def __init__(self, context, server_side, send, receive):
        self.incoming, self.outgoing = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=server_side,
                                    server_hostname=None if server_side else HOSTNAME)
        self.send, self.receive = send, receive

    def flush(self):
        data = self.outgoing.read()
        if data:
            self.send(data)

    def step(self):
        """Takes what arrived, moves the handshake on, sends what it made: True when done."""
        data = self.receive()
        if data:
            self.incoming.write(data)
        try:
            self.tls.do_handshake()
            done = True
        except stdlib_ssl.SSLWantReadError:
            done = False
        self.flush()
        return done

    def finish(self, payload, close):
        """After the handshake: sends `payload` in one record, then close_notify if `close`."""
        self.step()
        if payload:
            self.tls.write(payload)
        if close:
            try:
                self.tls.unwrap()
            except stdlib_ssl.SSLWantReadError:
                pass
        self.flush()


def handshake(ours, peer):
    """Drives both handshakes from this thread (ours non-blocking or over memory)."""
    ours_done = peer_done = False
    for _ in range(10):
        if not ours_done:
            try:
                ours.do_handshake()
                ours_done = True
            except WANT:
                pass
        peer_done = peer.step()
        if ours_done and peer_done:
            return
    raise AssertionError("the handshake did not finish")


def socket_receiver(raw):
    """What has arrived on `raw`, without waiting: only what FIONREAD counts, because a recv that
    fails with EAGAIN leaves that errno behind, and the stdlib's SSLSocket may report a stale
    errno as the error of a later call (see KEPT_DIFFERENCES in connection_arguments_tables.py)."""
    def receive():
        waiting = array.array("i", [0])
        fcntl.ioctl(raw, termios.FIONREAD, waiting)
        return raw.recv(waiting[0]) if waiting[0] else b""
    return receive


def read_to_the_end(tls):
    """Reads until b"" or an exception (the peer's close_notify, a bad record)."""
    while True:
        try:
            if not tls.read(100_000):
                return
        except (stdlib_ssl.SSLError, OSError, ValueError):
            return


GARBAGE = b"\x17\x03\x03\x00\x20" + b"\x5a" * 32  # an application-data record no key decrypts


class Scene:
    """Everything one run made, closed afterwards; `target(name)` gives what a call acts on."""

    def __init__(self, library):
        self.library = library
        self.module = library.module
        self.closing = []  # sockets and files, closed in reverse order
        self.fds = []  # descriptors detach() returned
        self.threads = []  # peers answering in a thread, joined last
        self.cut = None  # a duplicate of our socket, which the watchdog shuts down
        self.objects = {}

    def own(self, thing):
        self.closing.append(thing)
        return thing

    def close(self):
        for thing in reversed(self.closing):
            try:
                thing.close()
            except OSError:
                pass
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        for thread in self.threads:
            thread.join(10)
            assert not thread.is_alive(), "the peer thread did not finish"

    # SSLSocket states ----------------------------------------------------------------------
    def sslsocket(self, side, state, mode, version, payload, close, handshake_on_connect):
        library, server_side = self.library, side == "server"
        context = library.server_context if server_side else library.client_context
        hostname = None if server_side else HOSTNAME
        if state in ("unconnected", "listening"):
            raw = self.own(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            if state == "listening":
                raw.bind(("127.0.0.1", 0))
                raw.listen(4)
                # A client that connects and closes at once: accept() then meets an EOF in the
                # handshake (or hands over the socket untouched) instead of waiting.
                knocker = socket.create_connection(raw.getsockname())
                knocker.close()
            raw.settimeout(MODES[mode])
            tls = self.own(context.wrap_socket(
                raw, server_side=server_side, server_hostname=hostname,
                do_handshake_on_connect=handshake_on_connect and mode != "non-blocking"))
            return self.expose(tls)
        ours_raw, peer_raw = socket.socketpair()
        self.own(ours_raw)
        self.own(peer_raw)
        self.peer_raw = peer_raw
        peer = Peer(library.peers[version][not server_side], not server_side, peer_raw.sendall,
                    socket_receiver(peer_raw))
        ours_raw.setblocking(False)
        tls = self.own(context.wrap_socket(ours_raw, server_side=server_side, server_hostname=hostname,
                                           do_handshake_on_connect=False))
        if state == "before_handshake":
            if mode == "blocking":
                # A call may run the handshake: a peer in a thread answers it (and ends when the
                # test closes the socket, if no call did).
                peer_raw.settimeout(10)
                thread = threading.Thread(target=self.answer_in_thread, args=(peer, peer_raw, payload),
                                          daemon=True)
                thread.start()
                self.threads.append(thread)
            tls.settimeout(MODES[mode])
            return self.expose(tls)
        handshake(tls, peer)
        # No close_notify before a bad record: swiftssl's read would take both from the socket,
        # the stdlib's only the first (README, "Differences").
        peer.finish(payload, (close or mode == "blocking" or state == "unwrapped") and state != "failed")
        if state == "unwrapped":
            read_to_the_end(tls)
            tls.unwrap()
            peer_raw.sendall(b"plaintext after TLS")
        elif state == "failed":
            peer_raw.sendall(GARBAGE)
            read_to_the_end(tls)
        elif state == "closed":
            tls.close()
        elif state == "detached":
            self.fds.append(tls.detach())
        if state not in ("closed", "detached"):
            tls.settimeout(MODES[mode])
        return self.expose(tls)

    @staticmethod
    def answer_in_thread(peer, raw, payload):
        """The peer's side of a handshake a call may start: blocking reads until it is done
        (then the payload and close_notify), or until our end is closed."""
        try:
            while True:
                try:
                    peer.tls.do_handshake()
                    break
                except stdlib_ssl.SSLWantReadError:
                    peer.flush()
                    chunk = raw.recv(1 << 16)
                    if not chunk:
                        return
                    peer.incoming.write(chunk)
            peer.finish(payload, True)
        except OSError:
            pass

    # SSLObject states ----------------------------------------------------------------------
    def sslobject(self, side, state, version, payload, close):
        library, module, server_side = self.library, self.module, side == "server"
        context = library.server_context if server_side else library.client_context
        incoming, outgoing = module.MemoryBIO(), module.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_side=server_side,
                               server_hostname=None if server_side else HOSTNAME)
        self.objects.update(incoming=incoming, outgoing=outgoing)
        peer = Peer(library.peers[version][not server_side], not server_side, incoming.write, outgoing.read)
        if state != "before_handshake":
            handshake(tls, peer)
            peer.finish(payload, close or state == "unwrapped")
            if state == "unwrapped":
                read_to_the_end(tls)
                tls.unwrap()
            elif state == "failed":
                incoming.write(GARBAGE)
                read_to_the_end(tls)
        return self.expose(tls)

    def expose(self, tls):
        self.objects["tls"] = tls
        if isinstance(tls, socket.socket) and tls.fileno() >= 0:
            self.cut = self.own(socket.socket(fileno=os.dup(tls.fileno())))
        return tls

    def target(self, name):
        if name == "session":
            return self.objects["tls"].session
        return self.objects[name]


class Library:
    """One library's contexts (and, through `other`, the other library's)."""

    def __init__(self, module, certificate_paths, root_ca, peers, data_path):
        self.module = module
        self.client_context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        self.client_context.load_verify_locations(cadata=root_ca.cert_pem.decode())
        self.server_context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
        self.server_context.load_cert_chain(*certificate_paths)
        self.peers = peers
        self.data_path = data_path
        self.other = None
        # A session of an earlier connection, with its TLS 1.3 ticket.
        scene = Scene(self)
        tls = scene.sslobject("client", "handshaken", "TLSv1.3", PAYLOAD, False)
        tls.read(100)
        self.session = tls.session
