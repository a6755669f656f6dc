"""The exception hierarchy (python/swiftssl/_errors.py) and the attributes of real failures
(Sources/SwiftSSLPython/PythonExceptions.swift), with CPython's stdlib ``ssl`` as the oracle."""

import socket
import ssl
import sys
import threading

import pytest

import swiftssl
from tls_support import LoopbackServer, comparable, describe_error, outcome, self_signed, stdlib_oracle

NAMES = ["SSLError", "SSLZeroReturnError", "SSLWantReadError", "SSLWantWriteError", "SSLSyscallError",
         "SSLEOFError", "SSLCertVerificationError"]


@pytest.mark.parametrize("name", NAMES)
def test_each_class_is_also_the_stdlib_class(name):
    ours, theirs = getattr(swiftssl, name), getattr(ssl, name)
    assert ours is not theirs
    assert issubclass(ours, theirs)
    assert issubclass(ours, swiftssl.SSLError)
    assert issubclass(ours, OSError)
    assert isinstance(ours(1, "x"), theirs)


def test_hierarchy_matches_cpython():
    assert issubclass(swiftssl.SSLError, OSError)
    assert issubclass(swiftssl.SSLCertVerificationError, ValueError)
    assert issubclass(swiftssl.SSLCertVerificationError, swiftssl.SSLError)
    assert swiftssl.CertificateError is swiftssl.SSLCertVerificationError
    assert swiftssl.socket_error is OSError
    for name in NAMES:
        for other in NAMES:
            assert issubclass(getattr(swiftssl, name), getattr(swiftssl, other)) == \
                issubclass(getattr(ssl, name), getattr(ssl, other)), (name, other)


@pytest.fixture
def self_signed_server(tmp_path):
    certificate = self_signed("localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate.write(tmp_path))
    return LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), connections=3)


def test_verification_failure_attributes(self_signed_server, root_ca):
    with self_signed_server as server:
        with pytest.raises(ssl.SSLError) as caught:  # the stdlib class catches it
            swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED,
                                 ca_certs=root_ca.cert_pem, server_hostname="localhost")
        oracle = outcome(lambda: ssl.create_default_context(cadata=root_ca.cert_pem.decode()).wrap_socket(
            server.connect(), server_hostname="localhost"))
        ours = outcome(lambda: swiftssl.create_default_context(cadata=root_ca.cert_pem.decode()).wrap_socket(
            server.connect(), server_hostname="localhost"))
    error = caught.value
    assert type(error) is swiftssl.SSLCertVerificationError
    assert isinstance(error, ValueError) and isinstance(error, ssl.SSLCertVerificationError)
    assert error.library == "SSL"
    assert error.reason == "CERTIFICATE_VERIFY_FAILED"
    assert error.verify_code == 18
    assert error.verify_message == "self-signed certificate"
    assert error.errno == 1
    assert error.strerror == str(error)
    assert str(error).startswith(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate")
    assert comparable(ours) == comparable(oracle)


def test_protocol_failure_attributes_match_stdlib(stdlib_server_context):
    """A TLS 1.2-pinned client against a TLS 1.3-only server: same class, library and reason."""
    stdlib_server_context.minimum_version = ssl.TLSVersion.TLSv1_3
    with LoopbackServer(lambda raw: stdlib_server_context.wrap_socket(raw, server_side=True),
                        connections=2) as server:
        results = [comparable(outcome(lambda: module.wrap_socket(server.connect(),
                                                                 ssl_version=module.PROTOCOL_TLSv1_2)))
                   for module in (stdlib_oracle, swiftssl)]
    oracle, ours = results
    assert oracle["class"] == "SSLError"
    assert ours == oracle
    assert ours["library"] == "SSL" and ours["reason"]


def _garbage_server(payload, close_early=False):
    """A plain TCP server answering the ClientHello with ``payload`` (not TLS)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve():
        for _ in range(2):
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(10)
                try:
                    connection.recv(4096)
                    if not close_early:
                        connection.sendall(payload)
                except OSError:
                    pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


@pytest.mark.parametrize("payload,close_early", [
    (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", False),
    (b"\x16\x03\x03\x00\x05garbage-after-a-record-header", False),
    (b"", True),
], ids=["http-answer", "truncated-record", "close-mid-handshake"])
def test_hostile_peer_errors_match_stdlib(payload, close_early):
    listener, thread = _garbage_server(payload, close_early)
    with listener:
        results = []
        for module in (stdlib_oracle, swiftssl):
            raw = socket.create_connection(listener.getsockname(), timeout=10)
            results.append(comparable(outcome(lambda: module.wrap_socket(raw))))
            raw.close()
        thread.join(10)
    oracle, ours = results
    assert not oracle["ok"]
    assert ours == oracle


def test_errors_carry_reason_for_bad_pem():
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(ssl.SSLError) as caught:
        context.load_cert_chain(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert type(caught.value) is swiftssl.SSLError
    assert caught.value.library == "SSL"
    assert str(caught.value).startswith("[SSL] PEM lib")


@pytest.mark.parametrize("payload", [
    b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"\x16\x03\x01\x00\x07garbage",
    b"\x16\x03\x01\x40\x00" + b"\x00" * 100,
    b"",
], ids=["http-request", "garbage-client-hello", "truncated-record", "close-before-hello"])
def test_hostile_clients_give_the_server_stdlib_errors(payload, server_cert, tmp_path):
    """Garbage instead of a ClientHello, a truncated record, a close before any hello: the
    swiftssl server raises what a stdlib server raises (never crashes, never hangs)."""
    results = []
    for module in (ssl, swiftssl):
        context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*server_cert.write(tmp_path))
        with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True)) as server:
            raw = server.connect()
            try:
                if payload:
                    raw.sendall(payload)
                raw.shutdown(socket.SHUT_WR)
            except OSError:
                # The server may already have answered garbage with a reset: that is its verdict.
                pass
            raw.settimeout(5)
            try:
                while raw.recv(4096):
                    pass
            except OSError:
                pass
            raw.close()
            server.wait()
        assert len(server.errors) == 1
        results.append(comparable(describe_error(server.errors[0])))
    oracle, ours = results
    assert ours == oracle


@pytest.mark.parametrize("bios", ["swiftssl", "stdlib"])
def test_an_sslobject_used_after_a_fatal_error_raises_what_the_stdlibs_does(bios):
    """An SSLObject whose handshake failed (here: it reads its own ClientHello back) and is then
    used again: CPython reports the retried handshake as SSLSyscallError("Some I/O error
    occurred"), having no socket to ask (Sources/SwiftSSL/TLSConnection.swift, ``classify``)."""

    def run(module):
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = module.CERT_NONE
        bio = (swiftssl.MemoryBIO if bios == "swiftssl" and module is swiftssl else ssl.MemoryBIO)()
        sslobject = context.wrap_bio(bio, bio)
        results = []
        for attempt in (sslobject.do_handshake, sslobject.do_handshake,
                        lambda: sslobject.read(5), lambda: sslobject.write(b"x"), sslobject.unwrap):
            try:
                attempt()
                results.append("returned")
            except ssl.SSLError as error:
                results.append((type(error).__name__, error.errno, str(error).split(" (")[0]))
        return results

    ours = run(swiftssl)
    assert ours[1] == ("SSLSyscallError", 5, "Some I/O error occurred")  # CPython 3.11's answer
    if sys.version_info < (3, 13):
        assert ours == run(ssl)
    else:  # 3.13's stdlib answers with an EOF there; swiftssl is a drop-in for 3.11's
        theirs = run(ssl)
        assert theirs[1] == ("SSLEOFError", 8, "EOF occurred in violation of protocol")
        assert ours[:1] + ours[2:] == theirs[:1] + theirs[2:]


def test_an_error_with_a_reason_common_to_all_libraries_has_no_reason_mnemonic(root_ca, tmp_path):
    """A certificate whose DER the client cannot parse (TLS 1.2 sends it in the clear, so the test
    breaks it in flight): OpenSSL's reason is ERR_R_ASN1_LIB, common to every library, which
    CPython shows as "[SSL] ASN1 lib" with ``reason`` None (Sources/SwiftSSL/OpenSSLErrorQueue.swift)."""
    leaf = root_ca.issue("localhost", common_name="localhost", key_type="rsa")
    certificate_path, key_path = leaf.write(tmp_path, "tls12")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(certificate_path, key_path)
    server_context.maximum_version = ssl.TLSVersion.TLSv1_2
    leaf_der = ssl.PEM_cert_to_DER_cert(leaf.cert_pem.decode())

    def run(module):
        client_context = module.create_default_context(cadata=root_ca.cert_pem.decode())
        client_in, client_out = module.MemoryBIO(), module.MemoryBIO()
        client = client_context.wrap_bio(client_in, client_out, server_hostname="localhost")
        server_in, server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        server = server_context.wrap_bio(server_in, server_out, server_side=True)
        with pytest.raises(ssl.SSLWantReadError):
            client.do_handshake()
        server_in.write(client_out.read())
        with pytest.raises(ssl.SSLWantReadError):
            server.do_handshake()
        flight = bytearray(server_out.read())
        where = flight.index(leaf_der[:64])
        flight[where + 1] ^= 0x7F  # the outer SEQUENCE's length: the DER no longer parses
        client_in.write(bytes(flight))
        with pytest.raises(ssl.SSLError) as raised:
            client.do_handshake()
        error = raised.value
        return type(error).__name__, error.library, error.reason, str(error).split(" (")[0]

    assert run(swiftssl) == run(ssl)
    assert run(ssl)[2] is None


ATTRIBUTES = ("library", "reason", "verify_code", "verify_message")


def _attributes_present(call):
    try:
        call()
    except Exception as error:  # which attributes the raised exception has is what is compared
        return type(error).__name__, tuple(name for name in ATTRIBUTES if hasattr(error, name))
    return "returned", ()


@pytest.mark.parametrize("case", ["constructed", "set_ciphers", "ALPN name too long", "bad PEM", "hostname mismatch"])
def test_errors_have_the_attributes_cpythons_have(case):
    """OpenSSL-reported errors carry library and reason (None where OpenSSL named none); errors
    raised with a message alone, errors a program makes and match_hostname's have neither, as in
    CPython. swiftssl's classes had class-level defaults (None), so hasattr() was always True."""
    def call(module):
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        if case == "constructed":
            raise module.SSLError("made by a program")
        if case == "set_ciphers":
            context.set_ciphers("NOPE")
        if case == "ALPN name too long":
            context.set_alpn_protocols(["x" * 256])
        if case == "bad PEM":
            context.load_verify_locations(cadata="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        if case == "hostname mismatch":
            raise module.CertificateError("hostname 'b.example' doesn't match 'a.example'")
    assert _attributes_present(lambda: call(swiftssl)) == _attributes_present(lambda: call(ssl))
