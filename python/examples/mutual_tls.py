"""Mutual TLS: the client presents a certificate and key loaded from memory; the server checks it.

What it shows, all on 127.0.0.1:

1. Two throwaway CAs from ``trustme``: one issues the server's certificate, the other the
   clients' (so a server certificate cannot pass as a client one).
2. A server context that requires a client certificate (``verify_mode = CERT_REQUIRED``) signed
   by the client CA (``load_verify_locations(cadata=...)``), and prints each client's subject.
3. A client whose certificate and private key come from bytes and a file-like object
   (``load_cert_chain(certfile=pem_bytes, keyfile=io.BytesIO(key))``), as they would from a
   secret store: nothing is written to disk. The key is also encrypted, with its password given
   as bytes.
4. A client without a certificate is refused by the server.

Run it with an interpreter that has swiftssl and trustme (``pip install . trustme``):
``python python/examples/mutual_tls.py``. Exit status 0 means every check passed.
"""

import io
import socket
import sys
import threading
from typing import Any

import swiftssl
import trustme
from cryptography.hazmat.primitives import serialization

TIMEOUT = 10.0
KEY_PASSWORD = b"from the secret store"


def subject_text(cert: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for rdn in cert["subject"] for name, value in rdn)


def serve(listener: socket.socket, context: swiftssl.SSLContext, connections: int,
          outcomes: list[str]) -> None:
    """Accepts ``connections`` clients; records each client's subject, or why it was refused."""
    for _ in range(connections):
        raw, _ = listener.accept()
        raw.settimeout(TIMEOUT)
        try:
            with context.wrap_socket(raw, server_side=True) as tls:
                peer = tls.getpeercert()
                subject = subject_text(peer) if peer else "(none)"
                print(f"server: client certificate verified, subject: {subject}")
                tls.sendall(f"hello {subject}\n".encode())
                outcomes.append(subject)
        except swiftssl.SSLError as error:
            print(f"server: refused a client: {error.reason}")
            outcomes.append(f"refused: {error.reason}")


def encrypted_key_pem(blob: trustme.Blob) -> bytes:
    key = serialization.load_pem_private_key(blob.bytes(), password=None)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(KEY_PASSWORD))


def connect(port: int, context: swiftssl.SSLContext) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.recv(256).decode().strip()


def main() -> int:
    server_ca, client_ca = trustme.CA(), trustme.CA()
    server_leaf = server_ca.issue_cert("localhost")
    alice = client_ca.issue_cert("alice@example.com", common_name="alice")

    server_context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(server_leaf.private_key_and_cert_chain_pem.bytes())
    server_context.verify_mode = swiftssl.CERT_REQUIRED
    server_context.load_verify_locations(cadata=client_ca.cert_pem.bytes().decode())

    # The client's credentials as they would come out of a secret store: bytes in memory.
    certificate_bytes = b"".join(blob.bytes() for blob in alice.cert_chain_pems)
    key_bytes = encrypted_key_pem(alice.private_key_pem)
    client_context = swiftssl.create_default_context(cadata=server_ca.cert_pem.bytes())
    client_context.load_cert_chain(certfile=certificate_bytes, keyfile=io.BytesIO(key_bytes),
                                   password=KEY_PASSWORD)
    anonymous_context = swiftssl.create_default_context(cadata=server_ca.cert_pem.bytes())

    outcomes: list[str] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(TIMEOUT)
        port = listener.getsockname()[1]
        server = threading.Thread(target=serve, args=(listener, server_context, 2, outcomes))
        server.start()
        print(f"client: the server says {connect(port, client_context)!r}")
        try:
            # TLS 1.3 clients finish the handshake first; the refusal arrives on the first read.
            reply = connect(port, anonymous_context)
            print(f"client without a certificate: accepted ({reply!r}): that is a failure")
        except (swiftssl.SSLError, ConnectionError) as error:
            print(f"client without a certificate: refused as expected ({error})")
        server.join(TIMEOUT)

    if len(outcomes) != 2 or "commonName=alice" not in outcomes[0] or not outcomes[1].startswith("refused"):
        print(f"mutual_tls: unexpected outcomes {outcomes}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
