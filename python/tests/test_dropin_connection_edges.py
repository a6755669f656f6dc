"""Connection objects at their edges, answered as CPython's `ssl` answers (or more safely, where
it says so): a detached socket, a second unwrap() after a failed one, tls-unique mid-handshake
and after a fatal error, post-handshake auth errors, arguments of the wrong type. Each case was
found by the differential tests (test_connection_arguments_differential.py,
test_server_differential.py) and is pinned here with a fixed input.
"""

import copy
import os
import socket
import ssl as stdlib_ssl
import sys
import threading

import pytest

import swiftssl

LIBRARIES = pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])


def server_context(module, server_cert, tmp_path, **settings):
    context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_cert.write(tmp_path, "server"))
    for name, value in settings.items():
        setattr(context, name, value)
    return context


def client_context(root_ca, **settings):
    context = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=root_ca.cert_pem.decode())
    for name, value in settings.items():
        setattr(context, name, value)
    return context


class MemoryPair:
    """A stdlib client SSLObject and a server SSLObject of `module`, moved by hand."""

    def __init__(self, module, server, client, session=None):
        self.client_in, self.client_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
        self.server_in, self.server_out = module.MemoryBIO(), module.MemoryBIO()
        self.client = client.wrap_bio(self.client_in, self.client_out, server_hostname="localhost", session=session)
        self.server = server.wrap_bio(self.server_in, self.server_out, server_side=True)

    def step(self, tls):
        try:
            tls.do_handshake()
        except (stdlib_ssl.SSLWantReadError, swiftssl.SSLWantReadError):
            pass
        self.server_in.write(self.client_out.read())
        self.client_in.write(self.server_out.read())

    def handshake(self):
        for _ in range(3):
            self.step(self.client)
            self.step(self.server)


def connected_pair(module, root_ca, server_cert, tmp_path):
    """A client SSLSocket of `module` over a socketpair, handshaken with a stdlib server."""
    client_raw, server_raw = socket.socketpair()
    server = server_context(stdlib_ssl, server_cert, tmp_path)
    thread = threading.Thread(target=lambda: server.wrap_socket(server_raw, server_side=True).recv(100))
    thread.start()
    context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=root_ca.cert_pem.decode())
    tls = context.wrap_socket(client_raw, server_hostname="localhost")
    return tls, server_raw, thread


def test_a_detached_socket_never_carries_tls_again(root_ca, server_cert, tmp_path):
    """After detach() the descriptor is the caller's and may soon name another socket: swiftssl
    refuses TLS on it, where CPython's write() sends a record into whatever the number names."""
    tls, server_raw, thread = connected_pair(swiftssl, root_ca, server_cert, tmp_path)
    descriptor = tls.detach()
    reused, unrelated = socket.socketpair()
    os.dup2(reused.fileno(), descriptor)  # the detached number now names an unrelated socket
    try:
        with pytest.raises(OSError) as failure:
            tls.write(b"secret")
        assert failure.value.errno == 9
        for call in (lambda: tls.recv(10), tls.do_handshake):
            with pytest.raises(OSError, match="Bad file descriptor"):
                call()
        with pytest.raises(swiftssl.SSLError, match="Underlying socket connection gone") as failure:
            tls.unwrap()
        assert failure.value.errno == 0
        unrelated.setblocking(False)
        with pytest.raises(BlockingIOError):
            unrelated.recv(100)  # nothing reached the socket that took the number
    finally:
        os.close(descriptor)
        reused.close()
        unrelated.close()
        server_raw.close()
        thread.join(10)


@LIBRARIES
def test_unwrap_after_a_failed_unwrap_fails_again(module, root_ca, server_cert, tmp_path):
    """The peer's socket is shut down, so close_notify cannot go out: the second unwrap() fails
    too (swiftssl's returned as if it had gone out)."""
    client_raw, server_raw = socket.socketpair()
    server_raw.setblocking(False)
    tls = server_context(module, server_cert, tmp_path).wrap_socket(
        server_raw, server_side=True, do_handshake_on_connect=False)
    client_in, client_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
    client = client_context(root_ca).wrap_bio(client_in, client_out, server_hostname="localhost")
    for _ in range(3):
        for tls_object in (client, tls):
            try:
                tls_object.do_handshake()
            except (stdlib_ssl.SSLWantReadError, swiftssl.SSLWantReadError):
                pass
            client_raw.sendall(client_out.read())
        client_raw.setblocking(False)
        try:
            client_in.write(client_raw.recv(1 << 20))
        except BlockingIOError:
            pass
    assert tls.version() == "TLSv1.3"
    client_raw.shutdown(socket.SHUT_RDWR)
    for _ in range(2):
        with pytest.raises(BrokenPipeError):
            tls.unwrap()
    tls.close()
    client_raw.close()


def tls_unique_mid_resumed_handshake(module, root_ca, server_cert, tmp_path):
    """tls-unique of a server whose resumed TLS 1.2 handshake has sent its Finished and waits for
    the client's: the server's Finished, which OpenSSL holds."""
    server = server_context(module, server_cert, tmp_path, maximum_version=module.TLSVersion.TLSv1_2)
    client = client_context(root_ca)
    first = MemoryPair(module, server, client)
    first.handshake()
    second = MemoryPair(module, server, client, session=first.client.session)
    second.step(second.client)
    second.step(second.server)
    assert second.server.session_reused
    return second.server.get_channel_binding("tls-unique")


def test_tls_unique_mid_handshake_is_what_openssl_holds(root_ca, server_cert, tmp_path):
    ours = tls_unique_mid_resumed_handshake(swiftssl, root_ca, server_cert, tmp_path)
    theirs = tls_unique_mid_resumed_handshake(stdlib_ssl, root_ca, server_cert, tmp_path)
    assert ours is not None and len(ours) == len(theirs) == 12  # TLS 1.2's verify_data


@LIBRARIES
def test_tls_unique_after_a_fatal_error_is_still_the_handshakes(module, root_ca, server_cert, tmp_path):
    pair = MemoryPair(module, server_context(module, server_cert, tmp_path), client_context(root_ca))
    pair.handshake()
    before = pair.server.get_channel_binding("tls-unique")
    pair.server_in.write(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises(module.SSLError, match="WRONG_VERSION_NUMBER"):
        pair.server.read(100)
    assert pair.server.get_channel_binding("tls-unique") == before is not None


@LIBRARIES
def test_post_handshake_auth_errors_carry_openssls_reason(module, root_ca, server_cert, tmp_path):
    """errno of verify_client_post_handshake()'s SSLError is OpenSSL's reason, as CPython's."""
    pair = MemoryPair(module, server_context(module, server_cert, tmp_path), client_context(root_ca))
    pair.handshake()
    with pytest.raises(module.SSLError, match="EXTENSION_NOT_RECEIVED") as failure:
        pair.server.verify_client_post_handshake()  # the client offered no post-handshake auth
    assert failure.value.errno == 279


@LIBRARIES
def test_connection_arguments_are_parsed_as_cpythons(module, root_ca, server_cert, tmp_path):
    class Size:
        def __index__(self):
            return 5

    pair = MemoryPair(module, server_context(module, server_cert, tmp_path), client_context(root_ca))
    pair.handshake()
    pair.client.write(b"hello, world")
    pair.server_in.write(pair.client_out.read())
    assert pair.server.read(Size()) == b"hello"  # anything with __index__ is a size
    with pytest.raises(TypeError, match=r"^read\(\) argument 2 must be read-write bytes-like object, not memoryview$"):
        pair.server.read(4, memoryview(bytearray(16))[::2])
    with pytest.raises(TypeError, match=r"^read\(\) argument 2 must be read-write bytes-like object, not bytes$"):
        pair.server.read(4, b"read-only")
    with pytest.raises(TypeError, match=r"^get_channel_binding\(\) argument 'cb_type' must be str, not None$"):
        pair.server.get_channel_binding(None)
    with pytest.raises(UnicodeEncodeError):
        pair.server.get_channel_binding("\udcff")
    with pytest.raises(TypeError, match=r"^The value must be a SSLContext$"):
        pair.server.context = object()
    with pytest.raises(TypeError, match=r"^cannot pickle '(_ssl\.)?SSLSession' object$"):
        copy.copy(pair.server.session)
    with pytest.raises(TypeError, match=r"^MemoryBIO\(\) takes no keyword arguments$"):
        module.MemoryBIO(n=1)
    with pytest.raises(TypeError, match=r"^MemoryBIO\(\) takes no positional arguments$"):
        module.MemoryBIO(1)


@LIBRARIES
def test_connect_takes_addr_by_keyword(module):
    listener = socket.create_server(("127.0.0.1", 0))
    tls = module.create_default_context().wrap_socket(socket.socket(), server_hostname="localhost",
                                                      do_handshake_on_connect=False)
    with listener, tls:
        assert tls.connect_ex(addr=listener.getsockname()) == 0


@LIBRARIES
def test_an_sni_result_that_is_no_alert_is_reported_with_the_result(module, root_ca, server_cert, tmp_path,
                                                                    monkeypatch):
    reports = []
    monkeypatch.setattr(sys, "unraisablehook", reports.append)
    server = server_context(module, server_cert, tmp_path)
    server.sni_callback = lambda tls, name, context: "40"
    pair = MemoryPair(module, server, client_context(root_ca))
    with pytest.raises(module.SSLError):
        pair.handshake()
        pair.server.do_handshake()
    assert [(type(report.exc_value), report.object) for report in reports] == [(TypeError, "40")]


def _refusal(call):
    try:
        call()
    except Exception as error:  # the description is what is compared
        return (type(error).__name__, error.args[0], error.args[1].split(" (")[0],
                getattr(error, "library", "-"), getattr(error, "reason", "-"))
    return "returned"


@pytest.mark.parametrize("protocol, server_side", [("PROTOCOL_TLS_SERVER", False), ("PROTOCOL_TLS_CLIENT", True),
                                                   ("PROTOCOL_TLS_SERVER", 0), ("PROTOCOL_TLS_CLIENT", 1)])
@pytest.mark.parametrize("shape", ["wrap_socket", "wrap_bio"])
def test_a_side_the_contexts_protocol_cannot_take_is_refused_as_in_cpython(protocol, server_side, shape):
    """A client connection of a PROTOCOL_TLS_SERVER context (or the reverse) is an SSLError at
    once, errno 0 and no library, as _ssl.c refuses it; swiftssl made the connection, which
    could only fail later in its handshake."""
    def attempt(module):
        context = module.SSLContext(getattr(module, protocol))
        context.check_hostname = False
        if shape == "wrap_bio":
            return _refusal(lambda: context.wrap_bio(module.MemoryBIO(), module.MemoryBIO(), server_side=server_side))
        left, right = socket.socketpair()
        with left, right:
            return _refusal(lambda: context.wrap_socket(left, server_side=server_side))
    ours, theirs = attempt(swiftssl), attempt(stdlib_ssl)
    assert ours == theirs and ours[0] == "SSLError", (ours, theirs)


@pytest.mark.parametrize("server_side", [None, 1.5, "1"], ids=["None", "float", "str"])
@pytest.mark.parametrize("shape", ["wrap_socket", "wrap_bio"])
def test_server_side_is_taken_as_this_pythons_cpython_takes_it(server_side, shape):
    """3.11: a C int, TypeError for what is not an int (swiftssl took any value's truth);
    3.12 and later: any value's truth (a server context's wrap with None is refused)."""
    def attempt(module):
        context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
        try:
            if shape == "wrap_bio":
                context.wrap_bio(module.MemoryBIO(), module.MemoryBIO(), server_side=server_side)
            else:
                left, right = socket.socketpair()
                with left, right:
                    context.wrap_socket(left, server_side=server_side, do_handshake_on_connect=False)
        except Exception as error:  # the description is what is compared
            return type(error).__name__, str(error).split(" (")[0]
        return "returned"
    assert attempt(swiftssl) == attempt(stdlib_ssl)


@pytest.mark.parametrize("server_side, hostname", [(1, None), (True, None), (0, "bücher.example"),
                                                   (False, b"example.com"), (0, "EXAMPLE.com.")])
@pytest.mark.parametrize("shape", ["wrap_socket", "wrap_bio"])
def test_server_side_and_server_hostname_read_back_as_in_cpython(server_side, hostname, shape):
    """An SSLObject answers server_side as a bool and server_hostname IDNA-encoded, from the
    connection, as CPython's does (swiftssl's gave back the int it was passed); an SSLSocket
    keeps the value it was passed, in both libraries."""
    def attempt(module):
        context = module.SSLContext(module.PROTOCOL_TLS_SERVER if server_side else module.PROTOCOL_TLS_CLIENT)
        arguments = {"server_side": server_side, "server_hostname": hostname}
        if shape == "wrap_bio":
            tls = context.wrap_bio(module.MemoryBIO(), module.MemoryBIO(), **arguments)
            return repr(tls.server_side), repr(tls.server_hostname)
        left, right = socket.socketpair()
        with left, right, context.wrap_socket(left, do_handshake_on_connect=False, **arguments) as tls:
            return repr(tls.server_side), repr(tls.server_hostname)
    assert attempt(swiftssl) == attempt(stdlib_ssl)


HOSTNAME_VALUES = [None, "localhost", b"localhost", "bücher.example", "a\x00b", "\udcff", 1, ""]


@pytest.mark.parametrize("hostname", HOSTNAME_VALUES, ids=repr)
@pytest.mark.parametrize("shape", ["assigned before connect()", "_wrap_bio", "_wrap_socket"])
def test_a_hostname_reaching_the_connection_is_parsed_as_cpythons_wrap_calls_parse_it(hostname, shape):
    """What reaches `_wrap_socket`/`_wrap_bio` unencoded (an SSLSocket's `server_hostname`
    assigned before connect(), or those private calls used directly) is an ASCII str or None,
    with CPython's TypeError and UnicodeEncodeError otherwise: swiftssl raised ValueError for a
    NUL, named its own `_wrap_fd()` for a bytes or an int, and took U-labels and bytes in
    `_wrap_bio`. A None with check_hostname on is README's difference (refused at connect())."""
    def attempt(module, address):
        context = module.create_default_context()
        context.check_hostname = hostname is not None
        try:
            if shape == "_wrap_bio":
                context._wrap_bio(module.MemoryBIO(), module.MemoryBIO(), False, hostname)
            elif shape == "_wrap_socket":
                with socket.socket() as plain:
                    context._wrap_socket(plain, False, hostname)
            else:
                with context.wrap_socket(socket.socket(), server_hostname="localhost",
                                         do_handshake_on_connect=False) as tls:
                    tls.server_hostname = hostname
                    tls.connect(address)
        except Exception as error:  # the description is what is compared
            return type(error).__name__, str(error)
        return "returned"
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = listener.getsockname()
        assert attempt(swiftssl, address) == attempt(stdlib_ssl, address)


@pytest.mark.parametrize("hostname", ["a\x00b", b"a\x00b"], ids=repr)
def test_a_nul_in_server_hostname_is_refused_where_cpython_refuses_it(hostname):
    """ssl.py's `_encode_hostname` passes a NUL; the connection refuses it with TypeError when it
    is made: at wrap time for an SSLObject, at connect() for a socket not yet connected (swiftssl
    refused it when wrapping that socket, so code that wraps first and connects later failed
    earlier than with CPython)."""
    def attempt(module, address):
        context = module.create_default_context()
        outcomes = [repr(context._encode_hostname(hostname))]
        try:
            context.wrap_bio(module.MemoryBIO(), module.MemoryBIO(), server_hostname=hostname)
        except TypeError as error:
            outcomes.append(("wrap_bio", str(error)))
        with context.wrap_socket(socket.socket(), server_hostname=hostname) as tls:
            outcomes.append(("wrapped", repr(tls.server_hostname)))
            with pytest.raises(TypeError) as refused:
                tls.connect(address)
            outcomes.append(("connect", str(refused.value), tls.fileno() != -1))
        return outcomes
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = listener.getsockname()
        assert attempt(swiftssl, address) == attempt(stdlib_ssl, address)
