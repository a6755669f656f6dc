"""An SSLObject over CPython's own ``ssl.MemoryBIO``s, as asyncio makes them, uses them directly
(Sources/SwiftSSLPython/StdlibMemoryBIOChannel.swift over Sources/SwiftSSL/ChannelTransport.swift):
OpenSSL reads the peer's records from the incoming BIO and writes its own to the outgoing one as
it makes them, with no relay through swiftssl's BIOs. What must hold: the same bytes and the same
exceptions as the stdlib, the objects released with the connection, callbacks that need the GIL
still run, and other MemoryBIO-like objects still relayed."""

import asyncio
import gc
import random
import ssl as stdlib_ssl
import sys

import pytest

import swiftssl
from child_support import TESTS_DIRECTORY, pki_environment, run_child
from tls_support import MemoryPair, handshake_in_memory, read_until_it_stops


class DuckTypedBIO:
    """A MemoryBIO-like object that is not a MemoryBIO: relayed (``_BIOBridge``)."""

    def __init__(self):
        self._bio = stdlib_ssl.MemoryBIO()

    def __getattr__(self, name):
        return getattr(self._bio, name)


def test_the_stdlibs_own_bios_are_used_directly(stdlib_server_context, root_ca):
    pair = MemoryPair(swiftssl, stdlib_server_context, root_ca, foreign_bios=True)
    assert pair.client._bridge is None
    payload = random.Random(4).randbytes(100_000)
    pair.client.write(payload)
    # The records are in the stdlib's outgoing BIO as soon as write() returns.
    pair.server_in.write(pair.client_out.read())
    assert read_until_it_stops(pair.server, size=1 << 20)[0] == payload


def test_other_memory_bio_like_objects_are_still_relayed(stdlib_server_context, root_ca):
    context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    incoming, outgoing = DuckTypedBIO(), DuckTypedBIO()
    client = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    assert client._bridge is not None
    server_in, server_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
    server = stdlib_server_context.wrap_bio(server_in, server_out, server_side=True)
    handshake_in_memory(client, server, incoming, outgoing, server_in, server_out)
    assert client.version() == "TLSv1.3"
    server.write(b"relayed")
    incoming.write(server_out.read())
    assert client.read(100) == b"relayed"


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_a_handshake_fed_one_byte_at_a_time(stdlib_server_context, root_ca, module):
    """Every partial header and partial record is a want-read, as with the stdlib."""
    context = module.create_default_context(cadata=root_ca.cert_pem.decode())
    client_in, client_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
    client = context.wrap_bio(client_in, client_out, server_hostname="localhost")
    server_in, server_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
    server = stdlib_server_context.wrap_bio(server_in, server_out, server_side=True)
    want_reads = 0
    for _ in range(20):
        try:
            client.do_handshake()
            break
        except stdlib_ssl.SSLWantReadError:
            want_reads += 1
        server_in.write(client_out.read())
        try:
            server.do_handshake()
        except stdlib_ssl.SSLWantReadError:
            pass
        for byte in server_out.read():
            client_in.write(bytes([byte]))
            try:
                client.do_handshake()
            except stdlib_ssl.SSLWantReadError:
                want_reads += 1
    assert client.version() == "TLSv1.3" and client_in.pending == 0
    assert want_reads > 100


def test_an_exception_raised_by_the_outgoing_bio_is_what_the_write_raises(stdlib_server_context, root_ca):
    """The one MemoryBIO call that can fail: ``write()`` after ``write_eof()``. (The stdlib's
    SSLObject writes into the BIO below that check, so its write succeeds: a documented
    difference, README "Differences".)"""
    pair = MemoryPair(swiftssl, stdlib_server_context, root_ca, foreign_bios=True)
    pair.client_out.write_eof()
    with pytest.raises(stdlib_ssl.SSLError, match="write_eof"):
        pair.client.write(b"after the end")
    # The exception is raised once, not kept for the next operation.
    with pytest.raises(stdlib_ssl.SSLWantReadError):
        pair.client.read(10)


def test_the_connection_releases_the_bios(stdlib_server_context, root_ca):
    incoming, outgoing = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
    before = sys.getrefcount(incoming), sys.getrefcount(outgoing)
    context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    for _ in range(50):
        client = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
        with pytest.raises(stdlib_ssl.SSLWantReadError):
            client.do_handshake()
        del client
    gc.collect()
    assert (sys.getrefcount(incoming), sys.getrefcount(outgoing)) == before


def test_a_server_names_callback_runs_during_a_handshake_over_stdlib_bios(server_cert, root_ca, tmp_path):
    certificate_path, key_path = server_cert.write(tmp_path, "server")
    server_context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(certificate_path, key_path)
    seen = []
    server_context.sni_callback = lambda sslobject, name, context: seen.append((type(sslobject).__name__, name))
    client_context = stdlib_ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    pipes = [stdlib_ssl.MemoryBIO() for _ in range(4)]
    client = client_context.wrap_bio(pipes[0], pipes[1], server_hostname="localhost")
    server = server_context.wrap_bio(pipes[2], pipes[3], server_side=True)
    handshake_in_memory(client, server, *pipes)
    assert seen == [("SSLObject", "localhost")]
    assert server.version() == client.version() == "TLSv1.3"


@pytest.mark.parametrize("server_module, client_module", [(swiftssl, swiftssl), (swiftssl, stdlib_ssl),
                                                          (stdlib_ssl, swiftssl)],
                         ids=["swiftssl both", "swiftssl server", "swiftssl client"])
def test_asyncio_streams_carry_megabytes_both_ways(server_cert, root_ca, tmp_path, server_module, client_module):
    certificate_path, key_path = server_cert.write(tmp_path, "server")
    server_context = server_module.SSLContext(server_module.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(certificate_path, key_path)
    client_context = client_module.create_default_context(cadata=root_ca.cert_pem.decode())
    upload = random.Random(5).randbytes(3 << 20)
    download = random.Random(6).randbytes(2 << 20)

    async def main():
        relays = []

        async def handle(reader, writer):
            relays.append(writer.get_extra_info("ssl_object"))
            received = await reader.readexactly(len(upload))
            writer.write(download)
            await writer.drain()
            writer.close()
            await writer.wait_closed()
            return received

        handled = []
        server = await asyncio.start_server(lambda r, w: handled.append(asyncio.ensure_future(handle(r, w))),
                                            "127.0.0.1", 0, ssl=server_context)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_context,
                                                       server_hostname="localhost")
        relays.append(writer.get_extra_info("ssl_object"))
        for start in range(0, len(upload), 100_000):
            writer.write(upload[start:start + 100_000])
            await writer.drain()
        got = await reader.read()  # to the server's close_notify
        writer.close()
        await writer.wait_closed()
        received = await handled[0]
        server.close()
        await server.wait_closed()
        return received, got, relays

    received, got, ssl_objects = asyncio.run(asyncio.wait_for(main(), 60))
    assert received == upload and got == download
    for ssl_object in ssl_objects:
        if isinstance(ssl_object, swiftssl.SSLObject):
            assert ssl_object._bridge is None


SEND_FILE_OVER_STDLIB_BIOS = """
    import os, ssl, tempfile
    import swiftssl
    from memory_pair_support import memory_handshake
    server = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(os.environ["CHAIN_PEM"], os.environ["KEY_PEM"])
    client = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cadata=os.environ["ROOT_PEM"])
    tls, peer, server_in, client_out = memory_handshake(client, server, ssl.MemoryBIO)
    payload = os.urandom(50_000)
    with tempfile.TemporaryFile() as file:
        file.write(payload)
        file.flush()
        progress = [0]
        tls._sslobj.send_file(file.fileno(), 0, None, None, progress)
    server_in.write(client_out.read())
    received = b""
    while len(received) < len(payload):
        received += peer.read(1 << 20)
    print(progress[0], received == payload)
"""


def test_the_native_send_file_keeps_the_gil_over_stdlib_bios(server_cert, root_ca):
    """The native send_file released the GIL whatever the transport; over CPython's MemoryBIOs
    each record written is a Python call, so the process crashed (a segfault; a pydebug build's
    "Python memory allocator called without holding the GIL"). Reached only through the private
    `_sslobj`, in a child here."""
    result = run_child(SEND_FILE_OVER_STDLIB_BIOS, PYTHONPATH=TESTS_DIRECTORY, **pki_environment(server_cert, root_ca))
    assert (result.returncode, result.stdout.strip()) == (0, "50000 True"), result.stderr[-2000:]
