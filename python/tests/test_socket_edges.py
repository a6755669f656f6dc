"""SSLSocket corner cases compared with the stdlib on the same server: a socket wrapped before
it connects, sizes and state before the handshake, writes and handshakes that time out, a peer
that vanishes without close_notify, file descriptors over many connections, empty sends,
OP_ENABLE_KTLS.

Each test runs a real handshake on loopback (or over a socketpair); where the stdlib can answer
the same question it is run as the oracle in the same test.
"""

import hashlib
import os
import socket
import ssl
import threading
import time

import pytest

import swiftssl
from tls_support import LoopbackServer, echo_upper_line, elapsed, outcome, recv_exactly, stdlib_oracle


def described(function):
    """``outcome(function)`` without the exception object (values stay, to be compared)."""
    return {key: value for key, value in outcome(function).items() if key != "error"}


@pytest.fixture
def compare_with_stdlib(stdlib_server):
    """``compare_with_stdlib(handler, client)`` runs ``client(module, server)`` for stdlib (as
    ``tls_support.stdlib_oracle``: module-level wrap_socket is CPython 3.11's, live or replicated),
    then for swiftssl, against one stdlib server; returns both descriptions."""
    def compare(handler, client, connections=2):
        results = []
        with stdlib_server(handler, connections=connections) as server:
            for module in (stdlib_oracle, swiftssl):
                results.append(described(lambda: client(module, server)))
        return results
    return compare


def test_wrap_unconnected_socket_then_connect(pem_files, compare_with_stdlib):
    """The App Engine pattern: wrap a fresh socket, then connect() (and connect_ex())."""
    def client(module, server):
        versions = []
        for use_connect_ex in (False, True):
            tls = module.wrap_socket(socket.socket(), cert_reqs=module.CERT_REQUIRED,
                                     ca_certs=str(pem_files["ca"]))
            with tls:
                assert tls.version() is None
                result = tls.connect_ex(server.address) if use_connect_ex else tls.connect(server.address)
                versions.append((result, tls.version(), len(tls.getpeercert(True))))
                tls.sendall(b".")
        return versions
    expected, actual = compare_with_stdlib(lambda tls: tls.recv(1), client, connections=4)
    assert expected["ok"], expected
    assert actual == expected


def test_read_sizes_and_state_before_the_handshake(compare_with_stdlib):
    def client(module, server):
        tls = module.wrap_socket(server.connect(), do_handshake_on_connect=False)
        with tls:
            before = [described(call) for call in (tls.getpeercert, tls.cipher, tls.version, tls.pending)]
            tls.do_handshake()
            sizes = [described(call) for call in (
                lambda: tls.recv(0), lambda: tls.read(0), lambda: tls.read(-1), lambda: tls.recv(-1))]
            tls.sendall(b".")
        return before, sizes
    expected, actual = compare_with_stdlib(lambda tls: tls.recv(1), client)
    assert expected["ok"], expected
    assert actual == expected
    assert expected["value"][0][0]["message"] == "handshake not done yet"


def test_write_times_out_when_the_peer_does_not_read(compare_with_stdlib):
    release = threading.Event()

    def client(module, server):
        tls = module.wrap_socket(server.connect())
        with tls:
            tls.settimeout(0.5)
            with elapsed() as clock:
                result = described(lambda: tls.sendall(b"x" * 50_000_000))
            release.set()
            assert 0.4 <= clock() < 3.0
            return result

    def handler(tls):
        release.wait(10)
        release.clear()
    expected, actual = compare_with_stdlib(handler, client)
    assert expected["value"]["class"] == "TimeoutError"
    assert actual == expected


def test_unwrap_when_the_peer_vanished_without_close_notify(compare_with_stdlib):
    def client(module, server):
        tls = module.wrap_socket(server.connect())
        with tls:
            tls.recv(1)
            time.sleep(0.2)
            return described(tls.unwrap)
    expected, actual = compare_with_stdlib(lambda tls: tls.sendall(b"a"), client)
    assert expected["value"]["class"] == "SSLEOFError"
    assert actual == expected


def test_do_handshake_on_connect_with_a_non_blocking_socket_is_refused(compare_with_stdlib):
    def client(module, server):
        raw = server.connect()
        raw.setblocking(False)
        try:
            return module.wrap_socket(raw)
        finally:
            raw.close()
    expected, actual = compare_with_stdlib(lambda tls: tls.recv(1), client)
    assert expected["class"] == "ValueError"
    assert actual == expected


def test_many_connections_leave_file_descriptors_flat(root_ca, server_cert):
    """Sixty legacy wrap_socket handshakes, both ends swiftssl: no descriptor is left behind."""
    def open_descriptors():
        return len(os.listdir("/proc/self/fd"))

    wrap = lambda raw: swiftssl.wrap_socket(raw, server_side=True, certfile=server_cert.combined_pem)
    with LoopbackServer(wrap, echo_upper_line, connections=61) as server:
        def one(index):
            with swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED,
                                      ca_certs=root_ca.cert_pem, server_hostname="localhost") as tls:
                tls.sendall(b"n%d\n" % index)
                assert tls.recv(100) == b"N%d\n" % index
        one(0)  # warms the context cache
        time.sleep(0.1)
        before = open_descriptors()
        for index in range(1, 61):
            one(index)
        server.wait()
        after = open_descriptors()
    assert server.errors == []
    assert after <= before


@pytest.mark.parametrize("module", [swiftssl, ssl], ids=["swiftssl", "stdlib"])
def test_empty_sends_before_and_after_the_handshake_do_what_the_stdlibs_do(module, root_ca, stdlib_server_context):
    """``send(b"")`` goes to OpenSSL, so before the handshake it runs it and afterwards returns 0;
    ``sendall(b"")`` makes no write at all, so it leaves an unstarted handshake alone."""
    results = []
    for method in ("sendall", "send"):
        client_raw, server_raw = socket.socketpair()
        with client_raw, server_raw:
            client_raw.settimeout(10)
            server_raw.settimeout(10)
            context = module.create_default_context(cadata=root_ca.cert_pem.decode())
            client = context.wrap_socket(client_raw, server_hostname="localhost", do_handshake_on_connect=False)
            server = threading.Thread(target=lambda: stdlib_server_context.wrap_socket(
                server_raw, server_side=True).close() if method == "send" else None)
            server.start()
            returned = getattr(client, method)(b"")
            results.append((method, returned, client.version()))
            if method == "send":
                results.append(("send again", client.send(b""), client.version()))
            server.join()
            client.close()
    assert results == [("sendall", None, None), ("send", 0, "TLSv1.3"), ("send again", 0, "TLSv1.3")]


@pytest.mark.parametrize("operation", ["sendall", "recv", "do_handshake"])
def test_a_timeout_names_the_operation_as_the_stdlibs_does(operation, root_ca):
    """A write or read that must first finish the handshake, against a peer that never answers:
    CPython names the call that timed out ("write"), not the way it was waiting ("read")."""
    messages = []
    for module in (swiftssl, ssl):
        client_raw, server_raw = socket.socketpair()
        with client_raw, server_raw:
            context = module.create_default_context(cadata=root_ca.cert_pem.decode())
            client = context.wrap_socket(client_raw, server_hostname="localhost", do_handshake_on_connect=False)
            client.settimeout(0.1)
            call = {"sendall": lambda: client.sendall(b"x"), "recv": lambda: client.recv(10),
                    "do_handshake": client.do_handshake}[operation]
            with pytest.raises(TimeoutError) as raised:
                call()
            messages.append(str(raised.value).split(": ")[-1])
            client.close()
    assert messages[0] == messages[1]


def test_op_enable_ktls_is_kept_and_the_connection_works_without_kernel_tls(root_ca, stdlib_server_context,
                                                                            tmp_path):
    """OP_ENABLE_KTLS (3.12's name, offered on every version) is accepted and kept in `options`,
    but swiftssl's socket transport is its own BIO, which OpenSSL never hands keys to; the
    connection, sendfile() included, runs in user space as without the option (README)."""
    payload = os.urandom(600_000)
    data_path = tmp_path / "payload.bin"
    data_path.write_bytes(payload)
    stdlib_server_context.options |= swiftssl.OP_ENABLE_KTLS.value

    def handler(tls):
        received = recv_exactly(tls, len(payload))
        tls.sendall(hashlib.sha256(received).digest())
        return received == payload

    with LoopbackServer(lambda raw: stdlib_server_context.wrap_socket(raw, server_side=True), handler) as server:
        context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
        context.options |= swiftssl.OP_ENABLE_KTLS
        assert context.options & swiftssl.OP_ENABLE_KTLS
        with context.wrap_socket(server.connect(10), server_hostname="localhost") as tls:
            with open(data_path, "rb") as file:
                assert tls.sendfile(file) == len(payload)
            assert recv_exactly(tls, 32) == hashlib.sha256(payload).digest()
        server.done.wait(10)
    assert server.errors == []
    assert server.results == [True]


@pytest.mark.parametrize("module", [swiftssl, ssl], ids=["swiftssl", "ssl"])
def test_plaintext_then_a_reset_before_the_handshake_fails_and_leaves_no_cycle(module, server_cert, pem_files):
    """A client that sends plaintext and resets before the server wraps its socket: the wrap
    fails with CPython's "Closed before TLS handshake with data in recv buffer." (errno
    ENOTCONN), and the exception is freed as soon as it is dropped. swiftssl's kept a cycle
    (exception, traceback, the raising frame's local) that held the socket, the calling frames
    and a server thread until the next collection: dangling threads in regrtest -R."""
    import errno
    import struct
    context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem_files["cert"], pem_files["key"])
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
    with accepted:
        client.sendall(b"DELETE /data HTTP/1.0\r\n\r\n")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # until the reset has arrived
            try:
                accepted.getpeername()
            except OSError:
                break
            time.sleep(0.01)
        with pytest.raises(module.SSLError) as caught:
            context.wrap_socket(accepted, server_side=True)
    error = caught.value
    assert (error.errno, error.strerror) == (errno.ENOTCONN, "Closed before TLS handshake with data in recv buffer.")
    frame = error.__traceback__.tb_next  # after this test's own frame, which holds `error`
    while frame is not None:  # no frame of the traceback keeps the exception in a local
        assert all(value is not error for value in frame.tb_frame.f_locals.values()), frame.tb_frame
        frame = frame.tb_next
