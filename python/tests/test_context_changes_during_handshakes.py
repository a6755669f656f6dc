"""Changing a context's callbacks while other threads handshake with it (a server turning its key
log or SNI routing on and off while it serves): no crash, and each handshake sees one setting.

Handshakes run with the GIL released, so a setter on another thread can run in the middle of one.
OpenSSL checks its key log and servername callbacks for NULL and then calls them, reading each
twice: removing one in between had it call NULL (CPython's `ssl` removes them the same way).
swiftssl installs OpenSSL's callbacks once and keeps what they call behind a lock
(Sources/SwiftSSL/TLSContextCallbacks.swift); the test runs in a child process, so a crash fails
it instead of taking pytest down.
"""

from child_support import pki_environment, run_child

PROGRAM = r'''
import os, socket, sys, threading, time
import swiftssl

chain, key, root = (os.environ[name] for name in ("CHAIN_PEM", "KEY_PEM", "ROOT_PEM"))
keylog = os.environ["KEYLOG_PATH"]
server_context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
server_context.load_cert_chain(chain, key)
client_context = swiftssl.create_default_context(cadata=root)
client_context.set_alpn_protocols(["http/1.1"])
sni_calls = []
deadline = time.monotonic() + float(os.environ["SECONDS"])
failures = []
handshakes = [0]

def handshake_pairs():
    while time.monotonic() < deadline:
        client_end, server_end = socket.socketpair()
        try:
            server = server_context.wrap_socket(server_end, server_side=True, do_handshake_on_connect=False)
            peer = threading.Thread(target=server.do_handshake, daemon=True)
            peer.start()
            with client_context.wrap_socket(client_end, server_hostname="localhost") as client:
                peer.join(10)  # one thread per connection at a time: the server's handshake is done
                client.sendall(b"x")
                assert server.recv(1) == b"x"
            server.close()
            handshakes[0] += 1
        except Exception as error:
            failures.append(repr(error))
            return

workers = [threading.Thread(target=handshake_pairs) for _ in range(2)]
for worker in workers:
    worker.start()
round = 0
while time.monotonic() < deadline:
    round += 1
    server_context.keylog_filename = None if round % 2 else keylog
    server_context.sni_callback = None if round % 3 == 0 else (lambda sock, name, context: sni_calls.append(name))
    server_context.set_alpn_protocols(["h2", "http/1.1"] if round % 2 else ["http/1.1"])
    server_context._msg_callback = None if round % 5 == 0 else (lambda *arguments: None)
    time.sleep(0.0005)
for worker in workers:
    worker.join(30)
assert not failures, failures
assert handshakes[0] > 20, handshakes
print("handshakes", handshakes[0], "rounds", round, "sni calls", len(sni_calls))
'''


def test_callbacks_changed_while_other_threads_handshake(server_cert, root_ca, tmp_path):
    result = run_child(PROGRAM, timeout=120, KEYLOG_PATH=str(tmp_path / "keylog.txt"), SECONDS="3",
                       **pki_environment(server_cert, root_ca))
    assert result.returncode == 0, f"exit status {result.returncode}: {result.stdout} {result.stderr[-2000:]}"
    assert result.stdout.startswith("handshakes ")
    assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in (tmp_path / "keylog.txt").read_text()


SWITCH_THROUGH_A_HELLO_RETRY = r'''
import gc, os
import swiftssl

chain, key, root = (os.environ[name] for name in ("CHAIN_PEM", "KEY_PEM", "ROOT_PEM"))
tenant = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
tenant.load_cert_chain(chain, key)
client_context = swiftssl.create_default_context(cadata=root)


def server_object(incoming, outgoing):
    first = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)  # the connection keeps the only reference
    first.load_cert_chain(chain, key)
    first.set_ecdh_curve("prime256v1")  # the client's first key share is X25519: a HelloRetryRequest

    def switch(connection, server_name, context):
        connection.context = tenant

    first.sni_callback = switch
    return first.wrap_bio(incoming, outgoing, server_side=True)


for _ in range(20):
    bios = [swiftssl.MemoryBIO() for _ in range(4)]
    server = server_object(bios[0], bios[1])
    client = client_context.wrap_bio(bios[2], bios[3], server_hostname="localhost")
    for _ in range(6):
        for end in (client, server):
            try:
                end.do_handshake()
            except swiftssl.SSLWantReadError:
                pass
            gc.collect()  # the first context goes once the switch drops it
        bios[0].write(bios[3].read())
        bios[2].write(bios[1].read())
    assert client.version() == "TLSv1.3" and server.context is tenant
print("ok")
'''


def test_a_context_dropped_by_an_sni_switch_survives_a_hello_retry(server_cert, root_ca):
    """The first context, referenced by its connection alone, is dropped when the SNI callback
    switches; OpenSSL calls its servername callback again for the ClientHello that follows a
    HelloRetryRequest (Sources/SwiftSSL/TLSConnection.swift, originalContext)."""
    child = run_child(SWITCH_THROUGH_A_HELLO_RETRY, **pki_environment(server_cert, root_ca))
    assert child.returncode == 0 and child.stdout.strip() == "ok", child.stderr[-3000:]
