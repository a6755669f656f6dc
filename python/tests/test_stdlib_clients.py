"""Stdlib clients through swiftssl against local TLS servers: http.client and urllib with a
swiftssl context, asyncio streams (which hand swiftssl the stdlib's own MemoryBIO objects), and
an unmodified program under ``swiftssl.install()``. Certificates come from ``trustme``.
"""

import asyncio
import http.server
import socket
import subprocess
import sys
import textwrap
import threading
import urllib.request

import pytest

import swiftssl

trustme = pytest.importorskip("trustme")


@pytest.fixture(scope="module")
def authority():
    return trustme.CA()


@pytest.fixture
def https_server(authority):
    leaf = authority.issue_cert("localhost")
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    with leaf.private_key_and_cert_chain_pem.tempfile() as path:
        context.load_cert_chain(path)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = f"path={self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def client_context(authority):
    context = swiftssl.create_default_context()
    context.load_verify_locations(cadata=authority.cert_pem.bytes().decode())
    return context


def test_http_client_https_connection(https_server, authority):
    import http.client
    connection = http.client.HTTPSConnection("localhost", https_server, context=client_context(authority), timeout=10)
    connection.connect()
    assert isinstance(connection.sock, swiftssl.SSLSocket)
    connection.request("GET", "/hello")
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"path=/hello")
    connection.close()


def test_urllib_urlopen(https_server, authority):
    with urllib.request.urlopen(f"https://localhost:{https_server}/u", context=client_context(authority), timeout=10) as response:
        assert response.read() == b"path=/u"


def test_urllib_refuses_wrong_host(https_server, authority):
    with pytest.raises(urllib.error.URLError) as failure:
        urllib.request.urlopen(f"https://127.0.0.1:{https_server}/", context=client_context(authority), timeout=10)
    assert isinstance(failure.value.reason, swiftssl.SSLCertVerificationError)
    assert failure.value.reason.verify_code == 64


def test_asyncio_streams_both_sides(authority):
    leaf = authority.issue_cert("localhost")
    server_context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes())

    async def main():
        async def handle(reader, writer):
            writer.write((await reader.readline()).upper())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("localhost", port, ssl=client_context(authority))
        writer.write(b"over asyncio\n")
        await writer.drain()
        line = await reader.readline()
        version = writer.get_extra_info("ssl_object").version()
        writer.close()
        server.close()
        await server.wait_closed()
        return line, version

    line, version = asyncio.run(asyncio.wait_for(main(), 20))
    assert line == b"OVER ASYNCIO\n"
    assert version == "TLSv1.3"


def test_install_runs_unmodified_stdlib_client(https_server, authority, tmp_path):
    cafile = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(cafile))
    program = textwrap.dedent(f"""
        import swiftssl
        swiftssl.install()
        import ssl, urllib.request
        context = ssl.create_default_context(cafile={str(cafile)!r})
        with urllib.request.urlopen("https://localhost:{https_server}/installed", context=context) as response:
            print(ssl.__name__, response.read().decode())
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["swiftssl", "path=/installed"]


START_TLS_PROGRAM = textwrap.dedent("""
    import sys
    import swiftssl
    swiftssl.install()  # before asyncio: loop.start_tls checks isinstance(context, ssl.SSLContext)
    import asyncio, ssl

    chain, key, authority = (open(path, "rb").read() for path in sys.argv[1:4])
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(chain, key)
    client_context = ssl.create_default_context(cadata=authority.decode())

    async def main():
        async def handle(reader, writer):
            assert await reader.readline() == b"STARTTLS\\n"
            writer.write(b"GO\\n")
            await writer.drain()
            await writer.start_tls(server_context)
            writer.write((await reader.readline()).upper())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"STARTTLS\\n")
        await writer.drain()
        assert await reader.readline() == b"GO\\n"
        await writer.start_tls(client_context, server_hostname="localhost")
        writer.write(b"after upgrade\\n")
        await writer.drain()
        line = await reader.readline()
        tls = writer.get_extra_info("ssl_object")
        writer.close()
        server.close()
        await server.wait_closed()
        print(line.decode().strip(), type(tls).__module__, tls.version())

    asyncio.run(asyncio.wait_for(main(), 20))
""")


def test_asyncio_streamwriter_start_tls_both_sides(authority, tmp_path):
    """A plaintext connection upgraded with StreamWriter.start_tls on both ends (3.11+ API).

    asyncio's start_tls insists on an instance of the ``ssl.SSLContext`` it imported, so this
    runs as a program that calls ``swiftssl.install()`` first, as the README says.
    """
    leaf = authority.issue_cert("localhost")
    paths = []
    for name, pem in (("chain.pem", leaf.cert_chain_pems[0]), ("key.pem", leaf.private_key_pem),
                      ("ca.pem", authority.cert_pem)):
        pem.write_to_path(str(tmp_path / name))
        paths.append(str(tmp_path / name))
    result = subprocess.run([sys.executable, "-c", START_TLS_PROGRAM, *paths],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["AFTER", "UPGRADE", "swiftssl._sslobject", "TLSv1.3"]


SOCK_CONNECT_PROGRAM = """
import sys
import swiftssl
if sys.argv[1] == "install":
    swiftssl.install()
import asyncio, socket

async def main():
    context = swiftssl.create_default_context()
    with context.wrap_socket(socket.socket(), server_hostname="localhost",
                             do_handshake_on_connect=False) as tls, socket.create_server(("127.0.0.1", 0)) as listener:
        tls.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(tls, listener.getsockname())
        except TypeError as error:
            print("refused:", error)
        else:
            print("connected")

asyncio.run(main())
"""


@pytest.mark.parametrize("installed, outcome", [("install", "refused: Socket cannot be of type SSLSocket"),
                                                ("as-is", "connected")])
def test_asyncio_sock_methods_refuse_an_sslsocket_only_under_install(installed, outcome):
    """README: asyncio's loop.sock_*() refuse an SSLSocket of the ssl module asyncio imported, so
    a swiftssl one is refused only after swiftssl.install() (before, it is taken as a socket)."""
    result = subprocess.run([sys.executable, "-c", SOCK_CONNECT_PROGRAM, installed],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == outcome


def test_smtplib_smtp_ssl_sends_mail(authority):
    """smtplib.SMTP_SSL with a swiftssl context against a tiny SMTP-over-TLS responder."""
    import smtplib

    leaf = authority.issue_cert("localhost")
    server_context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes())
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)
    received = {}

    def respond():
        connection, _ = listener.accept()
        with server_context.wrap_socket(connection, server_side=True) as tls:
            stream = tls.makefile("rwb")
            stream.write(b"220 localhost swiftssl test ESMTP\r\n")
            stream.flush()
            data_lines = None
            for raw_line in stream:
                if data_lines is not None:
                    if raw_line == b".\r\n":
                        received["message"] = b"".join(data_lines)
                        data_lines = None
                        stream.write(b"250 queued\r\n")
                    else:
                        data_lines.append(raw_line)
                        continue
                else:
                    verb = raw_line[:4].upper()
                    if verb == b"EHLO":
                        stream.write(b"250-localhost\r\n250 8BITMIME\r\n")
                    elif verb == b"DATA":
                        data_lines = []
                        stream.write(b"354 end with .\r\n")
                    elif verb == b"QUIT":
                        stream.write(b"221 bye\r\n")
                        stream.flush()
                        break
                    else:
                        received.setdefault("commands", []).append(raw_line.strip().decode())
                        stream.write(b"250 OK\r\n")
                stream.flush()

    thread = threading.Thread(target=respond, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    with smtplib.SMTP_SSL("localhost", port, context=client_context(authority), timeout=20) as client:
        assert isinstance(client.sock, swiftssl.SSLSocket)
        client.sendmail("alice@example.com", ["bob@example.com"], "Subject: hi\r\n\r\nover TLS\r\n")
    thread.join(timeout=20)
    listener.close()
    assert [command.upper() for command in received["commands"]] == \
        ["MAIL FROM:<ALICE@EXAMPLE.COM>", "RCPT TO:<BOB@EXAMPLE.COM>"]
    assert b"over TLS" in received["message"]
