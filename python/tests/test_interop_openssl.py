"""Interop with the ``openssl`` command line: ``s_server`` facing a swiftssl client and
``s_client`` facing a swiftssl server, on 127.0.0.1 with ports chosen by the kernel.

The PEM files the openssl processes need are written under pytest's tmp_path from the session PKI
(conftest.py). swiftssl itself gets them from memory unless a test says otherwise. Every
subprocess is terminated when its test ends (tls_support.OpenSSLServer / run_s_client).
"""

import io
import re
import shutil
import socket
import ssl
import time

import pytest

import swiftssl
from tls_support import (LoopbackServer, OpenSSLProcess, OpenSSLServer, recv_line, recv_until_eof,
                         run_s_client)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")


@pytest.fixture
def openssl_files(tmp_path, root_ca, server_cert, chained_cert, intermediate_ca, client_cert):
    files = {"ca": tmp_path / "ca.pem", "intermediate": tmp_path / "intermediate.pem"}
    files["ca"].write_bytes(root_ca.cert_pem)
    files["intermediate"].write_bytes(intermediate_ca.cert_pem)
    for name, issued in (("server", server_cert), ("chained", chained_cert), ("client", client_cert)):
        (tmp_path / f"{name}-leaf.pem").write_bytes(issued.cert_pem)
        (tmp_path / f"{name}.key").write_bytes(issued.key_pem)
        files[f"{name}-leaf"] = tmp_path / f"{name}-leaf.pem"
        files[f"{name}-key"] = tmp_path / f"{name}.key"
    return {name: str(path) for name, path in files.items()}


def swift_client(port, root_ca, **options):
    raw = socket.create_connection(("127.0.0.1", port), timeout=15)
    return swiftssl.wrap_socket(raw, cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=root_ca.cert_pem,
                                server_hostname="localhost", **options)


# -- swiftssl client, openssl s_server ----------------------------------------------------------

def test_client_against_s_server_www(openssl_files, root_ca, server_cert):
    with OpenSSLServer("-cert", openssl_files["server-leaf"], "-key", openssl_files["server-key"],
                       "-www") as server:
        with swift_client(server.port, root_ca) as tls:
            assert tls.getpeercert(True) == server_cert.der
            version, cipher = tls.version(), tls.cipher()[0]
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            page = recv_until_eof(tls).decode("latin-1")
    assert page.startswith("HTTP/1.0 200 ok")
    assert f"New, {version}, Cipher is {cipher}" in page


def test_client_against_s_server_rev_echo(openssl_files, root_ca):
    with OpenSSLServer("-cert", openssl_files["server-leaf"], "-key", openssl_files["server-key"],
                       "-rev") as server:
        with swift_client(server.port, root_ca) as tls:
            for line in (b"hello world\n", b"swiftssl over openssl\n", b"x" * 4000 + b"y\n"):
                tls.sendall(line)
                answer = b""
                while not answer.endswith(b"\n"):
                    answer += tls.recv(8192)
                assert answer == line[:-1][::-1] + b"\n"
    assert "Protocol version: TLSv1.3" in server.output


def wait_for(condition, process):
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert condition(), process.output[-2000:]


def exchange_lines_around_commands(process, tls, commands, sent):
    """Types each command on `process` (s_server or s_client), waits until its -msg output shows
    the handshake message `sent` went out, then types a line of data: `tls` reads it and answers
    with a line of its own. Returns what `tls` read."""
    received = b""
    for index, command in enumerate(commands):
        process.type_line(command)
        # openssl takes a command only when it reads it alone.
        wait_for(lambda: process.messages(">>>", sent) == index + 1, process)
        process.type_line(b"line %d\n" % index)
        while not received.endswith(b"line %d\n" % index):
            received += tls.recv(100)
        tls.sendall(b"ping %d\n" % index)
    tls.sendall(b"bye\n")
    wait_for(lambda: "bye" in process.output, process)
    assert received == b"".join(b"line %d\n" % index for index in range(len(commands)))
    pings = [line for line in process.output.splitlines() if line.startswith(("ping", "bye"))]
    assert pings == [f"ping {index}" for index in range(len(commands))] + ["bye"]


@pytest.mark.parametrize("version, commands, sent, answer, counts", [
    # TLS 1.3 KeyUpdates: "K" asks the client to update its keys too, "k" does not.
    ("-tls1_3", [b"K\n", b"K\n", b"k\n", b"K\n"], "KeyUpdate", "KeyUpdate", (4, 3)),
    # TLS 1.2 renegotiations the server starts: each HelloRequest gets a new ClientHello.
    ("-tls1_2", [b"r\n", b"r\n", b"r\n"], "HelloRequest", "ClientHello", (3, 4)),
], ids=["tls1.3-key-updates", "tls1.2-renegotiations"])
def test_client_follows_what_s_server_starts_between_lines_of_data(openssl_files, root_ca, version, commands,
                                                                  sent, answer, counts):
    """Handshake messages s_server sends between lines of data when told to on its stdin: the
    client's reads take each one, answer it, and go on decrypting and encrypting under the new
    keys (s_server's -msg shows the messages each way)."""
    with OpenSSLServer("-cert", openssl_files["server-leaf"], "-key", openssl_files["server-key"],
                       "-msg", "-naccept", "1", version) as server:
        with swift_client(server.port, root_ca) as tls:
            exchange_lines_around_commands(server, tls, commands, sent)
    assert (server.messages(">>>", sent), server.messages("<<<", answer)) == counts


def test_client_verifies_chain_sent_by_s_server(openssl_files, root_ca, chained_cert):
    """s_server sends leaf + intermediate (-cert_chain); swiftssl trusts only the root."""
    arguments = ["-cert", openssl_files["chained-leaf"], "-key", openssl_files["chained-key"], "-www"]
    with OpenSSLServer(*arguments, "-cert_chain", openssl_files["intermediate"]) as server:
        with swift_client(server.port, root_ca) as tls:
            assert tls.getpeercert(True) == chained_cert.der
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert recv_until_eof(tls).startswith(b"HTTP/1.0 200 ok")
    with OpenSSLServer(*arguments) as server:  # control: without the intermediate it must fail
        with pytest.raises(swiftssl.SSLCertVerificationError) as caught:
            swift_client(server.port, root_ca)
    assert caught.value.verify_code == 20


def test_client_certificate_from_memory_to_s_server(openssl_files, root_ca, client_cert):
    with OpenSSLServer("-cert", openssl_files["server-leaf"], "-key", openssl_files["server-key"],
                       "-Verify", "1", "-CAfile", openssl_files["ca"], "-rev") as server:
        with swift_client(server.port, root_ca, certfile=io.BytesIO(client_cert.cert_pem),
                          keyfile=io.StringIO(client_cert.key_pem.decode())) as tls:
            tls.sendall(b"abc\n")
            assert tls.recv(100) == b"cba\n"
    assert "CN = client.example" in server.output or "CN=client.example" in server.output


def test_s_server_requiring_a_client_certificate_rejects_none(openssl_files, root_ca):
    with OpenSSLServer("-cert", openssl_files["server-leaf"], "-key", openssl_files["server-key"],
                       "-Verify", "1", "-CAfile", openssl_files["ca"], "-rev") as server:
        with pytest.raises(swiftssl.SSLError):
            with swift_client(server.port, root_ca) as tls:
                tls.sendall(b"abc\n")
                tls.recv(100)  # TLS 1.3: the alert arrives after the client's handshake ends


def test_client_rejects_s_server_with_wrong_name(openssl_files, root_ca):
    with OpenSSLServer("-cert", openssl_files["client-leaf"], "-key", openssl_files["client-key"],
                       "-www") as server:
        with pytest.raises(swiftssl.SSLCertVerificationError) as caught:
            swift_client(server.port, root_ca)
    assert caught.value.verify_code == 62


def test_an_alpn_mismatch_alert_from_s_server_is_named_as_cpython_names_it(openssl_files, root_ca):
    """s_server -alpn refuses a client offering none of its protocols with alert 120
    (no_application_protocol), a reason CPython's table lacks: "[SSL] tlsv1 alert no application
    protocol" with reason None (swiftssl derived "TLSV1_ALERT_NO_APPLICATION_PROTOCOL" from the
    text). Sources/SwiftSSL/CPythonErrorNames.swift."""
    def attempt(module, port):
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=root_ca.cert_pem.decode())
        context.set_alpn_protocols(["foo"])
        with pytest.raises(module.SSLError) as raised:
            context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=15),
                                server_hostname="localhost").close()
        error = raised.value
        return error.errno, error.library, error.reason, str(error).split(" (")[0]

    with OpenSSLServer("-cert", openssl_files["server-leaf"], "-key", openssl_files["server-key"],
                       "-alpn", "h2", "-naccept", "2", "-rev") as server:
        ours, theirs = attempt(swiftssl, server.port), attempt(ssl, server.port)
    assert ours == theirs == (1, "SSL", None, "[SSL] tlsv1 alert no application protocol")


# -- openssl s_client, swiftssl server ----------------------------------------------------------

def serve_one_line(certfile, **options):
    """A swiftssl wrap_socket server answering one line upper-cased, then closing with unwrap."""
    def handler(tls):
        line = recv_line(tls)
        tls.sendall(b"ANSWER " + line.upper())
        return line, tls.version(), tls.getpeercert()

    return LoopbackServer(lambda raw: swiftssl.wrap_socket(raw, server_side=True, certfile=certfile, **options),
                          handler)


def test_s_client_verifies_swiftssl_server(openssl_files, server_cert):
    with serve_one_line(server_cert.combined_pem) as server:
        completed = run_s_client(server.port, "-CAfile", openssl_files["ca"], "-verify_return_error",
                                 "-servername", "localhost", "-verify_hostname", "localhost",
                                 data=b"hello from s_client\n")
        server.wait()
    output = completed.stdout.decode("latin-1")
    assert "Verify return code: 0 (ok)" in output, output
    assert "ANSWER HELLO FROM S_CLIENT" in output
    assert server.errors == []
    assert server.results[0][:2] == (b"hello from s_client\n", "TLSv1.3")


def test_server_follows_tls13_key_updates_from_s_client(openssl_files, server_cert):
    """The same from s_client to a swiftssl server: two KeyUpdates asking for an answer, one
    not; the server answers two. (A TLS 1.2 renegotiation s_client starts is refused by the
    stdlib's server as by swiftssl's: OpenSSL 3 refuses client-initiated renegotiation unless
    told otherwise, with a handshake_failure alert.)"""
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(io.BytesIO(server_cert.chain_pem), io.BytesIO(server_cert.key_pem))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = OpenSSLProcess("s_client", "-connect", f"127.0.0.1:{listener.getsockname()[1]}",
                                "-CAfile", openssl_files["ca"], "-msg")
        with client:
            raw, _ = listener.accept()
            with context.wrap_socket(raw, server_side=True) as tls:
                tls.settimeout(15)
                wait_for(lambda: "Verify return code: 0 (ok)" in client.output, client)
                exchange_lines_around_commands(client, tls, [b"K\n", b"k\n", b"K\n"], "KeyUpdate")
    assert (client.messages(">>>", "KeyUpdate"), client.messages("<<<", "KeyUpdate")) == (3, 2)


def test_s_client_sees_the_whole_chain_from_a_combined_certfile(openssl_files, chained_cert):
    with serve_one_line(io.BytesIO(chained_cert.combined_pem)) as server:
        completed = run_s_client(server.port, "-CAfile", openssl_files["ca"], "-verify_return_error",
                                 "-showcerts", data=b"chain?\n")
        server.wait()
    output = completed.stdout.decode("latin-1")
    assert "Verify return code: 0 (ok)" in output, output
    assert output.count("-----BEGIN CERTIFICATE-----") == 2  # leaf and intermediate
    assert re.search(r"^ 0 s:.*CN ?= ?chained\.localhost$", output, re.MULTILINE), output
    assert re.search(r"^ 1 s:.*CN ?= ?swiftssl test intermediate$", output, re.MULTILINE), output


def test_s_client_with_the_wrong_ca_does_not_verify(openssl_files, server_cert, tmp_path):
    """Control for the Verify return code checks: an unrelated CA gives a non-zero code."""
    from tls_support import CertificateAuthority
    (tmp_path / "other-ca.pem").write_bytes(CertificateAuthority("unrelated").cert_pem)
    with serve_one_line(server_cert.combined_pem) as server:
        completed = run_s_client(server.port, "-CAfile", str(tmp_path / "other-ca.pem"), data=b"x\n")
        server.wait()
    output = completed.stdout.decode("latin-1")
    assert "Verify return code: 0 (ok)" not in output
    assert re.search(r"Verify return code: (20|21) ", output), output


def test_s_client_client_certificate_checked_by_swiftssl_server(openssl_files, server_cert, root_ca,
                                                                client_cert):
    with serve_one_line(server_cert.combined_pem, cert_reqs=swiftssl.CERT_REQUIRED,
                        ca_certs=root_ca.cert_pem.decode()) as server:
        completed = run_s_client(server.port, "-CAfile", openssl_files["ca"],
                                 "-cert", openssl_files["client-leaf"], "-key", openssl_files["client-key"],
                                 data=b"with a client certificate\n")
        server.wait()
    assert "ANSWER WITH A CLIENT CERTIFICATE" in completed.stdout.decode("latin-1")
    assert server.errors == []
    peer = server.results[0][2]
    assert (("commonName", "client.example"),) in peer["subject"]


def test_swiftssl_server_requiring_a_client_certificate_rejects_s_client_without(openssl_files, server_cert,
                                                                                 root_ca):
    with serve_one_line(server_cert.combined_pem, cert_reqs=swiftssl.CERT_REQUIRED,
                        ca_certs=root_ca.cert_pem) as server:
        completed = run_s_client(server.port, "-CAfile", openssl_files["ca"], data=b"no certificate\n")
        server.wait()
    assert "ANSWER" not in completed.stdout.decode("latin-1")
    assert len(server.errors) == 1 and isinstance(server.errors[0], ssl.SSLError)
    assert server.errors[0].reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE"
