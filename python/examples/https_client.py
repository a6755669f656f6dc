"""HTTPS with the stdlib's http.client and urllib, through swiftssl, against a local server.

What it shows, all on 127.0.0.1 in about a second:

1. A throwaway CA and a certificate for ``localhost`` made by ``trustme``, in memory.
2. An ``http.server`` HTTPS server whose listening socket is wrapped by a swiftssl server context
   loaded from PEM bytes (``load_cert_chain(pem)``: nothing is written to disk).
3. ``http.client.HTTPSConnection(..., context=ctx)`` and ``urllib.request.urlopen(..., context=ctx)``
   with a swiftssl client context that trusts the CA (``create_default_context(cadata=...)``):
   they verify the chain and the hostname exactly as with the stdlib's ``ssl``.
4. The same request with a context that does not trust the CA fails with swiftssl's
   ``SSLCertVerificationError``, which is also the stdlib's, so urllib wraps it in ``URLError``.

Run it with an interpreter that has swiftssl and trustme (``pip install . trustme``):
``python python/examples/https_client.py``. Exit status 0 means every check passed.
"""

import http.client
import http.server
import sys
import threading
import urllib.error
import urllib.request

import swiftssl
import trustme

TIMEOUT = 10.0


class Hello(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a short text naming the TLS version of the connection."""

    def do_GET(self) -> None:
        version = self.connection.version() if isinstance(self.connection, swiftssl.SSLSocket) else None
        body = f"hello from {self.path} over {version}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the example's output to the client's view


def start_server(certificate_pem: bytes) -> http.server.ThreadingHTTPServer:
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_pem)  # chain and key in one PEM blob, from memory
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    authority = trustme.CA()
    leaf = authority.issue_cert("localhost")
    server = start_server(leaf.private_key_and_cert_chain_pem.bytes())
    port = server.server_address[1]
    context = swiftssl.create_default_context(cadata=authority.cert_pem.bytes().decode())
    try:
        connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=TIMEOUT)
        connection.request("GET", "/http.client")
        tls = connection.sock  # the SSLSocket swiftssl made; http.client drops it after HTTP/1.0
        assert isinstance(tls, swiftssl.SSLSocket)
        protocol, cipher = tls.version(), tls.cipher()
        response = connection.getresponse()
        body = response.read().decode()
        print(f"http.client: {response.status} {response.reason}, {protocol} "
              f"{cipher[0] if cipher else None}, body: {body.strip()!r}")
        connection.close()
        if response.status != 200 or "TLSv1.3" not in body:
            print("https_client: unexpected response", file=sys.stderr)
            return 1

        with urllib.request.urlopen(f"https://localhost:{port}/urllib", context=context,
                                    timeout=TIMEOUT) as reply:
            print(f"urllib:      {reply.status}, body: {reply.read().decode().strip()!r}")

        untrusting = swiftssl.create_default_context(cadata=trustme.CA().cert_pem.bytes().decode())
        try:
            urllib.request.urlopen(f"https://localhost:{port}/", context=untrusting, timeout=TIMEOUT)
        except urllib.error.URLError as error:
            reason = error.reason
            if not isinstance(reason, swiftssl.SSLCertVerificationError):
                print(f"https_client: expected a verification error, got {reason!r}", file=sys.stderr)
                return 1
            print(f"untrusted:   refused as expected: {reason.verify_message}")
        else:
            print("https_client: a server signed by an unknown CA was accepted", file=sys.stderr)
            return 1
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
