"""One thread reads an SSLSocket while another writes it: the full-duplex pattern of chat, MQTT
and websocket clients (Sources/SwiftSSL/TLSConnection.swift, "operationLock").

OpenSSL forbids two calls on one `SSL` at the same time; CPython's `ssl` makes them anyway (each
releases the GIL), and such a program fails at random there with "[SSL] internal error", an
internal-error alert from the peer, or a hang. swiftssl runs each OpenSSL call under the
connection's lock and waits for the socket outside it, so the reader's wait never holds up the
writer. Each test moves tens of megabytes both ways, checking every byte; before the lock, each
run failed about half the time.
"""

import fcntl
import os
import socket
import ssl as stdlib_ssl
import sys
import termios
import threading
import time
import zlib

import pytest

import swiftssl

TOTAL = 48 << 20
CHUNK = 5000
JOIN_TIMEOUT = 60


def pattern_chunk(index):
    """The `index`th chunk of the byte stream both ends agree on."""
    return (index.to_bytes(4, "big") * (CHUNK // 4 + 1))[:CHUNK]


def expected_checksum():
    checksum = 0
    for index in range(TOTAL // CHUNK):
        checksum = zlib.crc32(pattern_chunk(index), checksum)
    return checksum


class Worker(threading.Thread):
    """A thread whose exception, if any, is kept for the test to raise."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.work = target
        self.error = None
        self.result = None

    def run(self):
        try:
            self.result = self.work()
        except BaseException as error:  # reported by finish()
            self.error = error

    def finish(self):
        self.join(JOIN_TIMEOUT)
        assert not self.is_alive(), "a thread is still running: the connection hung"
        if self.error is not None:
            raise self.error
        return self.result


def send_pattern(tls):
    for index in range(TOTAL // CHUNK):
        tls.sendall(pattern_chunk(index))


def receive_checksum(tls, total=TOTAL // CHUNK * CHUNK):
    buffer = bytearray(1 << 16)
    view = memoryview(buffer)
    received, checksum = 0, 0
    while received < total:
        count = tls.recv_into(buffer)
        if not count:
            break
        checksum = zlib.crc32(view[:count], checksum)
        received += count
    return received, checksum


def echo(tls):
    """Sends back everything `tls` receives until the peer closes."""
    buffer = bytearray(1 << 16)
    view = memoryview(buffer)
    while True:
        count = tls.recv_into(buffer)
        if not count:
            return
        tls.sendall(view[:count])


def start_echo_server(context):
    """A stdlib TLS echo server for one connection: (its listening socket, its Worker)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(JOIN_TIMEOUT)

    def serve():
        connection, _ = listener.accept()
        with context.wrap_socket(connection, server_side=True) as tls:
            echo(tls)

    server = Worker(serve)
    server.start()
    return listener, server


def read_while_writing(tls, checksum):
    """Sends the pattern on `tls` while another thread reads the echo back and checks it; then
    half-closes, so the echoing peer finishes."""
    reader = Worker(lambda: receive_checksum(tls))
    reader.start()
    send_pattern(tls)
    assert reader.finish() == (TOTAL // CHUNK * CHUNK, checksum)
    tls.shutdown(socket.SHUT_WR)


@pytest.fixture(scope="module")
def checksum():
    return expected_checksum()


@pytest.mark.parametrize("version, timeout", [("TLSv1_3", None), ("TLSv1_3", 30.0), ("TLSv1_2", None)])
def test_client_reads_in_one_thread_while_another_writes(version, timeout, checksum, root_ca, stdlib_server_context):
    stdlib_server_context.maximum_version = getattr(stdlib_ssl.TLSVersion, version)
    listener, server = start_echo_server(stdlib_server_context)
    context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    raw = socket.create_connection(listener.getsockname())
    raw.settimeout(timeout)
    with listener, context.wrap_socket(raw, server_hostname="localhost") as tls:
        assert tls.version() == version.replace("_", ".")
        read_while_writing(tls, checksum)
        server.finish()


def test_server_reads_in_one_thread_while_another_writes(checksum, root_ca, server_cert, tmp_path):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_cert.write(tmp_path))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(JOIN_TIMEOUT)

    def client():
        client_context = stdlib_ssl.create_default_context(cadata=root_ca.cert_pem.decode())
        raw = socket.create_connection(listener.getsockname())
        with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
            echo(tls)

    peer = Worker(client)
    peer.start()
    connection, _ = listener.accept()
    with listener, context.wrap_socket(connection, server_side=True) as tls:
        read_while_writing(tls, checksum)
        peer.finish()


def framed_messages(writer, count):
    """`count` messages of `writer`: a header (writer, sequence number, length) and a body of
    sizes from a few bytes to several records."""
    for sequence in range(count):
        length = (sequence * 7919 + writer * 104729) % 70000 + 1
        body = bytes([(writer * 31 + sequence) % 256]) * length
        yield writer.to_bytes(2, "big") + sequence.to_bytes(4, "big") + length.to_bytes(4, "big") + body


def test_sendall_from_several_threads_sends_each_message_whole(root_ca, stdlib_server_context):
    """Four threads sendall() framed messages on one socket while a fifth reads the echo: every
    message comes back whole (sendall calls from threads never interleave), each thread's in
    its order."""
    writers, per_writer = 4, 150
    listener, server = start_echo_server(stdlib_server_context)
    total = sum(len(message) for writer in range(writers) for message in framed_messages(writer, per_writer))
    context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    with listener, context.wrap_socket(socket.create_connection(listener.getsockname()),
                                       server_hostname="localhost") as tls:
        def read_all():
            stream = bytearray()
            while len(stream) < total:
                chunk = tls.recv(1 << 16)
                if not chunk:
                    break
                stream += chunk
            return bytes(stream)

        reader = Worker(read_all)
        reader.start()
        senders = [Worker(lambda writer=writer: [tls.sendall(message) for message in framed_messages(writer, per_writer)])
                   for writer in range(writers)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.finish()
        stream = reader.finish()
        tls.shutdown(socket.SHUT_WR)
        server.finish()
    assert len(stream) == total
    next_sequence = [0] * writers
    position = 0
    while position < len(stream):
        writer = int.from_bytes(stream[position:position + 2], "big")
        sequence = int.from_bytes(stream[position + 2:position + 6], "big")
        length = int.from_bytes(stream[position + 6:position + 10], "big")
        message = stream[position:position + 10 + length]
        assert (writer, sequence) == (writer, next_sequence[writer])
        assert message == list(framed_messages(writer, sequence + 1))[-1]
        next_sequence[writer] += 1
        position += 10 + length
    assert next_sequence == [per_writer] * writers


def test_sendall_waiting_behind_another_threads_sendall_keeps_its_timeout(connected):
    """The peer reads nothing, so the first sendall fills the socket and waits; a second one,
    waiting for the first to finish, still raises its own timeout rather than waiting forever."""
    tls, peer = connected()
    tls.settimeout(JOIN_TIMEOUT)
    first = Worker(lambda: tls.sendall(b"x" * (64 << 20)))
    first.start()
    # The first is waiting once the bytes queued for the peer stop growing.
    queued = [-1, 0]
    while queued[-1] != queued[-2] or queued[-1] == 0:
        time.sleep(0.05)
        queued.append(int.from_bytes(fcntl.ioctl(peer.raw, termios.FIONREAD, bytes(4)), sys.byteorder))
    tls.settimeout(0.5)
    with pytest.raises(TimeoutError, match="The write operation timed out"):
        tls.sendall(b"y" * 100)
    peer.raw.shutdown(socket.SHUT_RDWR)  # ends the first: its peer is gone
    with pytest.raises(OSError):
        first.finish()


def test_detach_while_another_threads_handshake_runs_python_code(root_ca, stdlib_server_context):
    """A handshake in another thread holds the connection's lock while its msg_callback (Python)
    runs; detach() waits for that lock without holding the GIL, which the callback needs back."""
    client_raw, server_raw = socket.socketpair()
    in_callback = threading.Event()

    def callback(*arguments):
        if not in_callback.is_set():
            in_callback.set()
            time.sleep(0.3)  # lets the main thread take the GIL and reach detach()

    context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    context._msg_callback = callback
    tls = context.wrap_socket(client_raw, server_hostname="localhost", do_handshake_on_connect=False)
    handshake = Worker(tls.do_handshake)
    handshake.start()
    assert in_callback.wait(10)
    os.close(tls.detach())
    # The server starts only now: had it answered during the callback, a loaded machine could let
    # the handshake finish before detach() got the lock. Its answer wakes the handshake's wait
    # (closing a descriptor does not wake a poll() on it), whose retry finds no socket.
    server = Worker(lambda: stdlib_server_context.wrap_socket(server_raw, server_side=True))
    server.start()
    with pytest.raises(OSError):
        handshake.finish()  # its socket went away under it; what matters is that it ended
    with pytest.raises(OSError):
        server.finish()
    server_raw.close()


@pytest.mark.parametrize("operation", ["recv", "sendall"])
def test_an_operation_waiting_when_another_thread_detaches_the_socket_raises_ebadf(connected, operation):
    """The wait was on a descriptor that is no longer the connection's (README: after detach(),
    reads and writes raise OSError(EBADF)); a read used to return b"" once the peer's data woke
    it, as if the peer had closed."""
    import errno
    tls, peer = connected()
    if operation == "recv":
        waiting = Worker(lambda: tls.recv(100))
    else:
        waiting = Worker(lambda: tls.sendall(b"z" * (64 << 20)))  # more than the buffers hold
    waiting.start()
    time.sleep(0.3)  # the operation is waiting for the socket
    descriptor = tls.detach()
    if operation == "recv":
        peer.raw.sendall(b"wakes the wait")
    else:
        peer.raw.setblocking(False)
        try:
            while peer.raw.recv(1 << 20):  # room to write wakes the wait
                pass
        except BlockingIOError:
            pass
    with pytest.raises(OSError) as raised:
        waiting.finish()
    assert raised.value.errno == errno.EBADF, raised.value
    os.close(descriptor)


def test_a_context_assigned_from_another_thread_waits_for_the_handshake_call_in_progress(
        root_ca, stdlib_server_context):
    """`sock.context = other` from one thread while another's handshake is inside OpenSSL: the
    switch waits until that call lets go of the connection. It switched at once, freeing the
    context OpenSSL was verifying the server's certificate with (AddressSanitizer:
    heap-use-after-free in X509_verify_cert); here the handshake's msg_callback pauses inside the
    call and looks whether the assignment has finished."""
    client_raw, server_raw = socket.socketpair()
    in_callback, assigned = threading.Event(), threading.Event()
    assigned_during_the_call = []

    def callback(*arguments):
        if not in_callback.is_set():
            in_callback.set()
            assigned.wait(0.5)  # releases the GIL: the assignment may run now, or wait
            assigned_during_the_call.append(assigned.is_set())

    first = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    first._msg_callback = callback
    other = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    tls = first.wrap_socket(client_raw, server_hostname="localhost", do_handshake_on_connect=False)
    server = Worker(lambda: stdlib_server_context.wrap_socket(server_raw, server_side=True))
    server.start()
    handshake = Worker(tls.do_handshake)
    handshake.start()
    assert in_callback.wait(10)
    tls.context = other
    assigned.set()
    handshake.finish()
    server.finish().close()
    assert assigned_during_the_call == [False]
    assert tls.context is other and tls.version() is not None
    tls.close()
