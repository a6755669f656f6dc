"""atheris target: arbitrary bytes into the incoming MemoryBIO of an SSLObject (``wrap_bio``).

Input layout: byte 0 picks the side (even: a server SSLObject, odd: a client one, which first
sends its ClientHello), whether EOF is written at the end (bit 1) and whose MemoryBIOs carry the
records (bit 2: the stdlib's, which the connection reads and writes directly, as under asyncio;
else swiftssl's); the rest is a sequence of
chunks, each a length byte then that many bytes, fed one at a time with a ``do_handshake()``
(or, once the handshake is done, a ``read()``) after each, draining the outgoing BIO as a peer
would. Both contexts use a certificate made at start-up; the client does not verify, so a fuzzed
server flight can get as far as the handshake allows. Bit 3 swaps in TLS-PSK contexts instead
(no certificate; PSK suites for TLS 1.2): a fuzzed ClientHello's PSK identities reach the server
callback, a fuzzed ServerKeyExchange's identity hint the client callback.

Allowed outcomes: returning, or any ``SSLError`` (want-read, EOF, protocol errors included). A PSK
callback given anything but a str or None is a finding.
"""

import ssl as stdlib_ssl

from _harness import import_swiftssl, run

swiftssl = import_swiftssl()

from _certificate import server_pem  # noqa: E402  (after the instrumented import)

SERVER_CONTEXT = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
SERVER_CONTEXT.load_cert_chain(server_pem())
CLIENT_CONTEXT = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
CLIENT_CONTEXT.check_hostname = False
CLIENT_CONTEXT.verify_mode = swiftssl.CERT_NONE

PSK = bytes(range(16))
# What the PSK callbacks were handed that is neither a str nor None (checked after each input:
# an exception inside a callback would only be reported as unraisable).
peer_text_of_the_wrong_type = []


def peer_text(value):
    if value is not None and not isinstance(value, str):
        peer_text_of_the_wrong_type.append(value)
    return value


def key_for(identity):
    return PSK if peer_text(identity) == "fuzz" else b""


def offer(hint):
    peer_text(hint)
    return "fuzz", PSK


PSK_SERVER_CONTEXT = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
PSK_SERVER_CONTEXT.set_ciphers("PSK")
PSK_SERVER_CONTEXT.set_psk_server_callback(key_for, "fuzz hint")
PSK_CLIENT_CONTEXT = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
PSK_CLIENT_CONTEXT.check_hostname = False
PSK_CLIENT_CONTEXT.verify_mode = swiftssl.CERT_NONE
PSK_CLIENT_CONTEXT.set_ciphers("PSK")
PSK_CLIENT_CONTEXT.set_psk_client_callback(offer)


def chunks(data: bytes):
    position = 0
    while position < len(data):
        length = data[position]
        yield data[position + 1:position + 1 + length]
        position += 1 + length


def step(connection, outgoing, handshake_done):
    """One handshake or read attempt; returns whether the handshake has completed."""
    try:
        if not handshake_done:
            connection.do_handshake()
            handshake_done = True
        else:
            connection.read(65536)
    except (swiftssl.SSLWantReadError, swiftssl.SSLWantWriteError):
        pass
    finally:
        outgoing.read()
    return handshake_done


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0], data[1:]
    memory_bio = stdlib_ssl.MemoryBIO if mode & 4 else swiftssl.MemoryBIO
    incoming, outgoing = memory_bio(), memory_bio()
    server_side = mode % 2 == 0
    server_context, client_context = (PSK_SERVER_CONTEXT, PSK_CLIENT_CONTEXT) if mode & 8 else \
        (SERVER_CONTEXT, CLIENT_CONTEXT)
    if server_side:
        connection = server_context.wrap_bio(incoming, outgoing, server_side=True)
    else:
        connection = client_context.wrap_bio(incoming, outgoing, server_hostname="fuzz.example")
    done = False
    try:
        if not server_side:
            done = step(connection, outgoing, done)
        for chunk in chunks(body):
            incoming.write(chunk)
            done = step(connection, outgoing, done)
        if mode & 2:
            incoming.write_eof()
            done = step(connection, outgoing, done)
        if done:
            connection.version()
            connection.cipher()
            connection.getpeercert()
            connection.getpeercert(binary_form=True)
            connection.pending()
    except swiftssl.SSLError:
        pass
    if peer_text_of_the_wrong_type:
        raise AssertionError(f"a PSK callback was given {peer_text_of_the_wrong_type.pop()!r}")


if __name__ == "__main__":
    run(test_one_input)
