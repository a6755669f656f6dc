"""Protocol selection (Sources/SwiftSSL/TLSContextVersionsAndOptions.swift, TLSVersion.swift): a
pinned protocol really pins, and nothing below TLS 1.2 is negotiated unless TLS 1.0/1.1 is asked
for explicitly, in which case the security level is lowered for that context only (DESIGN.md
section 1).

Peers: stdlib ``ssl`` servers/clients with version bounds, and ``openssl s_server``/``s_client``
pinned with ``-tls1``/``-tls1_1``/``-tls1_3`` (``-cipher DEFAULT@SECLEVEL=0`` for the legacy ones).
"""

import shutil
import ssl

import pytest

import swiftssl
from tls_support import LoopbackServer, OpenSSLServer, outcome, recv_until_eof, run_s_client

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")


@pytest.fixture
def openssl_server_files(tmp_path, server_cert):
    certificate_path, key_path = server_cert.write(tmp_path, "openssl")
    return ["-cert", certificate_path, "-key", key_path]


def version_server(stdlib_server_context, minimum=None, maximum=None, connections=1):
    if minimum:
        stdlib_server_context.minimum_version = minimum
    if maximum:
        stdlib_server_context.maximum_version = maximum

    def handler(tls):
        tls.sendall(b"ok")
        tls.recv(1)
        return tls.version()
    return LoopbackServer(lambda raw: stdlib_server_context.wrap_socket(raw, server_side=True), handler,
                          connections=connections)


def legacy_client(raw, protocol):
    return swiftssl.wrap_socket(raw, ssl_version=protocol)


def context_client(raw, protocol):
    context = swiftssl.SSLContext(protocol)
    return context.wrap_socket(raw)


CLIENTS = {"wrap_socket": legacy_client, "SSLContext": context_client}


@pytest.mark.parametrize("client", list(CLIENTS))
def test_tls12_pin_negotiates_exactly_tls12_with_a_12_to_13_server(client, stdlib_server_context):
    with version_server(stdlib_server_context) as server:
        with CLIENTS[client](server.connect(), swiftssl.PROTOCOL_TLSv1_2) as tls:
            assert tls.version() == "TLSv1.2"
            assert tls.recv(2) == b"ok"
            tls.sendall(b".")
        server.wait()
    assert server.results == ["TLSv1.2"]


@pytest.mark.parametrize("client", list(CLIENTS))
def test_default_protocol_negotiates_tls13_with_the_same_server(client, stdlib_server_context):
    """Control for the pin above: without the pin the same server gives TLS 1.3."""
    with version_server(stdlib_server_context) as server:
        with CLIENTS[client](server.connect(), swiftssl.PROTOCOL_TLS) as tls:
            assert tls.version() == "TLSv1.3"
            tls.recv(2)
            tls.sendall(b".")


@pytest.mark.parametrize("client", list(CLIENTS))
def test_tls12_pin_fails_against_a_tls13_only_server(client, stdlib_server_context):
    with version_server(stdlib_server_context, minimum=ssl.TLSVersion.TLSv1_3) as server:
        with pytest.raises(swiftssl.SSLError) as caught:
            CLIENTS[client](server.connect(), swiftssl.PROTOCOL_TLSv1_2)
    assert not isinstance(caught.value, swiftssl.SSLCertVerificationError)


@needs_openssl
def test_tls12_pin_fails_against_openssl_tls13_only(openssl_server_files):
    with OpenSSLServer(*openssl_server_files, "-tls1_3", "-www") as server:
        with pytest.raises(swiftssl.SSLError):
            swiftssl.wrap_socket(server.connect(), ssl_version=swiftssl.PROTOCOL_TLSv1_2)


LEGACY_SERVER = {"TLSv1": "-tls1", "TLSv1.1": "-tls1_1"}


@needs_openssl
@pytest.mark.parametrize("protocol", ["PROTOCOL_TLS", "PROTOCOL_TLS_CLIENT", "PROTOCOL_TLSv1_2"])
@pytest.mark.parametrize("legacy_version", list(LEGACY_SERVER))
def test_nothing_else_negotiates_below_tls12(protocol, legacy_version, openssl_server_files):
    with OpenSSLServer(*openssl_server_files, LEGACY_SERVER[legacy_version], "-cipher", "DEFAULT@SECLEVEL=0",
                       "-www") as server:
        context = swiftssl.SSLContext(getattr(swiftssl, protocol))
        context.check_hostname = False
        context.verify_mode = swiftssl.CERT_NONE
        with pytest.raises(swiftssl.SSLError) as caught:
            context.wrap_socket(server.connect())
        with pytest.raises(swiftssl.SSLError):
            swiftssl.wrap_socket(server.connect())  # module level, PROTOCOL_TLS by default
    # Refused during the handshake, not for the certificate (the client does not verify here);
    # test_explicit_legacy_pin_negotiates_that_version is the control that this server works.
    assert not isinstance(caught.value, swiftssl.SSLCertVerificationError)


@needs_openssl
@pytest.mark.parametrize("protocol,expected", [("PROTOCOL_TLSv1", "TLSv1"), ("PROTOCOL_TLSv1_1", "TLSv1.1")])
def test_explicit_legacy_pin_negotiates_that_version(protocol, expected, openssl_server_files):
    with OpenSSLServer(*openssl_server_files, LEGACY_SERVER[expected], "-cipher", "DEFAULT@SECLEVEL=0",
                       "-www") as server:
        with swiftssl.wrap_socket(server.connect(), ssl_version=getattr(swiftssl, protocol)) as tls:
            assert tls.version() == expected
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = recv_until_eof(tls)
    assert page.startswith(b"HTTP/1.0 200 ok")
    assert f"Protocol  : {expected}\n".encode() in page  # the session as s_server saw it


@needs_openssl
def test_legacy_pin_lowers_the_security_level_of_its_context_only(openssl_server_files):
    pinned = swiftssl.SSLContext(swiftssl.PROTOCOL_TLSv1)
    default = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    assert pinned.security_level == 0
    assert default.security_level == ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).security_level == 2
    with OpenSSLServer(*openssl_server_files, "-tls1", "-cipher", "DEFAULT@SECLEVEL=0", "-www") as server:
        with pinned.wrap_socket(server.connect()) as tls:
            assert tls.version() == "TLSv1"
        # After a TLS 1.0 connection was made, a fresh default context still refuses it.
        with pytest.raises(swiftssl.SSLError):
            swiftssl.wrap_socket(server.connect())
    assert swiftssl.SSLContext(swiftssl.PROTOCOL_TLS).security_level == 2


@needs_openssl
def test_s_client_tls1_against_a_default_swiftssl_server_is_refused(server_cert, tmp_path):
    """The server side too: a default swiftssl server does not accept TLS 1.0."""
    def wrap(raw):
        return swiftssl.wrap_socket(raw, server_side=True, certfile=server_cert.combined_pem)
    with LoopbackServer(wrap) as server:
        completed = run_s_client(server.port, "-tls1", "-cipher", "DEFAULT@SECLEVEL=0", data=b"x\n")
        server.wait()
    assert "New, (NONE), Cipher is (NONE)" in completed.stdout.decode("latin-1")
    assert len(server.errors) == 1 and isinstance(server.errors[0], swiftssl.SSLError)


@needs_openssl
def test_s_client_tls1_against_a_tls1_pinned_swiftssl_server(server_cert):
    def wrap(raw):
        return swiftssl.wrap_socket(raw, server_side=True, certfile=server_cert.combined_pem,
                                    ssl_version=swiftssl.PROTOCOL_TLSv1)

    def handler(tls):
        tls.sendall(b"pinned\n")
        return tls.version()
    with LoopbackServer(wrap, handler) as server:
        completed = run_s_client(server.port, "-tls1", "-cipher", "DEFAULT@SECLEVEL=0")
        server.wait()
    assert server.errors == [] and server.results == ["TLSv1"]
    output = completed.stdout.decode("latin-1")
    assert "pinned" in output and "Protocol  : TLSv1\n" in output


@pytest.mark.parametrize("maximum,expected", [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (None, "TLSv1.3")])
def test_stdlib_client_versions_against_a_default_swiftssl_server(maximum, expected, root_ca, server_cert):
    context = ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    if maximum:
        context.maximum_version = maximum

    def handler(tls):
        tls.sendall(b"v")
        return tls.version()
    wrap = lambda raw: swiftssl.wrap_socket(raw, server_side=True, certfile=server_cert.combined_pem)
    with LoopbackServer(wrap, handler) as server:
        with context.wrap_socket(server.connect(), server_hostname="localhost") as tls:
            assert tls.recv(1) == b"v"
            assert tls.version() == expected
        server.wait()
    assert server.results == [expected]


@pytest.mark.parametrize("protocol", ["PROTOCOL_TLS", "PROTOCOL_TLS_CLIENT", "PROTOCOL_TLS_SERVER",
                                      "PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1", "PROTOCOL_TLSv1_2"])
def test_context_protocol_round_trips(protocol):
    context = swiftssl.SSLContext(getattr(swiftssl, protocol))
    assert context.protocol == getattr(ssl, protocol)
    assert context.protocol.name == getattr(ssl, protocol).name


def test_invalid_protocol_is_value_error_like_stdlib():
    results = [outcome(lambda: module.SSLContext(99)) for module in (ssl, swiftssl)]
    assert results[0]["class"] == results[1]["class"] == "ValueError"
    assert results[0]["message"] == results[1]["message"]
