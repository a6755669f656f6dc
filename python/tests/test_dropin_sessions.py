"""SSLSession, session/session_reused and resumption, with real loopback handshakes.

The server is swiftssl or the stdlib (the oracle): a swiftssl client resumes against either, and
the server's session_stats() counts the hit.
"""

import ssl as stdlib_ssl

import pytest

import swiftssl
from tls_support import LoopbackServer, NETWORK_TIMEOUT, handshake_in_memory


def _server_context(module, server_cert, tmp_path):
    context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_cert.write(tmp_path, f"{module.__name__}-server"))
    return context


def _client_context(root_ca, maximum=swiftssl.TLSVersion.TLSv1_2):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=root_ca.cert_pem.decode())
    context.maximum_version = maximum
    return context


def _serve(server_context, connections):
    def handler(tls):
        tls.sendall(tls.recv(16).upper())
    return LoopbackServer(lambda raw: server_context.wrap_socket(raw, server_side=True), handler,
                          connections=connections)


def _connect(server, client_context, session=None):
    with client_context.wrap_socket(server.connect(), server_hostname="localhost",
                                    session=session) as tls:
        tls.sendall(b"ping")
        assert tls.recv(16) == b"PING"
        return tls.session, tls.session_reused


@pytest.mark.parametrize("server_module", [swiftssl, stdlib_ssl], ids=["swiftssl-server", "stdlib-server"])
def test_tls12_session_is_resumed(server_module, server_cert, root_ca, tmp_path):
    server_context = _server_context(server_module, server_cert, tmp_path)
    client_context = _client_context(root_ca)
    with _serve(server_context, connections=3) as server:
        first, reused_first = _connect(server, client_context)
        second, reused_second = _connect(server, client_context, session=first)
        third, reused_third = _connect(server, client_context)
    assert server.errors == []
    assert isinstance(first, swiftssl.SSLSession)
    assert first.id and first.has_ticket
    assert first.time > 0 and first.timeout > 0 and first.ticket_lifetime_hint > 0
    assert (reused_first, reused_second, reused_third) == (False, True, False)
    assert second == first and second is not first and second.id == first.id
    assert third != first
    statistics = server_context.session_stats()
    assert statistics["accept"] == 3 and statistics["hits"] == 1


def test_tls13_session_is_resumed_with_a_ticket(server_cert, root_ca, tmp_path):
    server_context = _server_context(swiftssl, server_cert, tmp_path)
    client_context = _client_context(root_ca, maximum=swiftssl.TLSVersion.MAXIMUM_SUPPORTED)
    with _serve(server_context, connections=2) as server:
        # TLS 1.3 tickets arrive after the handshake: the session is read after data flowed.
        first, _ = _connect(server, client_context)
        _, reused = _connect(server, client_context, session=first)
    assert server.errors == []
    assert reused is True


def test_session_is_none_before_the_handshake_and_checked_when_set(server_cert, root_ca, tmp_path):
    server_context = _server_context(swiftssl, server_cert, tmp_path)
    client_context = _client_context(root_ca)
    other_context = _client_context(root_ca)
    # Two TLS connections: the refused session fails before the TCP connect.
    with _serve(server_context, connections=2) as server:
        with client_context.wrap_socket(swiftssl_socket(), server_hostname="localhost") as tls:
            assert tls.session is None and tls.session_reused is None
            tls.connect(server.address)
            session = tls.session
            with pytest.raises(TypeError, match="Value is not a SSLSession."):
                tls.session = object
            with pytest.raises(ValueError, match="Cannot set session after handshake."):
                tls.session = session
            tls.sendall(b"x")
            tls.recv(16)
        with other_context.wrap_socket(swiftssl_socket(), server_hostname="localhost") as tls:
            tls.session = session
            with pytest.raises(ValueError, match="Session refers to a different SSLContext."):
                tls.connect(server.address)
        with client_context.wrap_socket(swiftssl_socket(), server_hostname="localhost") as tls:
            tls.session = session  # before connect(): offered by the handshake connect() runs
            tls.connect(server.address)
            assert tls.session_reused is True
            tls.sendall(b"x")
            tls.recv(16)
    with pytest.raises(TypeError):
        swiftssl.SSLSession()


def swiftssl_socket():
    import socket
    sock = socket.socket()
    sock.settimeout(NETWORK_TIMEOUT)
    return sock


def test_session_over_memory_bios(server_cert, root_ca, tmp_path):
    server_context = _server_context(swiftssl, server_cert, tmp_path)
    client_context = _client_context(root_ca)

    def handshake(session=None):
        client_in, client_out = swiftssl.MemoryBIO(), swiftssl.MemoryBIO()
        server_in, server_out = swiftssl.MemoryBIO(), swiftssl.MemoryBIO()
        client = client_context.wrap_bio(client_in, client_out, server_hostname="localhost",
                                         session=session)
        server = server_context.wrap_bio(server_in, server_out, server_side=True)
        handshake_in_memory(client, server, client_in, client_out, server_in, server_out)
        return client

    first = handshake()
    assert first.session_reused is False
    second = handshake(first.session)
    assert second.session_reused is True
    assert second.session == first.session


@pytest.mark.parametrize("make", [lambda library: library.SSLSession(),
                                  lambda library: library.SSLSession.__new__(library.SSLSession)],
                         ids=["SSLSession()", "SSLSession.__new__"])
def test_only_connections_make_sessions(make):
    """Both ways are a TypeError, as in CPython; SSLSession.__new__ gave a half-made session
    whose every attribute raised AttributeError."""
    for library in (swiftssl, stdlib_ssl):
        with pytest.raises(TypeError):
            make(library)


def test_a_tls12_session_id_outlives_a_server_connection_closed_without_unwrap(server_cert, root_ca, tmp_path):
    """README, "Differences": the server's session-ID cache keeps a session whose connection
    was closed before it sent close_notify (LoopbackServer's handler returns and the socket is
    closed without unwrap), as CPython keeps it since its fix for gh-116810; 3.11.7's forgets it,
    and the next connection gets a full handshake."""
    server_context = _server_context(swiftssl, server_cert, tmp_path)
    server_context.options |= swiftssl.OP_NO_TICKET  # resumption by session ID only
    client_context = _client_context(root_ca)
    with _serve(server_context, connections=2) as server:
        first, _ = _connect(server, client_context)
        second, reused = _connect(server, client_context, session=first)
    assert server.errors == []
    assert not first.has_ticket and reused and second.id == first.id
    assert server_context.session_stats()["hits"] == 1
