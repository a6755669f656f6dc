"""swiftssl in subinterpreters, as mod_wsgi runs each application (one interpreter each).

The extension is single-phase: loaded once per process and shared by the legacy subinterpreters
that ``_testcapi.run_in_subinterp`` makes (mod_wsgi's kind, sharing the GIL), refused with an
ImportError by isolated ones, which have a GIL of their own. What must hold in the shared case:
- every interpreter raises its own ``SSLError`` classes and makes its own ``Certificate`` objects,
  however many interpreters imported swiftssl after it (the package registers them with the
  extension at import, per interpreter);
- a connection closes, and OpenSSL's callbacks run, in the interpreter that made the call: on
  CPython 3.11 swiftssl once re-took the GIL through ``PyGILState_Ensure``, which deadlocked as a
  subinterpreter's connection was freed.

Each check runs in a child interpreter process with a timeout, so a deadlock fails the test
instead of hanging the suite.
"""

import os
import subprocess
import sys
import textwrap

import pytest

import swiftssl

pytest.importorskip("_testcapi", reason="this CPython build has no _testcapi (run_in_subinterp)")

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(swiftssl.__file__)))

# Runs in each interpreter: an in-memory PKI handed over in the environment (no file anywhere),
# then a full handshake over a socketpair with the server in another thread, and a check that
# this interpreter's `except swiftssl.SSLError` catches what the extension raises.
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

client_end, server_end = socket.socketpair()
def client():
    with client_context.wrap_socket(client_end, server_hostname="localhost") as connection:
        connection.sendall(b"ping")
        assert connection.recv(4) == b"pong"
        chain_seen = connection.get_verified_chain()
        assert type(chain_seen[0]) is swiftssl.Certificate, type(chain_seen[0])
thread = threading.Thread(target=client)
thread.start()
# The server's handshake (and its SNI callback) on this interpreter's first thread, which also
# has a thread state in the main interpreter: the one PyGILState_Ensure would have picked.
with server_context.wrap_socket(server_end, server_side=True) as connection:
    assert connection.recv(4) == b"ping"
    connection.sendall(b"pong")
thread.join(30)
assert not thread.is_alive()
assert "sni:localhost" in __main__.callbacks_seen and "message" in __main__.callbacks_seen, __main__.callbacks_seen

try:
    swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata="not a certificate")
except swiftssl.SSLError as error:
    assert type(error).__module__ == "swiftssl._errors"
else:
    raise AssertionError("no SSLError")
print(INTERPRETER, "ok", flush=True)
'''


def run_interpreters(program, server_cert, root_ca, timeout=60):
    """Runs `program` in a new process (with the in-memory PKI in its environment); its stdout."""
    env = dict(os.environ, CHAIN_PEM=server_cert.chain_pem.decode(), KEY_PEM=server_cert.key_pem.decode(),
               ROOT_PEM=root_ca.cert_pem.decode())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
    try:
        result = subprocess.run([sys.executable, "-c", textwrap.dedent(program)], capture_output=True,
                                text=True, env=env, timeout=timeout)
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
def test_isolated_subinterpreters_get_an_import_error_not_a_crash(server_cert, root_ca):
    output = run_interpreters("""
        import sys
        if sys.version_info >= (3, 13):
            import _interpreters as interpreters
            interpreter = interpreters.create()
            failure = interpreters.exec(interpreter, "import swiftssl; swiftssl.SSLContext")
            print(failure.type.__name__, failure.msg)
        else:
            import _xxsubinterpreters as interpreters
            interpreter = interpreters.create()
            try:
                interpreters.run_string(interpreter, "import swiftssl; swiftssl.SSLContext")
            except interpreters.RunFailedError as error:
                print(str(error).replace("<class 'ImportError'>:", "ImportError"))
        import swiftssl  # the main interpreter still has it
        print(swiftssl.create_default_context().verify_mode is swiftssl.CERT_REQUIRED)
    """, server_cert, root_ca)
    assert output.splitlines() == [
        "ImportError module _swiftssl does not support loading in subinterpreters",
        "True",
    ]
