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
