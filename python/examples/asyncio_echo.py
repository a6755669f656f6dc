"""An asyncio TLS echo server and client, both with swiftssl contexts.

What it shows, all on 127.0.0.1:

1. A throwaway CA and a ``localhost`` certificate from ``trustme``, kept in memory.
2. ``asyncio.start_server(..., ssl=server_context)`` with a swiftssl server context: asyncio drives
   swiftssl through ``wrap_bio`` with its own (stdlib) ``MemoryBIO`` objects.
3. ``asyncio.open_connection(..., ssl=client_context)`` verifying the chain and the hostname,
   sending a few lines and reading each echo, then the negotiated protocol, cipher and peer
   certificate from ``writer.get_extra_info(...)``.
4. Three clients at once, to show one server context shared by concurrent connections.

Run it with an interpreter that has swiftssl and trustme (``pip install . trustme``):
``python python/examples/asyncio_echo.py``. Exit status 0 means every check passed.
"""

import asyncio
import sys

import swiftssl
import trustme

TIMEOUT = 10.0
LINES = [b"hello\n", b"TLS over asyncio\n", b"bye\n"]


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echoes each line back until the client closes."""
    try:
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
    finally:
        writer.close()


async def client(name: str, port: int, context: swiftssl.SSLContext) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                   server_hostname="localhost")
    tls = writer.get_extra_info("ssl_object")
    peer = writer.get_extra_info("peercert")
    subject_alt_names = peer["subjectAltName"] if peer else ()
    print(f"{name}: {tls.version()} {writer.get_extra_info('cipher')[0]}, "
          f"server certificate for {subject_alt_names}")
    replies = []
    for line in LINES:
        writer.write(line)
        await writer.drain()
        replies.append(await reader.readline())
    writer.close()
    await writer.wait_closed()
    print(f"{name}: echoed {b''.join(replies)!r}")
    return replies


async def main() -> int:
    authority = trustme.CA()
    leaf = authority.issue_cert("localhost")
    server_context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(leaf.private_key_and_cert_chain_pem.bytes())
    client_context = swiftssl.create_default_context(cadata=authority.cert_pem.bytes())

    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    print(f"echo server on 127.0.0.1:{port}")
    async with server:
        results = await asyncio.wait_for(
            asyncio.gather(*(client(f"client {n}", port, client_context) for n in range(1, 4))),
            TIMEOUT)
    if any(replies != LINES for replies in results):
        print("asyncio_echo: an echo did not match what was sent", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
