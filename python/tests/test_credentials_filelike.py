"""File-like credentials and hostile content (Sources/SwiftSSLPython/CredentialArguments.swift).

A ``read()`` that raises, returns None, an int, or garbage must give a clear Python exception
(the raised one unchanged; TypeError; SSLError), never a crash. Where CPython can be asked the
same question (the same bytes in a file), swiftssl must answer with the same exception class,
library and reason. Certificates are made at test time (conftest.py).
"""

import io
import os
import socket
import ssl
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings, strategies

import swiftssl
from tls_support import CertificateAuthority, outcome


class Reader:
    """A file-like object whose ``read()`` returns (or raises) whatever it was given."""

    def __init__(self, result):
        self.result = result
        self.calls = 0

    def read(self):
        self.calls += 1
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


ROLES = ["certfile", "keyfile", "ca_certs"]


def legacy_call(role, reader, server_cert, root_ca):
    """swiftssl.wrap_socket with ``reader`` in ``role`` and valid content everywhere else."""
    arguments = {"certfile": server_cert.cert_pem, "keyfile": server_cert.key_pem,
                 "ca_certs": root_ca.cert_pem}
    arguments[role] = reader
    left, right = socket.socketpair()
    with left, right:
        return outcome(lambda: swiftssl.wrap_socket(
            left, server_side=True, cert_reqs=swiftssl.CERT_REQUIRED, do_handshake_on_connect=False,
            **arguments))


def context_call(role, reader, server_cert, root_ca):
    """The same through SSLContext.load_cert_chain / load_verify_locations."""
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    if role == "ca_certs":
        return outcome(lambda: context.load_verify_locations(reader))
    if role == "certfile":
        return outcome(lambda: context.load_cert_chain(reader, io.BytesIO(server_cert.key_pem)))
    return outcome(lambda: context.load_cert_chain(io.BytesIO(server_cert.cert_pem), reader))


CALLS = {"wrap_socket": legacy_call, "SSLContext": context_call}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("role", ROLES)
def test_read_raising_propagates_unchanged(call, role, server_cert, root_ca):
    marker = KeyError("the database row is gone")
    reader = Reader(marker)
    result = CALLS[call](role, reader, server_cert, root_ca)
    assert result["error"] is marker
    assert reader.calls == 1


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("value", [None, 42, 3.5, ["-----BEGIN"]], ids=["None", "int", "float", "list"])
def test_read_returning_a_non_string_is_type_error(call, role, value, server_cert, root_ca):
    result = CALLS[call](role, Reader(value), server_cert, root_ca)
    assert result["class"] == "TypeError", result
    assert "read()" in result["message"] and type(value).__name__ in result["message"]


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("content", [
    b"", "", b"not PEM at all\n", "not PEM at all\n",
    b"-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n",
    b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    bytes(range(256)) * 4, "\u00e9\u4e2d\U0001f600 -----BEGIN CERTIFICATE-----",
], ids=["empty-bytes", "empty-str", "text-bytes", "text-str", "bad-base64", "bad-key", "noise",
        "non-ascii-str"])
def test_read_returning_garbage_is_a_clear_error(call, role, content, server_cert, root_ca):
    result = CALLS[call](role, Reader(content), server_cert, root_ca)
    assert not result["ok"]
    assert isinstance(result["error"], (swiftssl.SSLError, ValueError)), result
    # An empty CA file is an SSLError in CPython (NO_CERTIFICATE_OR_CRL_FOUND), like any garbage.
    assert isinstance(result["error"], swiftssl.SSLError), result


@pytest.mark.parametrize("role", ROLES)
def test_a_file_like_object_passed_again_without_seek_is_told_so(role, server_cert, root_ca):
    """App Engine code keeps one BytesIO for every wrap_socket: the second call reads nothing.
    The SSLError says what happened rather than OpenSSL's bare "[SSL] PEM lib"."""
    content = {"certfile": server_cert.cert_pem, "keyfile": server_cert.key_pem,
               "ca_certs": root_ca.cert_pem}[role]
    kept = io.BytesIO(content)
    assert legacy_call(role, kept, server_cert, root_ca)["ok"]
    again = legacy_call(role, kept, server_cert, root_ca)
    assert again["class"] == "SSLError", again
    assert f"{role}.read() returned nothing" in again["message"]
    assert "seek(0)" in again["message"]
    kept.seek(0)
    assert legacy_call(role, kept, server_cert, root_ca)["ok"]


def test_read_with_required_argument_propagates_type_error(server_cert, root_ca):
    class NeedsSize:
        def read(self, size):
            return b""
    result = legacy_call("ca_certs", NeedsSize(), server_cert, root_ca)
    assert result["class"] == "TypeError"


def test_read_is_called_once_and_the_result_used_whole(server_cert, root_ca):
    """A reader is read once, with no size argument; returning the PEM in one go is enough."""
    reader = Reader(server_cert.cert_pem + server_cert.key_pem)
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(reader)
    assert reader.calls == 1


@pytest.mark.parametrize("reader_type", [bytearray, memoryview], ids=["bytearray", "memoryview"])
def test_read_may_return_any_bytes_like(reader_type, server_cert):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(Reader(reader_type(server_cert.cert_pem)), Reader(reader_type(server_cert.key_pem)))


def test_object_without_read_or_path_is_type_error():
    left, right = socket.socketpair()
    with left, right:
        result = outcome(lambda: swiftssl.wrap_socket(left, server_side=True, certfile=object()))
    assert result["class"] == "TypeError"
    assert "certfile" in result["message"]


def test_nul_byte_in_path_is_value_error():
    left, right = socket.socketpair()
    with left, right:
        result = outcome(lambda: swiftssl.wrap_socket(left, server_side=True, certfile="cert\0.pem"))
    assert result["class"] == "ValueError"


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_bad_paths_raise_the_oserror_stdlib_raises(kind, tmp_path):
    path = tmp_path / "absent.pem" if kind == "missing" else tmp_path
    results = [outcome(lambda: module.SSLContext(module.PROTOCOL_TLS_SERVER).load_cert_chain(str(path)))
               for module in (ssl, swiftssl)]
    stdlib_result, swift_result = results
    assert swift_result["class"] == stdlib_result["class"]
    assert swift_result["errno"] == stdlib_result["errno"]


# -- same content as a file: stdlib is the oracle --------------------------------------------

def _content_cases(server_cert, other_cert):
    certificate, key = server_cert.cert_pem, server_cert.key_pem
    return {
        "empty-certificate": (b"", key),
        "text-certificate": (b"not pem\n", key),
        "bad-base64-certificate": (b"-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n", key),
        "truncated-certificate": (certificate[: len(certificate) // 2], key),
        "key-as-certificate": (key, key),
        "certificate-as-key": (certificate, certificate),
        "empty-key": (certificate, b""),
        "bad-key": (certificate, b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        "mismatched-key": (certificate, other_cert.key_pem),
    }


@pytest.mark.parametrize("case", ["empty-certificate", "text-certificate", "bad-base64-certificate",
                                  "truncated-certificate", "key-as-certificate", "certificate-as-key",
                                  "empty-key", "bad-key", "mismatched-key"])
@pytest.mark.parametrize("form", ["BytesIO", "path"])
def test_bad_chain_content_matches_stdlib(case, form, server_cert, root_ca, tmp_path):
    other = root_ca.issue("other.example")
    certificate, key = _content_cases(server_cert, other)[case]
    (tmp_path / "c.pem").write_bytes(certificate)
    (tmp_path / "k.pem").write_bytes(key)
    expected = outcome(lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
        tmp_path / "c.pem", tmp_path / "k.pem"))
    if form == "path":
        arguments = (tmp_path / "c.pem", tmp_path / "k.pem")
    else:
        arguments = (io.BytesIO(certificate), io.BytesIO(key))
    actual = outcome(lambda: swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER).load_cert_chain(*arguments))
    assert not expected["ok"]
    if form == "BytesIO" and case.startswith("empty-"):
        # A read() that returns nothing is named (the file-like object was read before):
        # test_a_file_like_object_passed_again_without_seek_is_told_so. The class stays.
        assert (actual["class"], expected["class"]) == ("SSLError", "SSLError")
        assert "read() returned nothing" in actual["message"], actual
        return
    assert (actual["class"], actual["library"], actual["reason"]) == \
        (expected["class"], expected["library"], expected["reason"])
    assert isinstance(actual["error"], ssl.SSLError)


@pytest.mark.parametrize("content", [b"", b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"],
                         ids=["empty", "garbage", "bad-base64"])
@pytest.mark.parametrize("form", ["BytesIO", "path"])
def test_bad_ca_file_content_is_ssl_error_like_stdlib(content, form, tmp_path):
    (tmp_path / "ca.pem").write_bytes(content)
    expected = outcome(lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(tmp_path / "ca.pem"))
    source = tmp_path / "ca.pem" if form == "path" else io.BytesIO(content)
    actual = outcome(lambda: swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT).load_verify_locations(source))
    assert expected["class"] == actual["class"] == "SSLError", (expected, actual)


# -- fuzzing and crash-proofing ----------------------------------------------------------------

PEM_FRAGMENTS = [b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n",
                 b"-----BEGIN PRIVATE KEY-----\n", b"-----END PRIVATE KEY-----\n",
                 b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n", b"MIIB", b"AAAA", b"====\n", b"\0", b"\n"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fragments=strategies.lists(strategies.one_of(strategies.sampled_from(PEM_FRAGMENTS),
                                                    strategies.binary(max_size=64)), max_size=12),
       role=strategies.sampled_from(ROLES), as_text=strategies.booleans())
def test_fuzzed_reader_content_never_crashes(fragments, role, as_text, server_cert, root_ca):
    content = b"".join(fragments)
    value = content.decode("latin-1") if as_text else content
    result = legacy_call(role, Reader(value), server_cert, root_ca)
    if not result["ok"]:
        assert isinstance(result["error"], (swiftssl.SSLError, ValueError, TypeError)), result
    else:
        result["value"].close()


def test_hostile_readers_do_not_kill_the_process(tmp_path):
    """All hostile readers in one fresh interpreter: it must exit normally and report each error.

    Run out of process so that a crash (a signal) shows as a failed return code, not a dead
    test runner.
    """
    root = CertificateAuthority("crash-proof root")
    leaf = root.issue("localhost")
    script = textwrap.dedent(f"""
        import io, socket, swiftssl
        certificate, key = {leaf.cert_pem!r}, {leaf.key_pem!r}
        class Reader:
            def __init__(self, result): self.result = result
            def read(self):
                if isinstance(self.result, BaseException): raise self.result
                return self.result
        hostile = [RuntimeError("boom"), None, 7, b"", b"garbage", "\\udcff", b"\\0" * 100000,
                   b"-----BEGIN CERTIFICATE-----\\n" * 1000]
        for role in ("certfile", "keyfile", "ca_certs"):
            for value in hostile:
                arguments = dict(certfile=certificate, keyfile=key, ca_certs=certificate)
                arguments[role] = Reader(value)
                left, right = socket.socketpair()
                try:
                    swiftssl.wrap_socket(left, server_side=True, cert_reqs=swiftssl.CERT_REQUIRED,
                                         do_handshake_on_connect=False, **arguments)
                    print(role, "accepted")
                except Exception as error:
                    print(role, type(error).__name__)
                finally:
                    left.close(); right.close()
        print("survived")
    """)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    completed = subprocess.run([sys.executable, "-W", "ignore", "-c", script], env=environment,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, (completed.returncode, completed.stderr[-2000:])
    lines = completed.stdout.splitlines()
    assert lines[-1] == "survived"
    assert len(lines) == 3 * 8 + 1
    assert not any(line.endswith("accepted") for line in lines), lines
    assert lines[0] == "certfile RuntimeError" and lines[1] == "certfile TypeError"


