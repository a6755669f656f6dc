"""SSLSocket (python/swiftssl/_socket.py over Sources/SwiftSSLPython/ConnectionMethods.swift).

Each test runs a real handshake on loopback against CPython's stdlib ``ssl``; where the stdlib
can answer the same question (same server, same call) it is run as the oracle in the same test.
"""

import datetime
import hashlib
import io
import os
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

import swiftssl
from tls_support import (LoopbackServer, echo_upper_line, elapsed, outcome, recv_exactly,
                         recv_until_eof, stdlib_oracle)

MIB = 1024 * 1024


def swift_client(server, root_ca, hostname="localhost", timeout=10.0, **wrap_options):
    context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    return context.wrap_socket(server.connect(timeout), server_hostname=hostname, **wrap_options)


def stdlib_client(server, root_ca, hostname="localhost", timeout=10.0):
    context = ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    return context.wrap_socket(server.connect(timeout), server_hostname=hostname)


def test_is_a_socket_and_a_context_manager(root_ca, stdlib_server):
    with stdlib_server(echo_upper_line) as server:
        with swift_client(server, root_ca) as tls:
            assert isinstance(tls, swiftssl.SSLSocket)
            assert isinstance(tls, socket.socket)
            assert tls.family == socket.AF_INET and tls.type == socket.SOCK_STREAM
            assert tls.getpeername() == server.address
            assert tls.fileno() >= 0
            tls.sendall(b"x\n")
            assert tls.recv(10) == b"X\n"
        assert tls.fileno() == -1
        assert tls._closed


def test_attributes_live_in_slots_and_new_ones_are_still_accepted(root_ca, stdlib_server):
    """SSLSocket's own attributes are slots, not entries of a per-instance dict (part of why an
    idle connection costs less memory than with CPython's ssl: BENCHMARKS.md), and a program can
    still hang its own attributes on a socket, as on CPython's."""
    with stdlib_server(echo_upper_line) as server:
        with swift_client(server, root_ca) as tls:
            assert "__dict__" not in dir(tls) or not vars(tls)
            assert tls.server_side is False and tls.server_hostname == "localhost"
            assert tls.suppress_ragged_eofs is True and tls.do_handshake_on_connect is True
            tls.request_id = 42
            assert tls.request_id == 42 and vars(tls) == {"request_id": 42}


def test_do_handshake_explicitly(root_ca, stdlib_server):
    with stdlib_server(echo_upper_line) as server:
        with swift_client(server, root_ca, do_handshake_on_connect=False) as tls:
            assert tls.version() is None and tls.cipher() is None
            tls.do_handshake()
            assert tls.version() == "TLSv1.3"
            assert tls.cipher()[1] == "TLSv1.3"


def test_read_write_send_recv(root_ca, stdlib_server):
    def handler(tls):
        received = recv_exactly(tls, 12)
        tls.sendall(b"0123456789" * 3)
        return received

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            assert tls.write(b"abc") == 3
            assert tls.send(b"defghi") == 6
            assert tls.send(memoryview(b"jkl")) == 3
            assert tls.read(5) == b"01234"
            assert tls.recv(5) == b"56789"
            assert recv_exactly(tls, 20) == b"0123456789" * 2
        server.wait()
    assert server.results == [b"abcdefghijkl"]


def test_recv_into(root_ca, stdlib_server):
    def handler(tls):
        tls.sendall(b"A" * 10 + b"B" * 10 + b"C" * 10)
        tls.recv(1)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            buffer = bytearray(10)
            assert tls.recv_into(buffer) == 10
            assert buffer == b"A" * 10
            view = memoryview(bytearray(20))
            assert tls.recv_into(view, 4) == 4
            assert bytes(view[:4]) == b"BBBB"
            filled = 4
            while filled < 20:  # one record, but recv_into may return less than asked
                got = tls.recv_into(view[filled:])
                assert got > 0
                filled += got
            assert bytes(view) == b"B" * 10 + b"C" * 10
            tls.sendall(b".")


def test_recv_into_fills_exactly_what_arrived(root_ca, stdlib_server):
    def handler(tls):
        tls.sendall(b"xyz")
        tls.recv(1)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            buffer = bytearray(b"-" * 8)
            assert tls.recv_into(buffer) == 3
            assert buffer == b"xyz-----"
            tls.sendall(b".")


def test_sendall_one_mebibyte_intact_client_to_server(root_ca, stdlib_server):
    payload = os.urandom(MIB)

    def handler(tls):
        data = recv_exactly(tls, MIB)
        tls.sendall(hashlib.sha256(data).digest())
        return len(data)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            assert tls.sendall(payload) is None
            assert recv_exactly(tls, 32) == hashlib.sha256(payload).digest()
        server.wait()
    assert server.results == [MIB]


def test_receive_one_mebibyte_intact_server_to_client(root_ca, stdlib_server):
    payload = os.urandom(MIB)

    def handler(tls):
        tls.sendall(payload)
        tls.recv(1)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            assert recv_exactly(tls, MIB) == payload
            tls.sendall(b".")


def test_sendall_one_mebibyte_from_swiftssl_server(root_ca, server_cert):
    """The sending side is swiftssl this time, with a socket timeout (non-blocking internally)."""
    payload = os.urandom(MIB)
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert.combined_pem)

    def handler(tls):
        tls.sendall(payload)
        return tls.recv(1)

    with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), handler) as server:
        with stdlib_client(server, root_ca) as tls:
            assert recv_exactly(tls, MIB) == payload
            tls.sendall(b".")
        server.wait()
    assert server.errors == [] and server.results == [b"."]


def test_pending_matches_stdlib(root_ca, stdlib_server):
    def handler(tls):
        tls.sendall(b"p" * 100)  # one record
        tls.recv(1)

    results = []
    with stdlib_server(handler, connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                assert tls.pending() == 0
                first = tls.recv(10)
                results.append((first, tls.pending()))
                tls.sendall(b".")
    assert results[1] == results[0] == (b"p" * 10, 90)


def rich_certificate(root_ca):
    """A leaf with every getpeercert() feature we can make: multi-valued RDN, UTF-8 subject,
    email/URI/IPv4/IPv6/DNS SANs, AIA (OCSP + caIssuers) and CRL distribution points."""
    subject = x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Zürich")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.LOCALITY_NAME, "Zürich")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "swiftssl tests"),
                                        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "interop")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "tls@example.org")]),
    ])
    extensions = [
        x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier("http://ocsp.example.org/")),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("http://ca.example.org/root.der")),
        ]),
        x509.CRLDistributionPoints([
            x509.DistributionPoint([x509.UniformResourceIdentifier("http://crl.example.org/root.crl")],
                                   None, None, None),
        ]),
    ]
    names = ["localhost", "127.0.0.1", "::1", "2001:db8::abcd:1",
             x509.RFC822Name("tls@example.org"), x509.UniformResourceIdentifier("https://example.org/")]
    return root_ca.issue(*names, subject=subject, extensions=extensions)


def test_getpeercert_dict_and_der_equal_stdlib(root_ca, tmp_path):
    leaf = rich_certificate(root_ca)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*leaf.write(tmp_path))

    def handler(tls):
        tls.recv(1)

    peers = []
    with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), handler,
                        connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                peers.append((tls.getpeercert(), tls.getpeercert(True), tls.getpeercert(binary_form=True)))
                tls.sendall(b".")
    (expected, expected_der, _), (actual, actual_der, actual_der_keyword) = peers
    assert actual_der == actual_der_keyword == expected_der == leaf.der
    assert list(actual.keys()) == list(expected.keys())
    for key in expected:
        assert actual[key] == expected[key], key
    assert actual == expected


def exotic_certificates(root_ca):
    """Leaves (signed by the session root) with the corner cases of CPython's certificate dict:
    odd attribute types, unknown OIDs, every general-name type, edge serials and dates."""
    from cryptography.x509.oid import ObjectIdentifier
    name = lambda *pairs: x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])
    bmp = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Zürich 中", _type=x509.name._ASN1Type.BMPString)])
    return {
        "dc-serialnumber-unknown-oid": lambda: root_ca.issue("localhost", subject=name(
            (NameOID.DOMAIN_COMPONENT, "example"), (NameOID.SERIAL_NUMBER, "42"),
            (ObjectIdentifier("1.2.3.4.5"), "custom"), (NameOID.COMMON_NAME, "localhost"))),
        "bmpstring-subject": lambda: root_ca.issue("localhost", subject=bmp),
        "empty-subject": lambda: root_ca.issue("localhost", subject=x509.Name([])),
        "nul-in-commonname": lambda: root_ca.issue("localhost", common_name="a\x00b"),
        "exotic-general-names": lambda: root_ca.issue(
            "localhost", x509.DirectoryName(name((NameOID.COMMON_NAME, "directory"))),
            x509.RegisteredID(ObjectIdentifier("1.2.3.4")),
            x509.OtherName(ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x05upn@x"),
            x509.OtherName(ObjectIdentifier("1.2.3.9"), b"\x0c\x01a"),
            "::", "fe80::1:0:0:1", x509.RFC822Name("a@example.org")),
        "distribution-point-without-uri": lambda: root_ca.issue("localhost", extensions=[
            x509.CRLDistributionPoints([
                x509.DistributionPoint(None, x509.RelativeDistinguishedName(
                    [x509.NameAttribute(NameOID.COMMON_NAME, "crl")]), None, None),
                x509.DistributionPoint([x509.UniformResourceIdentifier("http://crl.example/"),
                                        x509.DNSName("not-a-uri.example")], None, None, None)])]),
        # A BIT STRING value has no text: CPython's dict holds its bytes (swiftssl raised).
        "bitstring-name-value": lambda: root_ca.issue("localhost", subject=x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, b"\x00\xab\xcd",  # 0 unused bits
                               _type=x509.name._ASN1Type.BitString)])),
        "old-and-far-dates": lambda: root_ca.issue(
            "localhost", not_before=datetime.datetime(1999, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
            not_after=datetime.datetime(2050, 1, 1, tzinfo=datetime.timezone.utc)),
    }


@pytest.mark.parametrize("case", ["dc-serialnumber-unknown-oid", "bmpstring-subject", "empty-subject",
                                  "nul-in-commonname", "exotic-general-names",
                                  "distribution-point-without-uri", "bitstring-name-value", "old-and-far-dates"])
def test_getpeercert_of_exotic_certificates_equals_stdlib(case, root_ca, tmp_path):
    leaf = exotic_certificates(root_ca)[case]()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*leaf.write(tmp_path))
    peers = []
    with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), lambda tls: tls.recv(1),
                        connections=2) as server:
        for module in (ssl, swiftssl):
            client_context = module.create_default_context(cadata=root_ca.cert_pem.decode())
            client_context.check_hostname = False
            with client_context.wrap_socket(server.connect()) as tls:
                peers.append(tls.getpeercert())
                tls.sendall(b".")
    expected, actual = peers
    assert expected  # verified, so not the {} of an unverified peer
    assert actual == expected


def test_server_side_getpeercert_of_client_certificate_equals_stdlib(root_ca, server_cert, client_cert,
                                                                      tmp_path):
    """swiftssl as the server, verifying a client certificate; a stdlib server is the oracle."""
    client_context = ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    client_context.load_cert_chain(*client_cert.write(tmp_path, "client"))
    server_files = server_cert.write(tmp_path, "server")
    results = {}
    for module in (ssl, swiftssl):
        context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*server_files)
        context.verify_mode = module.CERT_REQUIRED
        context.load_verify_locations(cadata=root_ca.cert_pem.decode())

        def handler(tls):
            tls.recv(1)
            return tls.getpeercert(), tls.getpeercert(True)

        with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), handler) as server:
            with client_context.wrap_socket(server.connect(), server_hostname="localhost") as tls:
                tls.sendall(b".")
            server.wait()
        assert server.errors == []
        results[module.__name__] = server.results[0]
    assert results["swiftssl"][1] == client_cert.der
    assert results["swiftssl"] == results["ssl"]


def test_getpeercert_without_verification_is_empty_dict_like_stdlib(stdlib_server):
    results = []
    with stdlib_server(lambda tls: tls.recv(1), connections=2) as server:
        for module in (ssl, swiftssl):
            context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = module.CERT_NONE
            with context.wrap_socket(server.connect()) as tls:
                results.append((tls.getpeercert(), len(tls.getpeercert(True))))
                tls.sendall(b".")
    assert results[0] == results[1]
    assert results[0][0] == {}


def test_cipher_and_version_equal_stdlib(root_ca, stdlib_server):
    results = []
    with stdlib_server(lambda tls: tls.recv(1), connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                results.append((tls.cipher(), tls.version()))
                tls.sendall(b".")
    assert results[1] == results[0]
    name, protocol, bits = results[1][0]
    assert isinstance(name, str) and protocol == "TLSv1.3" and bits in (128, 256)


@pytest.mark.parametrize("swift_side", ["client", "server"])
def test_unwrap_then_plaintext_on_the_same_socket(swift_side, root_ca, server_cert, stdlib_server_context):
    def server_handler(tls):
        assert tls.recv(6) == b"secret"
        tls.sendall(b"SECRET")
        plain = tls.unwrap()
        assert plain.recv(5) == b"plain"
        plain.sendall(b"PLAIN")
        return type(plain)

    if swift_side == "server":
        context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server_cert.combined_pem)
        connect_client = stdlib_client
    else:
        context = stdlib_server_context
        connect_client = swift_client
    with LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), server_handler) as server:
        tls = connect_client(server, root_ca)
        tls.sendall(b"secret")
        assert tls.recv(6) == b"SECRET"
        plain = tls.unwrap()
        if swift_side == "client":
            assert plain is tls  # CPython returns the same SSLSocket, now in plaintext mode
            assert tls.version() is None
            with pytest.raises(ValueError, match="Read on closed or unwrapped SSL socket"):
                tls.read(1)
        plain.sendall(b"plain")
        assert recv_exactly(plain, 5) == b"PLAIN"
        plain.close()
        server.wait()
    assert server.errors == []
    assert server.results[0] in (ssl.SSLSocket, swiftssl.SSLSocket)


def test_unwrap_without_tls_is_value_error(root_ca, stdlib_server):
    with stdlib_server(lambda tls: tls.unwrap()) as server:
        with swift_client(server, root_ca) as tls:
            tls.unwrap()
            with pytest.raises(ValueError, match="No SSL wrapper around"):
                tls.unwrap()


def test_close_then_io_raises_like_stdlib(root_ca, stdlib_server):
    outcomes = []
    with stdlib_server(recv_until_eof, connections=2) as server:
        for client in (stdlib_client, swift_client):
            tls = client(server, root_ca)
            tls.close()
            outcomes.append([outcome(lambda: tls.read(1))["class"],
                             outcome(lambda: tls.write(b"x"))["class"],
                             outcome(lambda: tls.recv(1))["class"],
                             tls.fileno()])
        server.wait()
    assert outcomes[1] == outcomes[0]
    assert outcomes[1][:2] == ["ValueError", "ValueError"]


def test_server_sees_end_of_stream_after_client_close(root_ca, stdlib_server):
    with stdlib_server(recv_until_eof) as server:
        tls = swift_client(server, root_ca)
        tls.sendall(b"last words")
        # End our side with a FIN first: closing a TCP socket whose receive queue still holds
        # unread bytes (the server's TLS 1.3 session tickets) makes the kernel send a reset
        # instead, whatever TLS library is on top.
        tls.shutdown(socket.SHUT_WR)
        server.wait()
        tls.close()
    assert server.errors == []
    assert server.results == [b"last words"]


def test_settimeout_read_times_out_within_the_timeout(root_ca, stdlib_server):
    release = threading.Event()
    with stdlib_server(lambda tls: release.wait(10)) as server:
        with swift_client(server, root_ca) as tls:
            tls.settimeout(0.5)
            assert tls.gettimeout() == 0.5
            with elapsed() as clock:
                with pytest.raises(socket.timeout) as caught:
                    tls.recv(10)
            release.set()
    assert isinstance(caught.value, TimeoutError)
    assert 0.4 <= clock() < 2.0
    assert "read operation timed out" in str(caught.value)


def test_handshake_times_out_against_a_silent_server():
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        raw = socket.create_connection(listener.getsockname(), timeout=0.5)
        peer, _ = listener.accept()  # accepted, but never speaks TLS
        with peer:
            with elapsed() as clock:
                with pytest.raises(TimeoutError) as caught:
                    swiftssl.wrap_socket(raw)
    assert 0.4 <= clock() < 2.0
    assert "handshake operation timed out" in str(caught.value)
    assert raw.fileno() == -1


def test_non_blocking_read_raises_want_read_like_stdlib(root_ca, stdlib_server):
    results = []
    with stdlib_server(lambda tls: tls.recv(1), connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                tls.setblocking(False)
                result = outcome(lambda: tls.recv(10))
                results.append((result["class"], result["errno"]))
                assert isinstance(result["error"], ssl.SSLWantReadError)
                tls.setblocking(True)
                tls.sendall(b".")
    assert results[1] == results[0] == ("SSLWantReadError", ssl.SSL_ERROR_WANT_READ)


@pytest.mark.parametrize("call", ["send", "recv", "recv_into", "sendall"])
def test_flags_are_refused_like_stdlib(call, root_ca, stdlib_server):
    arguments = {"send": (b"x", 1), "sendall": (b"x", 1), "recv": (10, 1),
                 "recv_into": (bytearray(10), 10, 1)}[call]
    results = []
    with stdlib_server(lambda tls: tls.recv(1), connections=2) as server:
        for client in (stdlib_client, swift_client):
            with client(server, root_ca) as tls:
                result = outcome(lambda: getattr(tls, call)(*arguments))
                results.append((result["class"], result["message"].replace("swiftssl._socket", "ssl")))
                tls.sendall(b".")
    assert results[1] == results[0]
    assert results[0][0] == "ValueError"


def test_makefile_reads_lines(root_ca, stdlib_server):
    def handler(tls):
        tls.sendall(b"first line\nsecond line\n")
        tls.recv(1)

    with stdlib_server(handler) as server:
        with swift_client(server, root_ca) as tls:
            with tls.makefile("rb") as reader:
                assert reader.readline() == b"first line\n"
                assert reader.readline() == b"second line\n"
            tls.sendall(b".")


def test_accept_on_a_wrapped_listener(root_ca, server_cert):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(io.StringIO(server_cert.combined_pem.decode()))
    listener = context.wrap_socket(socket.create_server(("127.0.0.1", 0)), server_side=True)
    with listener:
        listener.settimeout(10)
        port = listener.getsockname()[1]
        result = {}

        def client():
            client_context = ssl.create_default_context(cadata=root_ca.cert_pem.decode())
            with client_context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                            server_hostname="localhost") as tls:
                tls.sendall(b"via accept\n")
                result["answer"] = tls.recv(100)

        thread = threading.Thread(target=client)
        thread.start()
        connection, address = listener.accept()
        with connection:
            assert isinstance(connection, swiftssl.SSLSocket)
            assert connection.server_side
            echo_upper_line(connection)
        thread.join(10)
    assert result["answer"] == b"VIA ACCEPT\n"


# -- more behaviours compared with stdlib on the same server ---------------------------------------

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
