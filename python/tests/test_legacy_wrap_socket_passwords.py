"""Module-level ``swiftssl.wrap_socket`` with an encrypted private key: every form of ``password``
works, and wrong, missing, raising, mistyped and over-long passwords fail as CPython's do.

Handshakes are real, on 127.0.0.1, with CPython's stdlib ``ssl`` as the client; certificates come
from the session PKI in conftest.py (made at test time with cryptography).
"""

import io
import socket
import ssl

import pytest

import swiftssl
from legacy_wrap_socket_support import stdlib_client, talk
from tls_support import LoopbackServer, echo_upper_line, outcome

PASSWORD = "correct horse battery staple"


def password_forms():
    return {
        "str": PASSWORD,
        "bytes": PASSWORD.encode(),
        "callable-str": lambda: PASSWORD,
        "callable-bytes": lambda: PASSWORD.encode(),
    }


@pytest.mark.parametrize("password_form", list(password_forms()))
@pytest.mark.parametrize("layout", ["separate-keyfile", "combined-certfile"])
def test_encrypted_key_with_password(password_form, layout, root_ca, server_cert):
    encrypted = server_cert.encrypted_key_pem(PASSWORD.encode())
    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    password = password_forms()[password_form]
    if layout == "separate-keyfile":
        arguments = dict(certfile=io.BytesIO(server_cert.cert_pem), keyfile=io.BytesIO(encrypted))
    else:
        arguments = dict(certfile=server_cert.cert_pem + encrypted)
    wrap = lambda raw: swiftssl.wrap_socket(raw, server_side=True, password=password, **arguments)
    with LoopbackServer(wrap, echo_upper_line) as server:
        with stdlib_client(root_ca)(server) as tls:
            assert talk(tls) == b"HELLO SWIFTSSL\n"
    assert server.errors == []


def _wrap_with_password(server_cert, password):
    encrypted = server_cert.encrypted_key_pem(PASSWORD.encode())
    left, right = socket.socketpair()
    try:
        return outcome(lambda: swiftssl.wrap_socket(
            left, server_side=True, certfile=server_cert.cert_pem, keyfile=encrypted,
            password=password, do_handshake_on_connect=False))
    finally:
        left.close()
        right.close()


def test_wrong_password_is_an_ssl_error(server_cert):
    result = _wrap_with_password(server_cert, "wrong password")
    assert not result["ok"]
    assert isinstance(result["error"], swiftssl.SSLError)


def test_missing_password_for_encrypted_key_is_an_ssl_error(server_cert):
    # No password and no terminal: OpenSSL must not prompt on stdin.
    result = _wrap_with_password(server_cert, None)
    assert not result["ok"]
    assert isinstance(result["error"], swiftssl.SSLError)


def test_password_callable_raising_propagates_unchanged(server_cert):
    marker = LookupError("from the password callback")

    def password():
        raise marker
    result = _wrap_with_password(server_cert, password)
    assert result["error"] is marker


def test_password_callable_returning_int_is_type_error(server_cert):
    result = _wrap_with_password(server_cert, lambda: 42)
    assert isinstance(result["error"], TypeError)
    assert "password callback must return a string" in str(result["error"])


def test_password_of_wrong_type_is_type_error(server_cert):
    result = _wrap_with_password(server_cert, 3.5)
    assert isinstance(result["error"], TypeError)
    assert "password should be a string or callable" in str(result["error"])


@pytest.mark.parametrize("password", [
    "x" * 1025, lambda: "x" * 1025, lambda: b"x" * 1025, b"x" * 1024, "", lambda: "wrong", lambda: None,
], ids=["str-too-long", "callable-too-long-str", "callable-too-long-bytes", "bytes-1024-wrong", "empty",
        "callable-wrong", "callable-None"])
def test_password_edge_cases_match_stdlib(password, server_cert, tmp_path):
    """The same encrypted key and password through stdlib's load_cert_chain (the oracle) and
    swiftssl's wrap_socket(password=...): same exception class and message."""
    encrypted = server_cert.encrypted_key_pem(PASSWORD.encode())
    (tmp_path / "cert.pem").write_bytes(server_cert.cert_pem)
    (tmp_path / "key.pem").write_bytes(encrypted)
    expected = outcome(lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
        tmp_path / "cert.pem", tmp_path / "key.pem", password=password))
    left, right = socket.socketpair()
    with left, right:
        actual = outcome(lambda: swiftssl.wrap_socket(left, server_side=True, certfile=server_cert.cert_pem,
                                                      keyfile=io.BytesIO(encrypted), password=password,
                                                      do_handshake_on_connect=False))
    assert not expected["ok"]
    assert (actual["class"], actual["message"]) == (expected["class"], expected["message"])
