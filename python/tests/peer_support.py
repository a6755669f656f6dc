"""Test support: the peers a test talks to over sockets.

A :class:`LoopbackServer` (a listener whose thread wraps each accepted socket with the TLS library
the test chose), a :class:`RecordPeer` (a stdlib TLS server over MemoryBIOs whose records the test
sends as it likes), ``openssl s_server``/``s_client`` subprocesses (:class:`OpenSSLServer`,
:func:`run_s_client`), and the reading helpers handlers use (``recv_exactly``, ``recv_line``...).

Tests import these names from ``tls_support``, which re-exports them.
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import threading

# How long any single network wait in a helper may take before the test is failed.
NETWORK_TIMEOUT = 15.0


# --------------------------------------------------------------------------------------------
# Loopback servers in a thread
# --------------------------------------------------------------------------------------------

class LoopbackServer:
    """A TCP listener on loopback whose thread wraps each accepted socket and runs a handler.

    ``wrap(raw_socket)`` returns the TLS socket (stdlib ``ssl`` or swiftssl, decided by the test);
    ``handler(tls_socket)`` does the application part and its return value lands in ``results``.
    Exceptions from either land in ``errors`` (the server never raises into the test). Leaving
    the ``with`` block closes the listener and joins the thread.
    """

    def __init__(self, wrap, handler=None, *, connections: int = 1, family=socket.AF_INET,
                 host: str | None = None):
        self.wrap = wrap
        self.handler = handler or (lambda tls: None)
        self.connections = connections
        self.family = family
        self.host = host or ("::1" if family == socket.AF_INET6 else "127.0.0.1")
        self.results: list = []
        self.errors: list = []
        self.done = threading.Event()
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(8)
        self._listener.settimeout(NETWORK_TIMEOUT)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self):
        return (self.host, self.port)

    def _serve(self):
        try:
            for _ in range(self.connections):
                try:
                    raw, _ = self._listener.accept()
                except OSError as error:
                    self.errors.append(error)
                    return
                raw.settimeout(NETWORK_TIMEOUT)
                tls = None
                try:
                    tls = self.wrap(raw)
                    self.results.append(self.handler(tls))
                except BaseException as error:  # recorded for the test to inspect
                    self.errors.append(error)
                finally:
                    (tls or raw).close()
        finally:
            self.done.set()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._listener.close()
        self._thread.join(NETWORK_TIMEOUT)
        assert not self._thread.is_alive(), "loopback server thread did not finish"

    def connect(self, timeout: float | None = NETWORK_TIMEOUT) -> socket.socket:
        """A fresh TCP connection to this server."""
        raw = socket.create_connection(self.address, timeout=NETWORK_TIMEOUT)
        raw.settimeout(timeout)
        return raw

    def wait(self):
        assert self.done.wait(NETWORK_TIMEOUT), "loopback server did not finish its connections"


class RecordPeer:
    """A stdlib TLS server over MemoryBIOs on a raw socket: records are made, then sent as the
    test likes (several at once, cut, corrupted, followed by plaintext)."""

    def __init__(self, raw, context):
        self.raw = raw
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)

    def handshake(self):
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                data = self.raw.recv(65536)
                if not data:
                    raise ConnectionError("client went away during the handshake")
                self.incoming.write(data)
        self.flush()

    def records(self, data):
        """The records carrying `data` (one per 16 KiB), not sent."""
        self.tls.write(data)
        return self.outgoing.read()

    def close_notify(self):
        """The close_notify alert, not sent."""
        try:
            self.tls.unwrap()
        except ssl.SSLWantReadError:
            pass
        return self.outgoing.read()

    def flush(self):
        pending = self.outgoing.read()
        if pending:
            self.raw.sendall(pending)

    def receive(self, count: int) -> bytes:
        """Reads records from the socket until `count` bytes of plaintext arrived (or EOF)."""
        received = bytearray()
        while len(received) < count:
            try:
                received += self.tls.read(count - len(received))
            except ssl.SSLWantReadError:
                data = self.raw.recv(1 << 20)
                if not data:
                    break
                self.incoming.write(data)
        return bytes(received)

    def receive_in_background(self, total: int, skip: int = 0):
        """Starts a thread that reads and drops `skip` raw bytes (filler a test wrote under
        TLS), then decrypts until `total` bytes of plaintext arrived. Returns (the thread, the
        bytearray it fills)."""
        received = bytearray()

        def run():
            remaining = skip
            while remaining:
                remaining -= len(self.raw.recv(remaining))
            received.extend(self.receive(total))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, received


# --------------------------------------------------------------------------------------------
# Reading and answering in handlers
# --------------------------------------------------------------------------------------------

def recv_exactly(tls, count: int) -> bytes:
    chunks, received = [], 0
    while received < count:
        chunk = tls.recv(min(65536, count - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def recv_until_eof(tls) -> bytes:
    chunks = []
    while True:
        chunk = tls.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def recv_line(tls) -> bytes:
    """Reads until a newline or EOF; returns what it read (the newline included)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = tls.recv(1024)
        if not chunk:
            break
        data += chunk
    return data


def echo_upper_line(tls) -> bytes:
    """Handler: reads one line, answers it upper-cased, returns what it read."""
    data = recv_line(tls)
    tls.sendall(data.upper())
    return data


# --------------------------------------------------------------------------------------------
# openssl s_server / s_client
# --------------------------------------------------------------------------------------------

class OpenSSLProcess:
    """``openssl ARGS`` in a subprocess with stdin a pipe (``type_line``).

    Output (stdout and stderr merged) is drained by a thread into ``output`` so the process can
    never block on a full pipe. Leaving the ``with`` block terminates it (then kills it).
    """

    def __init__(self, *arguments: str):
        self.arguments = ["openssl", *arguments]
        self.output = ""
        self._process = None
        self._drainer = None

    def __enter__(self):
        self._process = subprocess.Popen(
            self.arguments, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        return self

    def _drain(self):
        for raw_line in self._process.stdout:
            line = raw_line.decode("utf-8", "replace")
            self.output += line
            self._saw(line)
        self._saw(None)

    def _saw(self, line):
        """Each line of output as it arrives, then None at its end."""

    def type_line(self, line: bytes):
        """Types `line` on the process's stdin: sent to the peer, or a command ("K", "k", "Q")."""
        self._process.stdin.write(line)
        self._process.stdin.flush()

    def messages(self, direction: str, name: str) -> int:
        """How many handshake messages `name` went `direction` (">>>" sent, "<<<" received) in
        the output ``-msg`` makes."""
        return sum(line.startswith(f"{direction} TLS") and line.endswith(f"], {name}")
                   for line in self.output.splitlines())

    def __exit__(self, *exc_info):
        process = self._process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if process.stdin:
            process.stdin.close()
        self._drainer.join(5)
        process.stdout.close()


class OpenSSLServer(OpenSSLProcess):
    """``openssl s_server -accept 127.0.0.1:0 ARGS``, port read from its output."""

    def __init__(self, *arguments: str):
        super().__init__("s_server", "-accept", "127.0.0.1:0", *arguments)
        self.port = None
        self._ready = threading.Event()

    def __enter__(self):
        super().__enter__()
        if not self._ready.wait(NETWORK_TIMEOUT) or self.port is None:
            self.__exit__(None, None, None)
            raise RuntimeError(f"openssl s_server did not start: {self.output!r}")
        return self

    def _saw(self, line):
        match = line is not None and re.match(r"ACCEPT .*:(\d+)\s*$", line)
        if match and self.port is None:
            self.port = int(match.group(1))
        if match or line is None:
            self._ready.set()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=NETWORK_TIMEOUT)


def run_s_client(port: int, *arguments: str, data: bytes = b"", timeout: float = NETWORK_TIMEOUT):
    """Runs ``openssl s_client -connect 127.0.0.1:PORT ARGS`` feeding ``data`` on stdin.

    ``-ign_eof`` keeps it reading until the server closes, so the answer is in the output.
    Returns the CompletedProcess (stdout and stderr merged, text).
    """
    command = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-ign_eof", *arguments]
    return subprocess.run(command, input=data, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)
