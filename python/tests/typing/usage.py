"""Typed uses of swiftssl's public API, checked by mypy (scripts/test, the "typing" step).

Never run, only type-checked: each function is what an editor should accept (``assert_type``
pins the inferred types), and each ``# type: ignore[code]`` line is a mistake the stubs must
reject. mypy runs with ``--warn-unused-ignores``, so a stub that stopped rejecting one fails.
"""

import asyncio
import http.client
import io
import pathlib
import socket
import ssl
import sys
import urllib.request
from typing import Any, assert_type

import swiftssl
import swiftssl.run


def credentials_from_anywhere(chain_pem: bytes, key_pem: str, ca_path: pathlib.Path) -> swiftssl.SSLContext:
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(io.BytesIO(chain_pem), io.StringIO(key_pem), password=b"secret")
    context.load_cert_chain(chain_pem, key_pem)
    context.load_cert_chain("/etc/tls/chain.pem", pathlib.Path("/etc/tls/key.pem"), password=lambda: "secret")
    context.load_verify_locations(cafile=ca_path)
    context.load_verify_locations(cafile=io.BytesIO(b"-----BEGIN CERTIFICATE-----..."))
    context.load_verify_locations(cadata=b"\x30\x82")
    context.load_cert_chain(42)  # type: ignore[arg-type]
    return context


def client_settings() -> swiftssl.SSLContext:
    context = swiftssl.create_default_context(cafile=io.BytesIO(b"..."))
    context.minimum_version = swiftssl.TLSVersion.TLSv1_2
    context.verify_mode = swiftssl.CERT_REQUIRED
    context.options |= swiftssl.OP_NO_COMPRESSION | swiftssl.OP_LEGACY_SERVER_CONNECT
    context.verify_flags |= swiftssl.VERIFY_X509_STRICT
    context.set_alpn_protocols(["h2", "http/1.1"])
    context.set_ciphers("ECDHE+AESGCM")
    assert_type(context.check_hostname, bool)
    assert_type(context.get_ca_certs(binary_form=True), list[bytes])
    context.check_hostname = "yes"  # type: ignore[assignment]
    return context


def connection(context: swiftssl.SSLContext) -> None:
    with socket.create_connection(("example.com", 443)) as raw:
        with context.wrap_socket(raw, server_hostname="example.com") as tls:
            assert_type(tls, swiftssl.SSLSocket)
            assert_type(tls.version(), str | None)
            assert_type(tls.getpeercert(binary_form=True), bytes | None)
            if sys.version_info >= (3, 13):
                assert_type(tls.get_verified_chain(), list[bytes])
            else:
                tls.get_verified_chain()  # type: ignore[attr-defined]
            cipher = tls.cipher()
            if cipher is not None:
                name, protocol, bits = cipher
                assert_type(bits, int)
            swiftssl.match_hostname(tls.getpeercert(), "example.com")
            tls.sendall(b"ping")
            assert_type(tls.recv(1024), bytes)
            tls.sendall("ping")  # type: ignore[arg-type]


def app_engine_style(raw: socket.socket, key_row: bytes) -> swiftssl.SSLSocket:
    return swiftssl.wrap_socket(raw, keyfile=io.BytesIO(key_row), certfile="chain.pem",
                                cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=io.StringIO("..."),
                                server_hostname="tenant.example")


def memory(context: swiftssl.SSLContext) -> bytes:
    incoming, outgoing = swiftssl.MemoryBIO(), swiftssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="example.com")
    assert_type(tls, swiftssl.SSLObject)
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())  # asyncio passes the stdlib's BIOs
    try:
        tls.do_handshake()
    except swiftssl.SSLWantReadError:
        pass
    return outgoing.read()


def errors(context: swiftssl.SSLContext, raw: socket.socket) -> str:
    try:
        context.wrap_socket(raw, server_hostname="example.com")
    except swiftssl.SSLCertVerificationError as error:
        assert_type(error.verify_code, int)
        return error.verify_message
    except swiftssl.SSLError as error:
        return error.reason
    return ""


async def stdlib_clients_take_a_swiftssl_context(context: swiftssl.SSLContext) -> None:
    http.client.HTTPSConnection("example.com", context=context)
    urllib.request.urlopen("https://example.com", context=context)
    await asyncio.open_connection("example.com", 443, ssl=context)
    await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0, ssl=context)
    stdlib_error: type[ssl.SSLError] = swiftssl.SSLError  # swiftssl's errors subclass the stdlib's


def module_functions() -> None:
    swiftssl.install()
    assert_type(swiftssl.__version__, str)
    assert_type(swiftssl.DER_cert_to_PEM_cert(b"..."), str)
    assert_type(swiftssl.cert_time_to_seconds("May  9 00:00:00 2007 GMT"), int)
    assert_type(swiftssl.get_server_certificate(("example.com", 443), timeout=5), str)
    assert_type(swiftssl.RAND_bytes(16), bytes)
    assert_type(swiftssl.get_default_verify_paths().cafile, str | None)
    assert_type(swiftssl.run.main(["script.py"]), int)
    purpose: Any = swiftssl.Purpose.CLIENT_AUTH
    swiftssl.create_default_context(purpose)
    swiftssl.match_hostname({"subjectAltName": (("DNS", "example.com"),)}, b"example.com")  # type: ignore[arg-type]
