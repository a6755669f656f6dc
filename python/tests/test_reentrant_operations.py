"""An operation on a connection started again, on the same thread, from inside one under way:
by an SNI or message callback (which run inside OpenSSL's handshake) or by a signal handler
(which runs while a blocking write waits). OpenSSL cannot run one call inside another on the
same `SSL`; swiftssl refuses the inner one with an SSLError (``TLSError.reentrantOperation`` in
Sources/SwiftSSL/ConnectionLock.swift). Before, the connection's lock trapped ("Recursive call
to lock Mutex", killing the interpreter), or, over the stdlib's MemoryBIOs, spun forever.

Each case runs in a child process, for both libraries where the stdlib survives it, and prints
one line: what the outer operation did, and what the inner one raised.
"""

import pytest

from child_support import pki_environment, run_child

REFUSED = "already in the middle of an operation on this thread"

COMMON = """
    import os, signal, socket, sys, threading, time
    ssl = __import__(os.environ["LIBRARY"])
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    credentials = os.path.join(__import__("tempfile").mkdtemp(), "server.pem")  # a path, for the stdlib
    with open(credentials, "w") as file:
        file.write(os.environ["CHAIN_PEM"] + os.environ["KEY_PEM"])
    server_context.load_cert_chain(credentials)
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.load_verify_locations(cadata=os.environ["ROOT_PEM"])
    inner = []

    def note(call):
        # Calls `call`, noting what it did in `inner`; what it raised goes on up.
        try:
            call()
            inner.append("returned")
        except Exception as error:
            inner.append(f"{type(error).__name__}: {error}")
            raise

    def outcome(call):
        try:
            call()
            return "returned"
        except Exception as error:
            return type(error).__name__

    def calling(connection, name):
        if name == "detach":  # the descriptor is the caller's now: closing it ends the peer's wait
            return lambda: os.close(connection.detach())
        arguments = {"read": (5,), "write": (b"x",), "send": (b"x",), "sendall": (b"x",)}
        return lambda: getattr(connection, name)(*arguments.get(name, ()))

    def handshake_over_a_socketpair():
        # {"server": outcome, "client": outcome} of a handshake between the two contexts.
        raw_client, raw_server = socket.socketpair()
        results = {}
        ends = [("client", lambda: client_context.wrap_socket(raw_client, server_hostname="localhost")),
                ("server", lambda: server_context.wrap_socket(raw_server, server_side=True))]
        threads = [threading.Thread(target=lambda end=end, wrap=wrap: results.setdefault(end, outcome(wrap)))
                   for end, wrap in ends]
        for raw in (raw_client, raw_server):
            raw.settimeout(10)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results
"""

SIGNAL_HANDLER_WRITES_DURING_SENDALL = COMMON + """
    raw_client, raw_server = socket.socketpair()
    accepted = {}
    handshaker = threading.Thread(
        target=lambda: accepted.setdefault("server", server_context.wrap_socket(raw_server, server_side=True)))
    handshaker.start()
    client = client_context.wrap_socket(raw_client, server_hostname="localhost")
    handshaker.join()
    signal.signal(signal.SIGALRM, lambda *_: note(calling(client, os.environ["INNER"])))
    signal.setitimer(signal.ITIMER_REAL, 0.2)

    def drain():
        time.sleep(0.6)
        while accepted["server"].recv(1 << 20):
            pass

    threading.Thread(target=drain, daemon=True).start()
    print("outer:", outcome(lambda: client.sendall(b"x" * 20_000_000)), "| inner:", *inner)
"""

SNI_CALLBACK_OPERATES = COMMON + """
    def callback(connection, server_name, context):
        note(calling(connection, os.environ["INNER"]))

    server_context.sni_callback = callback
    print("outer:", handshake_over_a_socketpair()["server"], "| inner:", *inner)
"""

SNI_CALLBACK_OPERATES_OVER_MEMORY = COMMON + """
    import _ssl
    bio = _ssl.MemoryBIO if os.environ["BIOS"] == "stdlib" else ssl.MemoryBIO
    server_context.sni_callback = lambda connection, *_: note(calling(connection, os.environ["INNER"]))
    to_server, from_server, to_client, from_client = bio(), bio(), bio(), bio()
    server = server_context.wrap_bio(to_server, from_server, server_side=True)
    client = client_context.wrap_bio(to_client, from_client, server_hostname="localhost")
    outcome(client.do_handshake)
    to_server.write(from_client.read())
    print("outer:", outcome(server.do_handshake), "| inner:", *inner)
"""

MESSAGE_CALLBACK_OPERATES = COMMON + """
    def callback(connection, *_):
        if not inner:
            note(calling(connection, os.environ["INNER"]))

    client_context._msg_callback = callback
    print("outer:", handshake_over_a_socketpair()["client"], "| inner:", *inner)
"""


def run(program, library, server_cert, root_ca, **environment):
    child = run_child(program, timeout=30, LIBRARY=library, **environment,
                      **pki_environment(server_cert, root_ca))
    assert child.returncode == 0, child.stderr[-2000:]
    return child.stdout.strip()


@pytest.mark.parametrize("inner", ["sendall", "send", "unwrap"])
def test_a_signal_handler_writing_while_sendall_waits_gets_an_sslerror(inner, server_cert, root_ca):
    """The handler's operation raises, and so the outer sendall raises it too, as a Python
    exception from a signal handler does: SSLError, as the stdlib's sendall raises here."""
    line = run(SIGNAL_HANDLER_WRITES_DURING_SENDALL, "swiftssl", server_cert, root_ca, INNER=inner)
    assert line.startswith("outer: SSLError | inner: SSLError: ") and REFUSED in line, line
    if inner == "sendall":
        assert run(SIGNAL_HANDLER_WRITES_DURING_SENDALL, "ssl", server_cert, root_ca,
                   INNER=inner).startswith("outer: SSLError"), "the stdlib's sendall raises SSLError here"


@pytest.mark.parametrize("inner", ["read", "write", "unwrap", "do_handshake"])
def test_an_sni_callback_operating_on_its_connection_fails_the_handshake(inner, server_cert, root_ca):
    """As with the stdlib (for write and unwrap; its read there may return data or not, and its
    do_handshake crashes): the inner call raises, the callback's exception is unraisable, and
    the handshake fails with SSLError."""
    line = run(SNI_CALLBACK_OPERATES, "swiftssl", server_cert, root_ca, INNER=inner)
    assert line.startswith("outer: SSLError | inner: SSLError: ") and REFUSED in line, line
    if inner in ("write", "unwrap"):
        assert run(SNI_CALLBACK_OPERATES, "ssl", server_cert, root_ca, INNER=inner).startswith("outer: SSLError")


@pytest.mark.parametrize("bios", ["stdlib", "swiftssl"])
@pytest.mark.parametrize("inner", ["read", "write", "do_handshake"])
def test_an_sni_callback_operating_on_its_sslobject_fails_the_handshake_at_once(inner, bios, server_cert, root_ca):
    """Over the stdlib's MemoryBIOs (asyncio's) the inner call used to wait for the lock its own
    thread held, forever; over swiftssl's it trapped."""
    line = run(SNI_CALLBACK_OPERATES_OVER_MEMORY, "swiftssl", server_cert, root_ca, INNER=inner, BIOS=bios)
    assert line.startswith("outer: SSLError | inner: SSLError: ") and REFUSED in line, line


@pytest.mark.parametrize("inner", ["read", "write", "unwrap", "do_handshake"])
def test_a_message_callback_operating_on_its_connection_is_refused(inner, server_cert, root_ca):
    """The callback's exception is reported as unraisable, as every message-callback exception
    is, and the handshake goes on."""
    line = run(MESSAGE_CALLBACK_OPERATES, "swiftssl", server_cert, root_ca, INNER=inner)
    assert line.startswith("outer: returned | inner: SSLError: ") and REFUSED in line, line


def test_detach_from_an_sni_callback_does_not_wait_for_the_lock(server_cert, root_ca):
    """detach() takes the lock briefly to forget the descriptor; from a callback, whose thread
    holds the lock already, it forgets it at once, and the handshake goes on without it."""
    line = run(SNI_CALLBACK_OPERATES, "swiftssl", server_cert, root_ca, INNER="detach")
    assert line.startswith("outer: ") and "| inner: returned" in line, line
