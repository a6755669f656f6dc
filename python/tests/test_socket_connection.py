"""``SSLContext._wrap_socket`` (python/swiftssl/_socket_connection.py) and the rest of what
socket classes of their own rely on: gevent's cooperative sockets subclass ``ssl.SSLContext``
and build on ``_wrap_socket``, the ``_ssl._SSLContext`` layer and module names ssl.py only has
because it imports them (``ssl._ssl``, ``ssl.create_connection``); eventlet's subclass
``ssl.SSLSocket`` and keep their own timeout in Python over a non-blocking socket.
"""

import socket
import ssl as stdlib_ssl
import threading

import pytest

import swiftssl
from child_support import pki_environment, run_child
from memory_pair_support import MemoryPair


@pytest.fixture
def socket_pair_with_server(stdlib_server_context):
    """A client socket connected to a stdlib TLS server thread that echoes one message and then
    answers close_notify; yields (client socket, the thread)."""
    client, server = socket.socketpair()
    client.settimeout(10)
    server.settimeout(10)

    def serve():
        with stdlib_server_context.wrap_socket(server, server_side=True) as tls:
            tls.sendall(tls.recv(1024))
            tls.unwrap()

    thread = threading.Thread(target=serve)
    thread.start()
    yield client
    thread.join(10)
    client.close()


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_wrap_socket_gives_the_bare_connection_cpython_gives(module, root_ca, socket_pair_with_server):
    client = socket_pair_with_server
    context = module.create_default_context(cadata=root_ca.cert_pem.decode())
    connection = context._wrap_socket(client, False, "localhost")
    assert (connection.server_side, connection.server_hostname, connection.owner) == (False, "localhost", None)
    assert connection.context is context
    assert connection.session is None
    connection.do_handshake()
    assert connection.version() == "TLSv1.3"
    assert connection.getpeercert()["subjectAltName"][0] == ("DNS", "localhost")
    assert isinstance(connection.getpeercert(True), bytes)
    assert [c.public_bytes(module._ssl.ENCODING_DER) for c in connection.get_verified_chain()][0] \
        == connection.getpeercert(True)
    assert connection.cipher()[1] == "TLSv1.3"
    assert connection.compression() is None
    assert connection.selected_alpn_protocol() is None
    assert len(connection.get_channel_binding("tls-unique")) == 48
    assert connection.write(b"ping") == 4
    buffer = bytearray(10)
    assert connection.read(10, buffer) == 4 and buffer[:4] == b"ping"
    assert connection.pending() == 0
    assert connection.shutdown() is client  # close_notify both ways; the socket, as given
    assert isinstance(connection.session, module.SSLSession)


class Owner:
    """An object that can own a connection (CPython keeps a weak reference to it)."""


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_wrap_bio_gives_the_bare_connection_cpython_gives(module, root_ca, stdlib_server_context):
    """The same shape over two MemoryBIOs: nothing waits, callbacks get the connection itself
    without an owner, and shutdown() returns None."""
    client_context = module.create_default_context(cadata=root_ca.cert_pem.decode())
    seen = []
    client_context._msg_callback = lambda connection, *rest: seen.append(connection)
    client_in, client_out, server_in, server_out = (stdlib_ssl.MemoryBIO() for _ in range(4))
    client = client_context._wrap_bio(client_in, client_out, False, "localhost")
    server = stdlib_server_context.wrap_bio(server_in, server_out, server_side=True)
    assert (client.server_side, client.server_hostname, client.owner) == (False, "localhost", None)
    assert client.context is client_context and client.session is None

    def step(operation):
        try:
            operation()
        except (module.SSLWantReadError, stdlib_ssl.SSLWantReadError):
            pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())

    for _ in range(3):
        step(client.do_handshake)
        step(server.do_handshake)
    assert client.version() == "TLSv1.3" and seen and all(entry is client for entry in seen)
    client.owner = owner = Owner()
    assert client.owner is owner
    assert client.write(b"ping") == 4
    server_in.write(client_out.read())
    assert server.read(4) == b"ping"
    with pytest.raises(module.SSLWantReadError):
        client.read(4)
    assert client.pending() == 0
    step(server.unwrap)
    assert client.shutdown() is None
    with pytest.raises(TypeError, match=r"_wrap_bio\(\) argument 'outgoing' must be _ssl.MemoryBIO, not bytes"):
        client_context._wrap_bio(module.MemoryBIO(), b"", False, "localhost")
    # One BIO of each library: CPython's names the one that is not its own.
    other = stdlib_ssl if module is swiftssl else swiftssl
    with pytest.raises(TypeError, match=r"_wrap_bio\(\) argument 'outgoing' must be _ssl.MemoryBIO, not MemoryBIO"):
        client_context._wrap_bio(module.MemoryBIO(), other.MemoryBIO(), False, "localhost")


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_an_sslobjects_own_connection_has_the_attributes_cpythons_has(module, root_ca, stdlib_server_context):
    """``SSLObject._sslobj`` (what code written against ssl.py reaches into, as truststore does)
    answers owner, context, server_side, server_hostname and session_reused as CPython's does."""
    client = MemoryPair(module, stdlib_server_context, root_ca).client
    connection = client._sslobj
    assert (connection.server_side, connection.server_hostname) == (False, "localhost")
    assert connection.owner is client and connection.context is client.context
    assert connection.session_reused is False
    for name in ("server_side", "server_hostname", "session_reused"):
        with pytest.raises(AttributeError):
            setattr(connection, name, None)


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_wrap_socket_follows_the_socket_timeout_of_each_call(module, root_ca, socket_pair_with_server):
    """What cooperative sockets count on: with the socket non-blocking, a call that would wait
    raises SSLWantReadError for them to wait on their own loop."""
    client = socket_pair_with_server
    context = module.create_default_context(cadata=root_ca.cert_pem.decode())
    connection = context._wrap_socket(client, False, "localhost", owner=client)
    assert connection.owner is client
    connection.do_handshake()
    client.setblocking(False)
    with pytest.raises(module.SSLWantReadError):
        connection.read(10)
    connection.write(b"x")
    client.settimeout(10)
    assert connection.read(10) == b"x"
    connection.shutdown()


def test_module_names_ssl_py_has_from_its_own_imports():
    missing = [name for name in dir(stdlib_ssl)
               if not name.startswith("__") and not hasattr(swiftssl, name)]
    # match_hostname's helpers stay out: hostname rules are the Swift core's (README).
    assert missing == ["_dnsname_match", "_ipaddress_match"]
    import swiftssl._ssl as underscore_ssl
    assert swiftssl._ssl is underscore_ssl
    assert swiftssl.create_connection is socket.create_connection
    assert swiftssl.socket is socket.socket
    assert swiftssl._SSLContext is swiftssl._ssl._SSLContext
    assert swiftssl._RESTRICTED_SERVER_CIPHERS == stdlib_ssl._RESTRICTED_SERVER_CIPHERS
    assert "socket" not in dir(swiftssl)  # found, not advertised


def test_class_attributes_ssl_py_has():
    """What subclasses and wrappers (gevent's, eventlet's) may call on the base classes."""
    def missing(name):
        return sorted(set(dir(getattr(stdlib_ssl, name))) - set(dir(getattr(swiftssl, name))))
    assert missing("SSLSocket") == []
    # Windows-only, and the host-flags getter ssl.py uses only without hostname_checks_common_name.
    assert missing("SSLContext") == ["_host_flags", "_load_windows_store_certs", "_windows_cert_stores"]
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    for hostname in (None, "b\u00fccher.example", b"xn--bcher-kva.example"):
        assert context._encode_hostname(hostname) == stdlib_ssl.SSLContext._encode_hostname(None, hostname)


def test_default_contexts_are_made_of_the_sslcontext_the_module_has_now(monkeypatch):
    """ssl.py looks SSLContext up when called, so a replaced ssl.SSLContext (gevent's
    monkey-patching) is what create_default_context() makes."""
    class Replacement(swiftssl.SSLContext):
        pass

    monkeypatch.setattr(swiftssl, "SSLContext", Replacement)
    assert type(swiftssl.create_default_context()) is Replacement
    assert type(swiftssl._create_unverified_context()) is Replacement


def test_a_subclass_reaches_the_base_layer_as_with_cpython():
    """gevent's SSLContext sets settings through the base class's descriptors."""
    for module in (swiftssl, stdlib_ssl):
        base = module.SSLContext.__bases__[0]
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        base.verify_mode.__set__(context, module.CERT_OPTIONAL)
        base.options.__set__(context, context.options | module.OP_NO_TICKET)
        base.minimum_version.__set__(context, module.TLSVersion.TLSv1_2)
        assert context.verify_mode is module.CERT_OPTIONAL
        assert context.options & module.OP_NO_TICKET
        assert base.verify_mode.__get__(context) == int(module.CERT_OPTIONAL)
        assert type(base.verify_mode.__get__(context)) is int


def test_gevent_monkey_patched_sockets_run_on_swiftssl(server_cert, root_ca):
    """gevent's cooperative SSLSocket over swiftssl: install() first, then patch_all(), then a
    gevent StreamServer and twenty client greenlets in one thread; a call that blocked would
    stall them all."""
    pytest.importorskip("gevent")
    result = run_child("""
        import os, warnings
        import swiftssl
        swiftssl.install()
        from gevent import monkey
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MonkeyPatchWarning: see the README
            monkey.patch_all()
        import socket, ssl
        import gevent
        from gevent.server import StreamServer

        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(os.environ["CHAIN_PEM"], os.environ["KEY_PEM"].encode())
        client_context = ssl.create_default_context(cadata=os.environ["ROOT_PEM"])

        def handle(sock, address):
            sock.sendall(b"echo " + sock.recv(100))
            sock.close()

        server = StreamServer(("127.0.0.1", 0), handle, ssl_context=server_context)
        server.start()

        def client(number):
            with socket.create_connection(("127.0.0.1", server.server_port)) as raw:
                with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(b"%d" % number)
                    return tls.recv(100), type(tls).__module__

        jobs = [gevent.spawn(client, number) for number in range(20)]
        gevent.joinall(jobs, timeout=30, raise_error=True)
        assert [job.value for job in jobs] == [(b"echo %d" % n, "gevent.ssl") for n in range(20)]
        assert ssl is swiftssl and type(client_context).__module__ == "gevent.ssl"
        print("20 greenlets served")
    """, **pki_environment(server_cert, root_ca))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "20 greenlets served"


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_tls_calls_wait_by_the_socket_timeout_not_an_overridden_gettimeout(module, root_ca,
                                                                            socket_pair_with_server):
    """eventlet's green SSLSocket overrides gettimeout() (its own timeout, for its hub) and makes
    the socket itself non-blocking: as CPython's _ssl reads the socket's own timeout, a read
    with nothing to read raises SSLWantReadError at once instead of waiting."""
    class OwnTimeout(module.SSLSocket):
        def gettimeout(self):
            return 5.0

    context = module.create_default_context(cadata=root_ca.cert_pem.decode())
    context.sslsocket_class = OwnTimeout
    tls = context.wrap_socket(socket_pair_with_server, server_hostname="localhost")
    socket.socket.settimeout(tls, 0.0)
    with pytest.raises(module.SSLWantReadError):
        tls.recv(10)
    socket.socket.settimeout(tls, 10)
    tls.sendall(b"x")
    assert tls.recv(10) == b"x"
    tls.unwrap()


def test_eventlet_green_sockets_run_on_swiftssl(server_cert, root_ca):
    """eventlet's GreenSSLSocket (a subclass of ssl.SSLSocket) over swiftssl: a green server and
    twenty green clients in one thread."""
    pytest.importorskip("eventlet")
    result = run_child("""
        import os, warnings
        warnings.simplefilter("ignore")  # eventlet's deprecation notice
        import swiftssl
        swiftssl.install()
        import eventlet
        eventlet.monkey_patch()
        import ssl

        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(os.environ["CHAIN_PEM"], os.environ["KEY_PEM"].encode())
        client_context = ssl.create_default_context(cadata=os.environ["ROOT_PEM"])
        listener = eventlet.listen(("127.0.0.1", 0))

        def handle(connection):
            tls = server_context.wrap_socket(connection, server_side=True)
            tls.sendall(b"echo " + tls.recv(100))
            tls.close()

        def serve():
            while True:
                connection, _ = listener.accept()
                eventlet.spawn(handle, connection)

        def client(number):
            tls = client_context.wrap_socket(eventlet.connect(listener.getsockname()),
                                             server_hostname="localhost")
            tls.sendall(b"%d" % number)
            reply = tls.recv(100), type(tls).__module__
            tls.close()
            return reply

        eventlet.spawn(serve)
        with eventlet.Timeout(30):
            replies = list(eventlet.GreenPool().imap(client, range(20)))
        assert replies == [(b"echo %d" % n, "eventlet.green.ssl") for n in range(20)], replies
        print("20 green clients served")
    """, **pki_environment(server_cert, root_ca))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "20 green clients served"
