"""swiftssl in subinterpreters: mod_wsgi's kind (one per application, sharing the GIL) and 3.12+'s
isolated ones with a GIL of their own, which run Python code in parallel.

The extension is multi-phase (PEP 489): each interpreter that imports it gets its own module and
native types, and the package registers its own exception classes and Certificate factory with it.
What must hold:
- every interpreter raises its own ``SSLError`` classes and makes its own ``Certificate`` and
  ``SSLSession`` objects, however many interpreters imported swiftssl after it (the classes used to
  live in one process-wide slot: the last importer's won);
- a connection closes, and OpenSSL's callbacks run, in the interpreter that made the call: on
  CPython 3.11 swiftssl once re-took the GIL through ``PyGILState_Ensure``, which deadlocked as a
  subinterpreter's connection was freed;
- isolated interpreters import swiftssl (they used to get ImportError) and run handshakes side
  by side, with module-level ``wrap_socket`` sharing one cached context between them.

Each check runs in a child process with a timeout, so a deadlock fails the test instead of hanging
the suite.
"""

import subprocess
import sys

import pytest

from child_support import pki_environment, run_child

pytest.importorskip("_testcapi", reason="this CPython build has no _testcapi (run_in_subinterp)")

# Runs in each interpreter: an in-memory PKI handed over in the environment (no file anywhere),
# then a full handshake over a socketpair with the server in another thread, the same again with
# module-level wrap_socket (whose cached context every interpreter shares), and a check that this
# interpreter's `except swiftssl.SSLError` catches what the extension raises.
ROUND_TRIP = r'''
import io, os, socket, threading, sys, __main__
import swiftssl

__main__.callbacks_seen = []
chain, key, root = (os.environ[name].encode() for name in ("CHAIN_PEM", "KEY_PEM", "ROOT_PEM"))

def note(kind):
    import __main__  # this interpreter's __main__, if the callback runs in this interpreter
    __main__.callbacks_seen.append(kind)

server_context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
server_context.load_cert_chain(io.BytesIO(chain), io.BytesIO(key))
server_context.sni_callback = lambda sock, name, context: note("sni:" + name)
client_context = swiftssl.create_default_context(cadata=root.decode())
client_context._msg_callback = lambda *arguments: note("message")

def client():
    with client_context.wrap_socket(client_end, server_hostname="localhost") as connection:
        connection.sendall(b"ping")
        assert connection.recv(4) == b"pong"
        chain_seen = connection._sslobj.get_verified_chain()
        assert type(chain_seen[0]) is swiftssl._ssl.Certificate, type(chain_seen[0])
        assert type(connection.session) is swiftssl.SSLSession, type(connection.session)

def legacy_client():
    with swiftssl.wrap_socket(client_end, ca_certs=io.BytesIO(root), cert_reqs=swiftssl.CERT_REQUIRED,
                              server_hostname="localhost") as connection:
        connection.sendall(b"ping")
        assert connection.recv(4) == b"pong"
        assert connection.getpeercert()["subjectAltName"]

client_failures = []

def reporting(run_client):
    # A failed check in the client thread fails the program (a thread's exception alone would
    # only be printed: swiftssl.Certificate, which does not exist, went unnoticed that way).
    try:
        run_client()
    except BaseException as error:
        client_failures.append(repr(error))

for run_client in (client, legacy_client):
    client_end, server_end = socket.socketpair()
    thread = threading.Thread(target=reporting, args=(run_client,))
    thread.start()
    # The server's handshake (and its SNI callback) on this interpreter's first thread, which in
    # a legacy subinterpreter also has a thread state in the main interpreter: the one
    # PyGILState_Ensure would have picked.
    with server_context.wrap_socket(server_end, server_side=True) as connection:
        assert connection.recv(4) == b"ping"
        connection.sendall(b"pong")
    thread.join(30)
    assert not thread.is_alive()
    assert client_failures == [], client_failures
assert "sni:localhost" in __main__.callbacks_seen and "message" in __main__.callbacks_seen, __main__.callbacks_seen

try:
    swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata="not a certificate")
except swiftssl.SSLError as error:
    assert type(error).__module__ == "swiftssl._errors"
else:
    raise AssertionError("no SSLError")
# One write(2) of the whole line: interpreters running side by side each have their own
# sys.stdout, whose pieces of a print() interleaved ("isolated-2isolated-0 ok").
sys.stdout.flush()
os.write(1, f"{INTERPRETER} ok\n".encode())
'''


def run_interpreters(program, server_cert, root_ca, timeout=60):
    """Runs `program` in a new process (with the in-memory PKI in its environment); its stdout."""
    try:
        result = run_child(program, timeout=timeout, **pki_environment(server_cert, root_ca))
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"the interpreters hung (deadlock?); output so far: {expired.stdout!r} {expired.stderr!r}")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_connections_close_and_callbacks_run_in_the_subinterpreter_that_made_them(server_cert, root_ca):
    output = run_interpreters(f"""
        import _testcapi
        ROUND_TRIP = {ROUND_TRIP!r}
        for name in ("first", "second"):
            assert _testcapi.run_in_subinterp(f"INTERPRETER = {{name!r}}\\n" + ROUND_TRIP) == 0, name
        # The main interpreter, after two subinterpreters came and went, then one more after it.
        exec("INTERPRETER = 'main'\\n" + ROUND_TRIP)
        assert "callbacks_seen" in globals()  # the main interpreter's own, set by its own run
        assert _testcapi.run_in_subinterp("INTERPRETER = 'third'\\n" + ROUND_TRIP) == 0
    """, server_cert, root_ca)
    assert output.split() == ["first", "ok", "second", "ok", "main", "ok", "third", "ok"]


def test_each_interpreter_catches_its_own_ssl_errors_after_others_import_swiftssl(server_cert, root_ca):
    output = run_interpreters("""
        import _testcapi, gc
        import swiftssl

        def caught():
            try:
                swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata="not a certificate")
            except swiftssl.SSLError:
                return "caught"
            except Exception as error:
                return f"escaped as {type(error)!r}, not this interpreter's SSLError"
            return "nothing raised"

        print(caught())
        # Each subinterpreter's import registers its own classes with the extension.
        assert _testcapi.run_in_subinterp("import swiftssl; swiftssl.SSLContext") == 0
        print(caught())
        gc.collect()
        print(caught())
        assert _testcapi.run_in_subinterp("import swiftssl; swiftssl.SSLContext") == 0
        print(caught())
    """, server_cert, root_ca)
    assert output.split("\n")[:4] == ["caught"] * 4


@pytest.mark.skipif(sys.version_info < (3, 12), reason="isolated subinterpreters are new in 3.12")
def test_isolated_subinterpreters_run_handshakes_in_parallel(server_cert, root_ca):
    output = run_interpreters(f"""
        import sys, threading
        ROUND_TRIP = {ROUND_TRIP!r}
        if sys.version_info >= (3, 13):
            import _interpreters as interpreters

            def run_isolated(name):
                interpreter = interpreters.create()  # isolated: a GIL of its own
                try:
                    failure = interpreters.exec(interpreter, f"INTERPRETER = {{name!r}}\\n" + ROUND_TRIP)
                    return None if failure is None else failure.formatted
                finally:
                    interpreters.destroy(interpreter)
        else:
            import _xxsubinterpreters as interpreters

            def run_isolated(name):
                interpreter = interpreters.create()  # isolated: a GIL of its own
                try:
                    interpreters.run_string(interpreter, f"INTERPRETER = {{name!r}}\\n" + ROUND_TRIP)
                    return None
                except interpreters.RunFailedError as error:
                    return str(error)
                finally:
                    interpreters.destroy(interpreter)

        failures = {{}}
        def worker(name):
            failures[name] = run_isolated(name)
        threads = [threading.Thread(target=worker, args=(f"isolated-{{index}}",)) for index in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert failures == dict.fromkeys(failures) and len(failures) == 4, failures
        exec("INTERPRETER = 'main'\\n" + ROUND_TRIP)
        assert run_isolated("after-main") is None
    """, server_cert, root_ca)
    lines = sorted(output.splitlines())
    assert lines == sorted([f"isolated-{index} ok" for index in range(4)] + ["main ok", "after-main ok"])
