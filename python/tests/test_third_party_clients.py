"""urllib3 and requests, the HTTP clients most Python programs use, over swiftssl: with a swiftssl
context passed in, and unmodified under ``swiftssl.install()`` (where urllib3 builds its own
context from ``import ssl``). Also urllib3's TLS-in-TLS through an HTTPS proxy, which runs the
inner connection over ``SSLContext.wrap_bio`` with the stdlib's MemoryBIO objects; and, under
``install()``, the event-loop libraries: a tornado HTTPS server (its own IOLoop over non-blocking
``SSLSocket``s) with httpx, tornado, aiohttp and websockets clients.

The servers are swiftssl servers on loopback with certificates from ``tls_support`` (an EC P-256
PKI made at test time); the server's key is given as a file-like object, never a path.
"""

import http.server
import io
import select
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

import swiftssl

urllib3 = pytest.importorskip("urllib3")
requests = pytest.importorskip("requests")

BODY = b"swiftssl " * 2000  # 18 KB: more than one TLS record


class ContentHandler(http.server.BaseHTTPRequestHandler):
    """Answers GET with BODY plus the path, and says whether the client sent a certificate."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        peer = self.connection.getpeercert()
        subject = dict(item[0] for item in peer["subject"]) if peer else {}
        body = BODY + f"{self.path} client={subject.get('commonName')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


class TunnelHandler(http.server.BaseHTTPRequestHandler):
    """An HTTPS proxy: answers CONNECT and then copies bytes both ways until either side closes."""

    def do_CONNECT(self):
        _, port = self.path.rsplit(":", 1)
        upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
        self.send_response(200)
        self.end_headers()
        self.wfile.flush()
        ends = {self.connection: upstream, upstream: self.connection}
        with upstream:
            while True:
                readable, _, _ = select.select(list(ends), [], [], 10)
                chunks = [(end, end.recv(65536)) for end in readable]
                if not readable or any(not chunk for _, chunk in chunks):
                    return
                for end, chunk in chunks:
                    ends[end].sendall(chunk)

    def log_message(self, *arguments):
        pass


def serve(handler, server_cert, verify_mode=swiftssl.CERT_NONE, ca_pem=None):
    """A threading HTTP server behind a swiftssl server context; returns (server, port)."""
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(io.BytesIO(server_cert.chain_pem), io.BytesIO(server_cert.key_pem))
    if ca_pem is not None:
        context.load_verify_locations(cadata=ca_pem.decode())
    context.verify_mode = verify_mode
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def https_port(server_cert, root_ca):
    server, port = serve(ContentHandler, server_cert, swiftssl.CERT_OPTIONAL, root_ca.cert_pem)
    yield port
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy_port(server_cert):
    server, port = serve(TunnelHandler, server_cert)
    yield port
    server.shutdown()
    server.server_close()


@pytest.fixture
def client_context(root_ca):
    return swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())


def test_urllib3_pool_manager_with_a_swiftssl_context_keeps_the_connection(https_port, client_context):
    manager = urllib3.PoolManager(ssl_context=client_context, retries=False, timeout=10)
    for path in ("/one", "/two", "/three"):
        response = manager.request("GET", f"https://localhost:{https_port}{path}")
        assert (response.status, response.data) == (200, BODY + f"{path} client=None".encode())
    pool = manager.connection_from_url(f"https://localhost:{https_port}/")
    assert pool.num_connections == 1  # keep-alive: one TLS connection for the three requests
    connection = pool.pool.queue[-1]
    assert isinstance(connection.sock, swiftssl.SSLSocket)
    assert connection.sock.version() == "TLSv1.3"


def test_urllib3_streams_the_body_in_small_reads(https_port, client_context):
    manager = urllib3.PoolManager(ssl_context=client_context, retries=False, timeout=10)
    response = manager.request("GET", f"https://localhost:{https_port}/stream", preload_content=False)
    assert b"".join(response.stream(1000)) == BODY + b"/stream client=None"
    response.release_conn()


def test_urllib3_refuses_a_name_the_certificate_does_not_have(https_port, client_context, root_ca):
    other = root_ca.issue("elsewhere.example", common_name="elsewhere.example")
    manager = urllib3.PoolManager(ssl_context=client_context, retries=False, timeout=10)
    server, port = serve(ContentHandler, other)
    try:
        with pytest.raises(urllib3.exceptions.SSLError) as failure:
            manager.request("GET", f"https://localhost:{port}/")
    finally:
        server.shutdown()
        server.server_close()
    reason = failure.value.__context__ or failure.value.args[0]
    assert isinstance(reason, swiftssl.SSLCertVerificationError)
    assert reason.verify_code == 62  # X509_V_ERR_HOSTNAME_MISMATCH
    assert "Hostname mismatch" in reason.verify_message


def test_requests_session_with_a_swiftssl_context_and_a_client_certificate(https_port, client_context, client_cert):
    client_context.load_cert_chain(io.BytesIO(client_cert.chain_pem), io.BytesIO(client_cert.key_pem))

    class SwiftSSLAdapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *arguments, **keywords):
            keywords["ssl_context"] = client_context
            return super().init_poolmanager(*arguments, **keywords)

    with requests.Session() as session:
        session.mount("https://", SwiftSSLAdapter())
        response = session.get(f"https://localhost:{https_port}/requests", timeout=10)
    assert response.status_code == 200
    assert response.content.endswith(b"/requests client=client.example")


def test_urllib3_tls_in_tls_through_an_https_proxy(https_port, proxy_port, client_context):
    """The proxy connection is an SSLSocket; the tunnelled one is urllib3's SSLTransport over
    ``client_context.wrap_bio`` with the stdlib's ``ssl.MemoryBIO``."""
    manager = urllib3.ProxyManager(f"https://localhost:{proxy_port}", proxy_ssl_context=client_context,
                                   ssl_context=client_context, retries=False, timeout=10)
    response = manager.request("GET", f"https://localhost:{https_port}/tunnelled")
    assert (response.status, response.data) == (200, BODY + b"/tunnelled client=None")
    connection = manager.connection_from_url(f"https://localhost:{https_port}/").pool.queue[-1]
    assert type(connection.sock).__name__ == "SSLTransport"
    assert isinstance(connection.sock.sslobj, swiftssl.SSLObject)
    assert connection.sock.sslobj.version() == "TLSv1.3"


INSTALLED_PROGRAM = textwrap.dedent("""
    import sys
    import swiftssl
    swiftssl.install()
    import ssl, urllib3, requests

    port, proxy_port, cafile, certfile, keyfile = sys.argv[1:]
    answers = []
    response = requests.get(f"https://localhost:{port}/requests", verify=cafile, cert=(certfile, keyfile), timeout=10)
    answers.append(response.content.rsplit(b" ", 1)[-1].decode())
    manager = urllib3.ProxyManager(f"https://localhost:{proxy_port}", ca_certs=cafile, retries=False, timeout=10)
    response = manager.request("GET", f"https://localhost:{port}/tunnelled")
    answers.append(response.data.rsplit(b"/", 1)[-1].split()[0].decode())
    try:
        urllib3.PoolManager(retries=False, timeout=10).request("GET", f"https://localhost:{port}/")
    except urllib3.exceptions.SSLError as error:
        answers.append(type(error.__context__).__module__ + "." + type(error.__context__).__name__)
    print(ssl.__name__, *answers)
""")


def test_unmodified_requests_and_urllib3_under_install(https_port, proxy_port, root_ca, client_cert, tmp_path):
    """urllib3 makes its own context from ``ssl`` (minimum version, options, post-handshake auth,
    its key-encryption check), which must all work on swiftssl's; an untrusted server fails with
    swiftssl's SSLCertVerificationError, which urllib3 recognises."""
    cafile = tmp_path / "ca.pem"
    cafile.write_bytes(root_ca.cert_pem)
    certfile, keyfile = client_cert.write(tmp_path, "client")
    result = subprocess.run([sys.executable, "-c", INSTALLED_PROGRAM, str(https_port), str(proxy_port), str(cafile),
                             certfile, keyfile], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["swiftssl", "client=client.example", "tunnelled", "swiftssl._errors.SSLCertVerificationError"]


def test_event_loop_libraries_under_install(server_cert, root_ca):
    """What asyncio and tornado programs use, unmodified under ``swiftssl.install()`` (httpx and
    aiohttp check ``isinstance(context, ssl.SSLContext)`` against the ``ssl`` they imported): a
    tornado HTTPS server answering httpx (sync: a GET and a 300 KB POST; async: ten GETs at once),
    tornado's and aiohttp's clients; a websockets server and client, asyncio and threaded."""
    for name in ("tornado", "httpx", "aiohttp", "websockets"):
        pytest.importorskip(name)
    from child_support import pki_environment, run_child
    result = run_child("""
        import asyncio, os, threading
        import swiftssl
        swiftssl.install()
        import ssl
        import aiohttp, httpx, tornado.httpclient, tornado.httpserver, tornado.netutil, tornado.web
        import websockets.asyncio.client, websockets.asyncio.server
        import websockets.sync.client, websockets.sync.server

        def server_context():
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(os.environ["CHAIN_PEM"], os.environ["KEY_PEM"].encode())
            return context

        def client_context():
            return ssl.create_default_context(cadata=os.environ["ROOT_PEM"])

        class Handler(tornado.web.RequestHandler):
            def get(self):
                self.write(b"x" * 100000)

            def post(self):
                self.write(b"got %d" % len(self.request.body))

        listening = threading.Event()
        port = []

        def tornado_server():
            async def main():
                sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
                server = tornado.httpserver.HTTPServer(tornado.web.Application([("/", Handler)]),
                                                      ssl_options=server_context())
                server.add_sockets(sockets)
                port.append(sockets[0].getsockname()[1])
                listening.set()
                await asyncio.Event().wait()
            asyncio.run(main())

        threading.Thread(target=tornado_server, daemon=True).start()
        assert listening.wait(10)
        url = f"https://localhost:{port[0]}/"
        answers = []
        with httpx.Client(verify=client_context()) as client:
            answers.append(len(client.get(url).content))
            answers.append(client.post(url, content=b"y" * 300000).text)

        async def clients():
            async with httpx.AsyncClient(verify=client_context()) as client:
                replies = await asyncio.gather(*[client.get(url) for _ in range(10)])
                answers.append({len(reply.content) for reply in replies})
            reply = await tornado.httpclient.AsyncHTTPClient().fetch(url, ssl_options=client_context())
            answers.append(len(reply.body))
            async with aiohttp.ClientSession() as session:
                async with session.get(url, ssl=client_context()) as reply:
                    answers.append(len(await reply.read()))

            async def echo(connection):
                async for message in connection:
                    await connection.send(message)

            async with websockets.asyncio.server.serve(echo, "127.0.0.1", 0, ssl=server_context()) as server:
                address = f"wss://localhost:{server.sockets[0].getsockname()[1]}"
                async with websockets.asyncio.client.connect(address, ssl=client_context()) as connection:
                    await connection.send("hi" * 10000)
                    answers.append(len(await connection.recv()))

        asyncio.run(asyncio.wait_for(clients(), 60))

        def sync_echo(connection):
            for message in connection:
                connection.send(message)

        server = websockets.sync.server.serve(sync_echo, "127.0.0.1", 0, ssl=server_context())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        address = f"wss://localhost:{server.socket.getsockname()[1]}"
        with websockets.sync.client.connect(address, ssl=client_context()) as connection:
            connection.send(b"z" * 200000)
            answers.append(len(connection.recv()))
        server.shutdown()
        print(ssl.__name__, *answers)
    """, timeout=120, **pki_environment(server_cert, root_ca))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["swiftssl", "100000", "got", "300000", "{100000}", "100000",
                                     "100000", "20000", "200000"]


def test_truststore_under_install(server_cert, root_ca, tmp_path):
    """truststore (pip's trust store) verifies with the system's roots itself after the handshake,
    through the chain getter it finds by ``hasattr``: SSLSocket's and SSLObject's (DER bytes) on
    3.13, the connection's (Certificate objects) before. Found failing: swiftssl had 3.13's getters
    on every version, and truststore called ``public_bytes`` on bytes."""
    pytest.importorskip("truststore")
    from child_support import pki_environment, run_child
    roots = tmp_path / "roots.pem"
    roots.write_bytes(root_ca.cert_pem)
    result = run_child("""
        import os, socket, threading
        import swiftssl
        swiftssl.install()
        import ssl, truststore

        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(os.environ["CHAIN_PEM"], os.environ["KEY_PEM"].encode())
        listener = socket.create_server(("127.0.0.1", 0))

        def serve():
            while True:
                raw, _ = listener.accept()
                try:
                    with server_context.wrap_socket(raw, server_side=True) as tls:
                        tls.sendall(tls.recv(100))
                except (ssl.SSLError, OSError):
                    pass

        threading.Thread(target=serve, daemon=True).start()
        address = listener.getsockname()
        answers = []
        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        with context.wrap_socket(socket.create_connection(address), server_hostname="localhost") as tls:
            tls.sendall(b"socket")
            answers.append(tls.recv(100).decode())
        try:
            context.wrap_socket(socket.create_connection(address), server_hostname="elsewhere.example")
        except ssl.SSLCertVerificationError as error:
            answers.append(type(error).__module__)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
        with socket.create_connection(address) as raw:
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    raw.sendall(outgoing.read())
                    incoming.write(raw.recv(65536))
            tls.write(b"bio")
            raw.sendall(outgoing.read())
            while True:
                try:
                    answers.append(tls.read(100).decode())
                    break
                except ssl.SSLWantReadError:
                    incoming.write(raw.recv(65536))
        print(ssl.__name__, *answers)
    """, SSL_CERT_FILE=str(roots), SSL_CERT_DIR=str(tmp_path), **pki_environment(server_cert, root_ca))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["swiftssl", "socket", "swiftssl._errors", "bio"]


def test_trios_own_tls_tests_under_install(tmp_path):
    """trio's test_ssl.py (shipped in its wheel) with swiftssl as ``ssl``: its SSLStream over
    ``wrap_bio`` against in-memory and real peers, including TLS 1.2 renegotiations a pyOpenSSL
    server starts in the middle of full-duplex traffic, and its slow tests. All pass on stdlib ssl
    and on swiftssl; this guards that."""
    for name in ("trio", "OpenSSL", "trustme"):
        pytest.importorskip(name)
    from child_support import run_child
    result = run_child("""
        import sys
        import swiftssl
        swiftssl.install()
        import pytest
        status = pytest.main(["-q", "-p", "no:cacheprovider", "-p", "trio._tests.pytest_plugin", "--run-slow",
                              "--pyargs", "trio._tests.test_ssl", "trio._tests.test_highlevel_ssl_helpers"])
        print("trio's ssl:", sys.modules["trio._tests.test_ssl"].ssl.__name__)
        sys.exit(status)
    """, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    *_, summary, used = result.stdout.strip().splitlines()
    assert used == "trio's ssl: swiftssl"
    assert " failed" not in summary and " passed" in summary, summary
    assert int(summary.split(" passed")[0].split()[-1]) >= 60, summary
