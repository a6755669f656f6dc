"""Unmodified pre-3.12 code (``ssl.wrap_socket`` + ``ssl.match_hostname``) run through
``python -m swiftssl.run`` against a local TLS server, on whichever interpreter runs the suite
(3.12 and 3.13 removed both functions from the stdlib; swiftssl brings them back).

The server is CPython's own ``ssl`` in this process; its certificate comes from ``trustme``.
"""

import socket
import ssl as stdlib_ssl
import subprocess
import sys
import textwrap
import threading

import pytest

trustme = pytest.importorskip("trustme")

LEGACY_CLIENT = textwrap.dedent(
    """
    import socket, ssl, sys

    port, cafile, hostname = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    raw = socket.create_connection(("127.0.0.1", port))
    sock = ssl.wrap_socket(raw, cert_reqs=ssl.CERT_REQUIRED, ca_certs=cafile,
                           ssl_version=ssl.PROTOCOL_SSLv23)
    try:
        ssl.match_hostname(sock.getpeercert(), hostname)
    except ssl.CertificateError as error:
        print("MISMATCH", error.args[0])
        sys.exit(3)
    sock.sendall(b"hello")
    print("REPLY", sock.recv(100).decode(), sock.version(), ssl.__name__)
    """
)


@pytest.fixture
def tls_server(tmp_path):
    authority = trustme.CA()
    leaf = authority.issue_cert("legacy.example")
    context = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)
    port = listener.getsockname()[1]

    def serve():
        try:
            connection, _ = listener.accept()
            with context.wrap_socket(connection, server_side=True) as tls:
                data = tls.recv(100)
                if data:
                    tls.sendall(data.upper())
        except (OSError, stdlib_ssl.SSLError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    cafile = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(cafile))
    script = tmp_path / "legacy_client.py"
    script.write_text(LEGACY_CLIENT)
    yield port, str(cafile), str(script)
    listener.close()
    thread.join(timeout=5)


def run_legacy(script, *arguments):
    return subprocess.run(
        [sys.executable, "-m", "swiftssl.run", script, *map(str, arguments)],
        capture_output=True, text=True, timeout=60)


def test_unmodified_legacy_script_verifies_and_talks(tls_server):
    port, cafile, script = tls_server
    result = run_legacy(script, port, cafile, "legacy.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["REPLY", "HELLO", "TLSv1.3", "swiftssl"]


def test_unmodified_legacy_script_rejects_wrong_hostname(tls_server):
    port, cafile, script = tls_server
    result = run_legacy(script, port, cafile, "other.example")
    assert result.returncode == 3, result.stderr
    assert "MISMATCH hostname 'other.example' doesn't match 'legacy.example'" in result.stdout


def test_unmodified_legacy_script_refuses_untrusted_server(tls_server, tmp_path):
    port, _, script = tls_server
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    result = run_legacy(script, port, stranger, "legacy.example")
    assert result.returncode != 0
    assert "SSLCertVerificationError" in result.stderr
    assert "certificate verify failed" in result.stderr


def test_run_without_arguments_prints_usage():
    result = subprocess.run([sys.executable, "-m", "swiftssl.run"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "swiftssl.run SCRIPT" in result.stdout
