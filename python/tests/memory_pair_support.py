"""Test support: two SSLObjects handshaken over MemoryBIOs, and reading one until it stops.

Tests import these names from ``tls_support``, which re-exports them.
"""

from __future__ import annotations

import ssl


def handshake_in_memory(client, server, client_in, client_out, server_in, server_out):
    """Runs two SSLObjects' handshakes to completion, moving the bytes between their BIOs
    (any library's on either side); fails the test if they do not complete."""
    unfinished = {client, server}
    for _ in range(20):
        for end in list(unfinished):
            try:
                end.do_handshake()
                unfinished.discard(end)
            except ssl.SSLWantReadError:
                pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if not unfinished:
            break
    assert not unfinished, "the handshake did not complete"


def memory_handshake(client_context, server_context, memory_bio):
    """A client and a server SSLObject wired back to back through `memory_bio`s (swiftssl's or
    the stdlib's); returns both after the handshake, with the server's incoming BIO and the
    client's outgoing one."""
    to_server, from_server, to_client, from_client = (memory_bio() for _ in range(4))
    server = server_context.wrap_bio(to_server, from_server, server_side=True)
    client = client_context.wrap_bio(to_client, from_client, server_hostname="localhost")
    handshake_in_memory(client, server, to_client, from_client, to_server, from_server)
    return client, server, to_server, from_client


class MemoryPair:
    """A client SSLObject of `module` and a stdlib server SSLObject, handshaken in memory."""

    def __init__(self, module, server_context, root_ca, foreign_bios=False):
        bio = ssl.MemoryBIO if foreign_bios else module.MemoryBIO
        self.client_in, self.client_out = bio(), bio()
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=root_ca.cert_pem.decode())
        self.client = context.wrap_bio(self.client_in, self.client_out, server_hostname="localhost")
        self.server_in, self.server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.server = server_context.wrap_bio(self.server_in, self.server_out, server_side=True)
        handshake_in_memory(self.client, self.server, self.client_in, self.client_out,
                            self.server_in, self.server_out)
        self.client_in.write(self.server_out.read())

    def records(self, data):
        """The server's records carrying `data`, not delivered."""
        self.server.write(data)
        return self.server_out.read()


def read_until_it_stops(client, size=1 << 20, use_buffer=False):
    """Reads until a read raises or returns nothing: (data, reads that returned data, outcome)."""
    data, reads = bytearray(), 0
    while True:
        try:
            if use_buffer:
                buffer = bytearray(size)
                got = client.read(size, buffer)
                chunk = buffer[:got]
            else:
                chunk = client.read(size)
        except ssl.SSLError as error:
            return bytes(data), reads, type(error).__name__
        if not chunk:
            return bytes(data), reads, "end of stream"
        data += chunk
        reads += 1
