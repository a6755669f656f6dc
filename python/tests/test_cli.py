"""``python -m swiftssl``: each subcommand run as a subprocess, as a user would.

Real loopback only: ``serve --once`` in one subprocess with ``connect`` against it from another,
and ``connect`` against a stdlib ``ssl`` server in this process. Certificates come from the
session PKI of conftest.py (pyca/cryptography, made at test time).
"""

import json
import os
import re
import subprocess
import sys

import pytest

import swiftssl
from tls_support import NETWORK_TIMEOUT, self_signed

pytestmark = pytest.mark.timeout(120)

COMMAND = [sys.executable, "-m", "swiftssl"]


def run(*arguments, input=None, cwd=None):
    """Runs ``python -m swiftssl ARGUMENTS`` and returns the CompletedProcess (text mode)."""
    return subprocess.run(COMMAND + [str(argument) for argument in arguments], input=input,
                          capture_output=True, text=True, timeout=NETWORK_TIMEOUT * 4, cwd=cwd)


class Server:
    """``python -m swiftssl serve --once ...`` in a subprocess; ``port`` once it listens."""

    def __init__(self, *arguments, stdin_bytes=None):
        self.process = subprocess.Popen(
            COMMAND + ["serve", "--once", "--timeout", str(NETWORK_TIMEOUT)]
            + [str(argument) for argument in arguments],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if stdin_bytes is not None:
            self.process.stdin.write(stdin_bytes)
        self.process.stdin.close()
        first_line = self.process.stdout.readline().decode()
        match = re.match(r"listening on 127\.0\.0\.1:(\d+)", first_line)
        if not match:
            self.process.kill()
            raise AssertionError(f"serve did not start: {first_line!r} {self.process.stderr.read()!r}")
        self.port = int(match.group(1))

    def finish(self):
        """(exit status, stdout after the first line, stderr) once the one client is done."""
        try:
            self.process.wait(timeout=NETWORK_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        output, errors = self.process.stdout.read().decode(), self.process.stderr.read().decode()
        self.process.stdout.close()
        self.process.stderr.close()
        return self.process.returncode, output, errors


def field(output, label):
    """The value printed after ``label:`` in connect's output."""
    match = re.search(rf"^\s*{re.escape(label)}:\s+(.*)$", output, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{output}"
    return match.group(1)


# -- help --------------------------------------------------------------------------------------
def test_top_level_help_lists_every_command_and_the_run_module():
    result = run("--help")
    assert result.returncode == 0
    for command in ("connect", "serve", "check-hostname", "show", "python -m swiftssl.run"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["connect", "serve", "check-hostname", "show"])
def test_each_command_has_help(command):
    result = run(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: python -m swiftssl {command}")


def test_no_command_is_a_usage_error():
    result = run()
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_the_run_module_still_works():
    result = subprocess.run([sys.executable, "-m", "swiftssl.run", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "swiftssl.run" in result.stdout


# -- show and check-hostname -------------------------------------------------------------------
def test_show_prints_the_decoded_certificate(pem_files, server_cert):
    result = run("show", pem_files["cert"])
    assert result.returncode == 0, result.stderr
    assert "commonName=localhost" in field(result.stdout, "subject")
    assert field(result.stdout, "issuer") == "organizationName=swiftssl tests, commonName=swiftssl test root"
    assert field(result.stdout, "subjectAltName") == "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"
    # OpenSSL pads the hex to whole bytes: compare values.
    assert int(field(result.stdout, "serial number"), 16) == server_cert.certificate.serial_number


def test_show_json_is_the_getpeercert_dict(pem_files):
    result = run("show", "--json", pem_files["cert"])
    assert result.returncode == 0, result.stderr
    expected = swiftssl._swiftssl._test_decode_cert(str(pem_files["cert"]))
    assert json.loads(result.stdout) == json.loads(json.dumps(expected))


def test_show_reads_pem_from_stdin(server_cert):
    result = run("show", "--json", "-", input=server_cert.cert_pem.decode())
    assert result.returncode == 0, result.stderr
    assert ["DNS", "localhost"] in json.loads(result.stdout)["subjectAltName"]


def test_show_missing_file_is_one_line_error(tmp_path):
    result = run("show", tmp_path / "missing.pem")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"swiftssl show: error: cannot read certificate '{tmp_path / 'missing.pem'}': No such file or directory"]


def test_show_garbage_is_one_line_error(tmp_path):
    (tmp_path / "garbage.pem").write_text("not a certificate\n")
    result = run("show", tmp_path / "garbage.pem")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot decode the certificate" in result.stderr


@pytest.mark.parametrize("hostname", ["localhost", "LOCALHOST", "127.0.0.1", "::1"])
def test_check_hostname_match_exits_zero(pem_files, hostname):
    result = run("check-hostname", pem_files["cert"], hostname)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: ")


def test_check_hostname_mismatch_exits_one_with_cpythons_message(pem_files):
    result = run("check-hostname", pem_files["cert"], "www.example.com")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "swiftssl check-hostname: error: hostname 'www.example.com' doesn't match either of "
        "'localhost', '127.0.0.1', '0:0:0:0:0:0:0:1'")  # IPv6 as getpeercert() spells it


# -- serve + connect, both from the command line -----------------------------------------------
def test_connect_to_serve_verifies_and_echoes(pem_files):
    server = Server("--cert", pem_files["cert"], "--key", pem_files["key"], "--alpn", "h2")
    result = run("connect", f"127.0.0.1:{server.port}", "--cafile", pem_files["ca"],
                 "--servername", "localhost", "--alpn", "h2,http/1.1", "--send", "hello")
    status, output, errors = server.finish()
    assert result.returncode == 0, result.stderr
    assert field(result.stdout, "protocol") == "TLSv1.3"
    assert field(result.stdout, "cipher").startswith("TLS_")
    assert field(result.stdout, "ALPN") == "h2"
    assert field(result.stdout, "verification").startswith("OK")
    assert field(result.stdout, "hostname check") == "OK, 'localhost' matches the certificate"
    assert "commonName=localhost" in field(result.stdout, "subject")
    assert field(result.stdout, "reply") == "'hello'"
    assert status == 0, errors
    assert "ALPN h2" in output and "closed after echoing 5 bytes" in output


def test_serve_reads_chain_and_key_from_stdin(pem_files, server_cert):
    server = Server("--cert", "-", stdin_bytes=server_cert.combined_pem)
    result = run("connect", f"127.0.0.1:{server.port}", "--cafile", pem_files["ca"], "--send", "x")
    status, _, errors = server.finish()
    assert result.returncode == 0, result.stderr
    assert field(result.stdout, "reply") == "'x'"
    assert status == 0, errors


def test_serve_reads_the_key_alone_from_stdin(pem_files, server_cert):
    server = Server("--cert", pem_files["cert"], "--key", "-", stdin_bytes=server_cert.key_pem)
    result = run("connect", f"127.0.0.1:{server.port}", "--cafile", pem_files["ca"])
    assert result.returncode == 0, result.stderr
    assert server.finish()[0] == 0


def test_connect_without_the_ca_fails_with_verify_message(pem_files):
    server = Server("--cert", pem_files["combined"])
    result = run("connect", f"127.0.0.1:{server.port}")
    status, _, errors = server.finish()
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"swiftssl connect: error: 127.0.0.1:{server.port}: certificate verify failed: ")
    assert "unable to get local issuer certificate (verify code 20)" in lines[0]
    assert status == 1 and "unknown ca" in errors  # the server saw the client's alert


def test_connect_with_the_wrong_name_fails(pem_files):
    server = Server("--cert", pem_files["combined"])
    result = run("connect", f"127.0.0.1:{server.port}", "--cafile", pem_files["ca"],
                 "--servername", "other.example")
    server.finish()
    assert result.returncode == 1
    assert "Hostname mismatch, certificate is not valid for 'other.example'." in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_connect_insecure_shows_but_does_not_enforce(pem_files):
    server = Server("--cert", pem_files["combined"])
    result = run("connect", f"127.0.0.1:{server.port}", "--insecure", "--servername", "other.example")
    assert server.finish()[0] == 0
    assert result.returncode == 0, result.stderr
    assert field(result.stdout, "verification").startswith("SKIPPED (--insecure)")
    assert field(result.stdout, "hostname check").startswith("FAILED: hostname 'other.example' doesn't match")
    assert "commonName=localhost" in field(result.stdout, "subject")


def test_serve_with_a_key_that_does_not_match_fails(pem_files, root_ca):
    other = root_ca.issue("other.example")
    result = run("serve", "--once", "--cert", pem_files["cert"], "--key", "-",
                 input=other.key_pem.decode())
    assert result.returncode == 1
    assert result.stderr.startswith("swiftssl serve: error: cannot load the certificate and key: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_once_reports_a_failed_handshake(pem_files):
    server = Server("--cert", pem_files["combined"])
    run("connect", f"127.0.0.1:{server.port}")  # refuses the server's certificate
    status, _, errors = server.finish()
    assert status == 1
    assert errors.startswith("client 127.0.0.1:")


# -- connect against other servers -------------------------------------------------------------
def test_connect_to_a_stdlib_server(stdlib_server, pem_files):
    with stdlib_server(lambda tls: tls.sendall(tls.recv(64).upper())) as server:
        result = run("connect", f"127.0.0.1:{server.port}", "--cafile", pem_files["ca"],
                     "--servername", "localhost", "--send", "ping")
    assert not server.errors, server.errors
    assert result.returncode == 0, result.stderr
    assert field(result.stdout, "protocol") == "TLSv1.3"
    assert field(result.stdout, "ALPN") == "(none)"
    assert field(result.stdout, "reply") == "'PING'"


def test_connect_to_a_self_signed_stdlib_server(stdlib_server, tmp_path):
    import ssl
    leaf = self_signed("localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*leaf.write(tmp_path, "self"))
    with stdlib_server(context=context) as server:
        result = run("connect", f"localhost:{server.port}")
    assert result.returncode == 1
    assert "certificate verify failed: self-signed certificate (verify code 18)" in result.stderr


def test_connect_refused_is_one_line_error():
    import socket
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = run("connect", f"127.0.0.1:{port}", "--timeout", "5")
    assert result.returncode == 1
    assert result.stderr.strip() == f"swiftssl connect: error: 127.0.0.1:{port}: Connection refused"


def test_connect_bad_address_is_a_usage_error():
    result = run("connect", "no-port-here")
    assert result.returncode == 2
    assert "expected HOST:PORT" in result.stderr


@pytest.mark.skipif(not os.path.exists("/proc/net/if_inet6"), reason="no IPv6 on this machine")
def test_connect_accepts_bracketed_ipv6(stdlib_server, pem_files):
    import socket
    with stdlib_server(family=socket.AF_INET6) as server:
        result = run("connect", f"[::1]:{server.port}", "--cafile", pem_files["ca"])
    assert result.returncode == 0, result.stderr
    assert field(result.stdout, "hostname check") == "OK, '::1' matches the certificate"


@pytest.mark.parametrize("arguments, message", [
    (["--cafile", "{missing}"], "cannot load --cafile {missing}: No such file or directory"),
    (["--insecure", "--alpn", "x" * 300], "invalid --alpn: ALPN protocols must be 1 to 255 in length"),
])
def test_connect_bad_options_are_one_line_errors(tmp_path, arguments, message):
    missing = tmp_path / "missing.pem"
    result = run("connect", "127.0.0.1:1", *[argument.format(missing=missing) for argument in arguments])
    assert result.returncode == 1
    assert result.stderr.strip() == f"swiftssl connect: error: {message.format(missing=missing)}"


def test_connect_lists_the_verified_chain(pem_files):
    server = Server("--cert", pem_files["chained_combined"])
    result = run("connect", f"127.0.0.1:{server.port}", "--cafile", pem_files["ca"],
                 "--servername", "localhost")
    assert server.finish()[0] == 0
    assert result.returncode == 0, result.stderr
    chain = result.stdout.split("verified chain:\n", 1)[1].splitlines()[:3]
    assert [line.split(": ", 1)[0].strip() for line in chain] == ["0", "1", "2"]
    assert "chained.localhost" in chain[0] and "intermediate" in chain[1] and "root" in chain[2]


# -- TLS-PSK -------------------------------------------------------------------------------------
PSK_HEX = "00112233445566778899aabbccddeeff"


def test_serve_and_connect_with_a_pre_shared_key_and_no_certificate():
    server = Server("--psk", PSK_HEX)
    result = run("connect", f"127.0.0.1:{server.port}", "--psk", PSK_HEX, "--psk-identity", "sensor-9",
                 "--send", "hello")
    status, output, errors = server.finish()
    assert result.returncode == 0, result.stderr
    assert field(result.stdout, "verification") == "by the pre-shared key (--psk, identity 'sensor-9')"
    assert field(result.stdout, "peer certificate") == "(none sent)"
    assert field(result.stdout, "reply") == "'hello'"
    assert status == 0, errors
    assert "PSK identity 'sensor-9'" in output


def test_connect_with_the_wrong_pre_shared_key_fails_in_one_line():
    server = Server("--psk", PSK_HEX)
    result = run("connect", f"127.0.0.1:{server.port}", "--psk", "ff" * 16)
    assert server.finish()[0] == 1
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "[SSL" in result.stderr


def test_serve_with_a_pre_shared_key_answers_openssl_s_client_with_its_hint():
    server = Server("--psk", PSK_HEX, "--psk-hint", "cli hint")
    client = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-tls1_2", "-cipher", "PSK",
         "-psk", PSK_HEX, "-psk_identity", "openssl"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    client.stdin.write(b"over PSK\n")
    client.stdin.flush()
    received = b""
    for line in client.stdout:  # the echo arrives, then closing stdin ends s_client (and serve)
        received += line
        if line == b"over PSK\n":
            break
    client.stdin.close()
    client.wait(NETWORK_TIMEOUT)
    client.stdout.close()
    status, output, errors = server.finish()
    assert b"PSK identity hint: cli hint" in received and received.endswith(b"over PSK\n")
    assert status == 0, errors
    assert "PSK identity 'openssl'" in output and "TLSv1.2" in output


def test_serve_with_a_certificate_and_a_pre_shared_key_still_serves_certificate_clients(pem_files):
    server = Server("--cert", pem_files["combined"], "--psk", PSK_HEX)
    result = run("connect", f"127.0.0.1:{server.port}", "--cafile", pem_files["ca"], "--servername", "localhost")
    assert server.finish()[0] == 0
    assert result.returncode == 0, result.stderr
    assert field(result.stdout, "verification").startswith("OK, chain verified")


@pytest.mark.parametrize("command, arguments, status, message", [
    ("connect", ["127.0.0.1:1", "--psk", "zz"], 2, "argument --psk: expected the key in hex"),
    ("serve", [], 1, "swiftssl serve: error: give --cert (a certificate chain and key), --psk (a pre-shared key), or both"),
])
def test_psk_usage_errors(command, arguments, status, message):
    result = run(command, *arguments)
    assert result.returncode == status
    assert message in result.stderr
