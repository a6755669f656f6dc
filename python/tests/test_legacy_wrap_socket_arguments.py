"""Module-level ``swiftssl.wrap_socket``: its other arguments (``server_hostname`` and SNI,
``cert_reqs`` without ``ca_certs``, ``do_handshake_on_connect``, ``suppress_ragged_eofs``,
``ciphers``, ``ssl_version``), and CPython 3.11's signature, argument errors and error numbers,
compared with ``tls_support.stdlib_oracle`` (the live ``ssl.wrap_socket`` up to 3.11, a replica
of it after).

Handshakes are real, on 127.0.0.1, with CPython's stdlib ``ssl`` on the other end; certificates
come from the session PKI in conftest.py (made at test time with cryptography).
"""

import os
import socket
import ssl
import subprocess
import sys
import textwrap
import warnings

import pytest

import swiftssl
from legacy_wrap_socket_support import talk
from tls_support import LoopbackServer, echo_upper_line, outcome, stdlib_oracle, wrap_socket_as_in_python_311


@pytest.mark.parametrize("arguments", [
    dict(server_side=True),
    dict(keyfile="key.pem"),
])
def test_argument_errors_match_cpython(arguments):
    results = []
    for module in (stdlib_oracle, swiftssl):
        left, right = socket.socketpair()
        with left, right:
            results.append(outcome(lambda: module.wrap_socket(left, **arguments)))
    stdlib_result, swift_result = results
    assert not stdlib_result["ok"]
    assert (swift_result["class"], swift_result["message"]) == (stdlib_result["class"], stdlib_result["message"])


def test_server_hostname_sends_sni_without_verifying_when_cert_none(root_ca, stdlib_server_context,
                                                                     stdlib_server):
    seen = []
    stdlib_server_context.sni_callback = lambda sslobj, name, context: seen.append(name)
    with stdlib_server(echo_upper_line) as server:
        # CERT_NONE: the name is sent as SNI but a mismatching certificate is accepted.
        with swiftssl.wrap_socket(server.connect(), server_hostname="not-the-cert.example") as tls:
            assert talk(tls) == b"HELLO SWIFTSSL\n"
            assert tls.server_hostname == "not-the-cert.example"
    assert seen == ["not-the-cert.example"]


def test_server_hostname_is_checked_when_verifying(root_ca, stdlib_server):
    with stdlib_server(echo_upper_line) as server:
        with pytest.raises(swiftssl.SSLCertVerificationError) as caught:
            swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED,
                                 ca_certs=root_ca.cert_pem, server_hostname="not-the-cert.example")
    assert caught.value.verify_code == 62  # X509_V_ERR_HOSTNAME_MISMATCH
    assert caught.value.verify_message == "Hostname mismatch, certificate is not valid for 'not-the-cert.example'."


def test_no_server_hostname_means_no_hostname_check(root_ca, stdlib_server):
    """As CPython 3.11's wrap_socket: without server_hostname only the chain is verified."""
    with stdlib_server(echo_upper_line) as server:
        with swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED,
                                  ca_certs=root_ca.cert_pem) as tls:
            assert talk(tls) == b"HELLO SWIFTSSL\n"


def test_cert_required_without_ca_certs_uses_system_store(stdlib_server):
    """The session CA is not in the system store, so verification fails with 'unable to get
    local issuer certificate' (the same as stdlib with load_default_certs)."""
    with stdlib_server(echo_upper_line, connections=2) as server:
        with pytest.raises(swiftssl.SSLCertVerificationError) as caught:
            swiftssl.wrap_socket(server.connect(), cert_reqs=swiftssl.CERT_REQUIRED,
                                 server_hostname="localhost")
        oracle = ssl.create_default_context()
        with pytest.raises(ssl.SSLCertVerificationError) as expected:
            oracle.wrap_socket(server.connect(), server_hostname="localhost")
    assert caught.value.verify_code == expected.value.verify_code == 20


def test_cert_required_without_ca_certs_trusts_what_the_system_store_holds(root_ca, server_cert, tmp_path):
    """In a fresh interpreter whose OpenSSL default store (SSL_CERT_FILE) is our root, the same
    call verifies: the default store really is what is consulted."""
    (tmp_path / "system.pem").write_bytes(root_ca.cert_pem)
    certificate_path, key_path = server_cert.write(tmp_path, "server")
    script = textwrap.dedent(f"""
        import socket, ssl, threading, swiftssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain({certificate_path!r}, {key_path!r})
        listener = socket.create_server(("127.0.0.1", 0))
        def serve():
            raw, _ = listener.accept()
            with context.wrap_socket(raw, server_side=True) as tls:
                tls.sendall(b"ok")
        threading.Thread(target=serve, daemon=True).start()
        raw = socket.create_connection(listener.getsockname(), timeout=10)
        tls = swiftssl.wrap_socket(raw, cert_reqs=swiftssl.CERT_REQUIRED, server_hostname="localhost")
        print(tls.recv(2).decode(), tls.version())
    """)
    environment = dict(os.environ, SSL_CERT_FILE=str(tmp_path / "system.pem"),
                       SSL_CERT_DIR=str(tmp_path / "no-such-dir"),
                       PYTHONPATH=os.pathsep.join(sys.path))
    completed = subprocess.run([sys.executable, "-W", "ignore", "-c", script], env=environment,
                               capture_output=True, text=True, timeout=30)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("ok TLSv1.3")


def test_do_handshake_on_connect_false_defers_the_handshake(stdlib_server):
    with stdlib_server(echo_upper_line) as server:
        with swiftssl.wrap_socket(server.connect(), do_handshake_on_connect=False) as tls:
            assert tls.version() is None
            assert tls.cipher() is None
            tls.do_handshake()
            assert tls.version() == "TLSv1.3"
            assert talk(tls) == b"HELLO SWIFTSSL\n"


@pytest.mark.parametrize("suppress", [True, False])
def test_suppress_ragged_eofs_like_stdlib(suppress, stdlib_server):
    """A stdlib server's close() sends no close_notify: a ragged EOF, suppressed or raised."""
    def handler(tls):
        tls.sendall(b"bye")
    results = []
    with stdlib_server(handler, connections=2) as server:
        for module in (stdlib_oracle, swiftssl):
            tls = module.wrap_socket(server.connect(), suppress_ragged_eofs=suppress)
            with tls:
                assert tls.recv(3) == b"bye"
                results.append(outcome(lambda: tls.recv(10)))
    stdlib_result, swift_result = results
    if suppress:
        assert stdlib_result == swift_result == {"ok": True, "value": b""}
    else:
        assert swift_result["class"] == stdlib_result["class"] == "SSLEOFError"
        assert swift_result["errno"] == stdlib_result["errno"] == swiftssl.SSL_ERROR_EOF
        assert isinstance(swift_result["error"], ssl.SSLEOFError)


def test_ciphers_and_ssl_version(stdlib_server):
    chosen = "ECDHE-ECDSA-AES128-GCM-SHA256"
    with stdlib_server(echo_upper_line) as server:
        with swiftssl.wrap_socket(server.connect(), ssl_version=swiftssl.PROTOCOL_TLSv1_2,
                                  ciphers=chosen) as tls:
            assert tls.version() == "TLSv1.2"
            assert tls.cipher()[0] == chosen
            assert talk(tls) == b"HELLO SWIFTSSL\n"


def test_unusable_cipher_string_matches_cpython():
    results = []
    for module in (stdlib_oracle, swiftssl):
        left, right = socket.socketpair()
        with left, right:
            results.append(outcome(lambda: module.wrap_socket(left, ciphers="NO-SUCH-CIPHER")))
    stdlib_result, swift_result = results
    assert swift_result["class"] == stdlib_result["class"] == "SSLError"
    # CPython raises a bare SSLError("No cipher can be selected.") (str() is then the args tuple);
    # swiftssl adds errno 1. The message argument itself must be the same.
    assert swift_result["error"].args[-1] == stdlib_result["error"].args[-1] == "No cipher can be selected."


def test_returns_an_sslsocket_and_detaches_the_original(stdlib_server):
    with stdlib_server(echo_upper_line) as server:
        raw = server.connect()
        descriptor = raw.fileno()
        with swiftssl.wrap_socket(raw) as tls:
            assert isinstance(tls, swiftssl.SSLSocket)
            assert isinstance(tls, socket.socket)
            assert tls.fileno() == descriptor
            assert raw.fileno() == -1
            assert talk(tls) == b"HELLO SWIFTSSL\n"


def test_signature_is_cpython_311s_plus_keyword_only_extensions():
    import inspect
    ours = inspect.signature(swiftssl.wrap_socket).parameters
    theirs = inspect.signature(stdlib_oracle.wrap_socket).parameters
    positional = [name for name, parameter in ours.items() if parameter.kind is parameter.POSITIONAL_OR_KEYWORD]
    assert positional == list(theirs)
    for name in theirs:
        assert ours[name].default == theirs[name].default, name
    assert {name for name, parameter in ours.items() if parameter.kind is parameter.KEYWORD_ONLY} >= \
        {"server_hostname"}


def _wrap_socket_state(function, arguments):
    """What ``function(sock, **arguments)`` did (no handshake): the outcome, and for a socket its
    settings and its context's."""
    left, right = socket.socketpair()
    with left, right:
        result = outcome(lambda: function(left, do_handshake_on_connect=False, **arguments))
        if not result["ok"]:
            return {key: value for key, value in result.items() if key != "error"}
        with result["value"] as tls:
            context = tls.context
            return {
                "type": type(tls), "server_side": tls.server_side, "server_hostname": tls.server_hostname,
                "do_handshake_on_connect": tls.do_handshake_on_connect,
                "suppress_ragged_eofs": tls.suppress_ragged_eofs, "protocol": context.protocol,
                "verify_mode": context.verify_mode, "check_hostname": context.check_hostname,
                "verify_flags": context.verify_flags, "options": context.options,
                "versions": (context.minimum_version, context.maximum_version),
                "ciphers": [cipher["name"] for cipher in context.get_ciphers()],
                "cert_store_stats": context.cert_store_stats(), "ca_certs": context.get_ca_certs(),
            }


@pytest.mark.skipif(not hasattr(ssl, "wrap_socket"),
                    reason="checks the replica against the live stdlib ssl.wrap_socket, which exists only "
                           "up to Python 3.11")
def test_the_stdlib_oracle_replica_is_what_python_311_does(pem_files):
    """tls_support.wrap_socket_as_in_python_311, the oracle on 3.12+, against the real 3.11
    ``ssl.wrap_socket``: same signature, and for each call the same error or a socket with the same
    settings and the same context."""
    import inspect
    import warnings
    assert inspect.signature(wrap_socket_as_in_python_311) == inspect.signature(ssl.wrap_socket)
    calls = [
        {}, dict(server_side=True), dict(keyfile=str(pem_files["key"])),
        dict(ciphers="NO-SUCH-CIPHER"), dict(ca_certs=str(pem_files["dir"] / "missing.pem")),
        dict(certfile=str(pem_files["dir"] / "missing.pem")),
        dict(cert_reqs=ssl.CERT_REQUIRED, ca_certs=str(pem_files["ca"])),
        dict(cert_reqs=ssl.CERT_OPTIONAL, ca_certs=str(pem_files["ca"]), suppress_ragged_eofs=False),
        dict(server_side=True, certfile=str(pem_files["combined"])),
        dict(server_side=True, keyfile=str(pem_files["key"]), certfile=str(pem_files["cert"]),
             cert_reqs=ssl.CERT_REQUIRED, ca_certs=str(pem_files["ca"])),
        dict(ssl_version=ssl.PROTOCOL_TLSv1_2, ciphers="ECDHE+AESGCM"),
        dict(ssl_version=ssl.PROTOCOL_TLS_CLIENT, cert_reqs=ssl.CERT_REQUIRED, ca_certs=str(pem_files["ca"])),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.11's wrap_socket and PROTOCOL_TLS
        for arguments in calls:
            live = _wrap_socket_state(ssl.wrap_socket, arguments)
            replica = _wrap_socket_state(wrap_socket_as_in_python_311, arguments)
            assert replica == live, arguments
    assert stdlib_oracle.wrap_socket is ssl.wrap_socket  # the live one is the oracle where it exists


def test_positional_call_in_cpython_order(root_ca, server_cert, pem_files):
    """wrap_socket(sock, keyfile, certfile, server_side, cert_reqs, ssl_version, ca_certs,
    do_handshake_on_connect, suppress_ragged_eofs, ciphers), all positional, on both ends."""
    wrap = lambda raw: swiftssl.wrap_socket(raw, str(pem_files["key"]), str(pem_files["cert"]), True,
                                            swiftssl.CERT_NONE, swiftssl.PROTOCOL_TLS, None, True, True, None)
    with LoopbackServer(wrap, echo_upper_line) as server:
        tls = swiftssl.wrap_socket(server.connect(), None, None, False, swiftssl.CERT_REQUIRED,
                                   swiftssl.PROTOCOL_TLS, str(pem_files["ca"]), True, True,
                                   "ECDHE+AESGCM:ECDHE+CHACHA20", server_hostname="localhost")
        with tls:
            assert tls.getpeercert(True) == server_cert.der
            assert talk(tls) == b"HELLO SWIFTSSL\n"
    assert server.errors == []


def test_a_bad_certfile_fails_with_cpythons_error_numbers(tmp_path):
    """wrap_socket loads its credentials as load_cert_chain does, with the same SSLError: library,
    reason and OpenSSL's reason number as errno (524297 for "[SSL] PEM lib")."""
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"not PEM\n")
    failures = []
    raw = socket.socket()
    for load in (lambda: swiftssl.wrap_socket(raw, certfile=str(garbage)),
                 lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(str(garbage))):
        with pytest.raises(ssl.SSLError) as raised:
            load()
        failures.append((raised.value.errno, raised.value.library, raised.value.reason))
    raw.close()
    assert failures[0] == failures[1]


LEGACY_ARGUMENT_CASES = {
    # CPython skips what is empty (`if ca_certs:`, `if certfile:`, `if ciphers:`).
    "ciphers ''": dict(ciphers=""), "ca_certs ''": dict(ca_certs=""), "certfile ''": dict(certfile=""),
    "keyfile '' beside a certfile": dict(certfile="combined", keyfile=""),
    # cert_reqs and ssl_version as SSLContext() and its verify_mode setter take them.
    "cert_reqs '2'": dict(cert_reqs="2", ca_certs="ca"), "cert_reqs 2.7": dict(cert_reqs=2.7, ca_certs="ca"),
    "cert_reqs 7": dict(cert_reqs=7), "ssl_version None": dict(ssl_version=None),
    "ssl_version '2'": dict(ssl_version="2"),
    # PROTOCOL_TLS_CLIENT checks names: CERT_NONE is refused, and a server_hostname required.
    "PROTOCOL_TLS_CLIENT": dict(ssl_version=ssl.PROTOCOL_TLS_CLIENT),
    "PROTOCOL_TLS_CLIENT, CERT_REQUIRED": dict(ssl_version=ssl.PROTOCOL_TLS_CLIENT, cert_reqs=ssl.CERT_REQUIRED,
                                               ca_certs="ca"),
    "PROTOCOL_TLS_CLIENT, CERT_OPTIONAL": dict(ssl_version=ssl.PROTOCOL_TLS_CLIENT, cert_reqs=ssl.CERT_OPTIONAL,
                                               ca_certs="ca"),
}


@pytest.mark.parametrize("case", LEGACY_ARGUMENT_CASES)
def test_arguments_are_taken_as_cpython_311_takes_them(case, pem_files):
    """Each case gives CPython 3.11's outcome: the same exception, or a socket whose context
    verifies and checks names as CPython's would. swiftssl turned PROTOCOL_TLS_CLIENT into a
    context that checked no name (or verified nothing), took '2' and 2.7 for a cert_reqs,
    refused ssl_version=None, and loaded empty credentials and ciphers."""
    arguments = {name: (str(pem_files[value]) if name in ("certfile", "ca_certs") and value else value)
                 for name, value in LEGACY_ARGUMENT_CASES[case].items()}

    def attempt(module):
        left, right = socket.socketpair()
        with left, right:
            def wrap():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    tls = module.wrap_socket(left, do_handshake_on_connect=False, **arguments)
                with tls:
                    return int(tls.context.verify_mode), tls.context.check_hostname
            result = outcome(wrap)
            return result["value"] if result["ok"] else (result["class"], result["message"])
    assert attempt(swiftssl) == attempt(stdlib_oracle)


def test_protocol_tls_client_with_a_server_hostname_checks_it(root_ca, stdlib_server):
    """The working form of PROTOCOL_TLS_CLIENT: verified, and the name checked."""
    with stdlib_server(echo_upper_line) as server:
        with pytest.raises(swiftssl.SSLCertVerificationError, match="Hostname mismatch"):
            swiftssl.wrap_socket(server.connect(), ssl_version=swiftssl.PROTOCOL_TLS_CLIENT,
                                 cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=root_ca.cert_pem,
                                 server_hostname="not-the-cert.example")
    with stdlib_server(echo_upper_line) as server:
        with swiftssl.wrap_socket(server.connect(), ssl_version=swiftssl.PROTOCOL_TLS_CLIENT,
                                  cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=root_ca.cert_pem,
                                  server_hostname="localhost") as tls:
            assert talk(tls) == b"HELLO SWIFTSSL\n"
