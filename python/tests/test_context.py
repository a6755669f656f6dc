"""Context factories (python/swiftssl/_context.py): PEP 493's PYTHONHTTPSVERIFY acting through
``_create_default_https_context``, and the defaults of ``create_default_context`` compared with
CPython's. Handshakes are real, against a stdlib ``ssl`` server presenting a self-signed
certificate made at test time.
"""

import os
import socket
import ssl
import subprocess
import sys
import textwrap

import pytest

import swiftssl
from tls_support import LoopbackServer, outcome, self_signed


@pytest.fixture
def untrusted_server(tmp_path):
    """A stdlib server whose certificate (self-signed, for localhost) nobody trusts."""
    certificate = self_signed("localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate.write(tmp_path))

    def make(connections=1):
        return LoopbackServer(lambda raw: context.wrap_socket(raw, server_side=True), lambda tls: tls.recv(1),
                              connections=connections)
    return make


def handshake_with(context, server):
    tls = context.wrap_socket(server.connect(), server_hostname="localhost")
    with tls:
        tls.sendall(b".")
        return tls.version()


@pytest.mark.parametrize("value", [None, "1", "yes", ""], ids=["unset", "1", "yes", "empty"])
def test_https_context_verifies_unless_told_otherwise(value, monkeypatch, untrusted_server):
    if value is None:
        monkeypatch.delenv("PYTHONHTTPSVERIFY", raising=False)
    else:
        monkeypatch.setenv("PYTHONHTTPSVERIFY", value)
    context = swiftssl._create_default_https_context()
    assert context.verify_mode == swiftssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.protocol == swiftssl.PROTOCOL_TLS_CLIENT
    with untrusted_server() as server:
        result = outcome(lambda: handshake_with(context, server))
    assert result["class"] == "SSLCertVerificationError"
    assert result["verify_code"] == 18


def test_https_verification_off_with_zero(monkeypatch, untrusted_server):
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    context = swiftssl._create_default_https_context()
    assert context.verify_mode == swiftssl.CERT_NONE
    assert context.check_hostname is False
    with untrusted_server() as server:
        assert handshake_with(context, server) == "TLSv1.3"


def test_variable_is_read_on_each_call(monkeypatch):
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    assert swiftssl._create_default_https_context().verify_mode == swiftssl.CERT_NONE
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "1")
    assert swiftssl._create_default_https_context().verify_mode == swiftssl.CERT_REQUIRED


@pytest.mark.parametrize("value,expected", [("0", "CERT_NONE False"), ("1", "CERT_REQUIRED True"),
                                            (None, "CERT_REQUIRED True")])
def test_environment_of_a_fresh_process(value, expected):
    """As App Engine sets it: in the environment before the interpreter starts."""
    script = textwrap.dedent("""
        import swiftssl
        context = swiftssl._create_default_https_context()
        print(swiftssl.VerifyMode(context.verify_mode).name, context.check_hostname)
    """)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    environment.pop("PYTHONHTTPSVERIFY", None)
    if value is not None:
        environment["PYTHONHTTPSVERIFY"] = value
    completed = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True,
                               text=True, timeout=30)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == expected


def test_create_default_context_matches_stdlib():
    ours, theirs = swiftssl.create_default_context(), ssl.create_default_context()
    for attribute in ("verify_mode", "check_hostname", "protocol", "minimum_version", "maximum_version",
                      "verify_flags", "options", "hostname_checks_common_name", "security_level"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute


def test_server_purpose_context_matches_stdlib():
    ours = swiftssl.create_default_context(swiftssl.Purpose.CLIENT_AUTH)
    theirs = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    for attribute in ("verify_mode", "check_hostname", "protocol", "minimum_version"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute


def test_check_hostname_requires_server_hostname_like_stdlib():
    results = []
    for module in (ssl, swiftssl):
        left, right = socket.socketpair()
        with left, right:
            results.append(outcome(lambda: module.create_default_context().wrap_socket(left)))
    assert results[1]["class"] == results[0]["class"] == "ValueError"
    assert results[1]["message"] == results[0]["message"]
