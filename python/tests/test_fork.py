"""A pre-fork server, as gunicorn and friends run one: contexts made and used in the parent go on
working in children made by os.fork() (the listening socket shared), a session the parent's
server issued resumes in a child, and a child's module-level wrap_socket (whose context cache the
parent filled) works. Each library in a child program of its own, with the same outcome.

Not covered, as with the stdlib: a fork while another thread is inside OpenSSL (loading a CA
bundle, say) may leave a lock held in the child, which then waits forever, as POSIX warns for
any fork of a threaded process. Measured here with a thread calling wrap_socket(ca_certs=<the
system bundle>) in a loop while the main thread forks children that call it once: 7 of 40
children hung with the stdlib; 1 of 40 with swiftssl, and 1 of 200 in a second run, which gdb
showed waiting on a module import lock: swiftssl imports parts of itself on first use (README,
"import swiftssl is lazy"), and the other thread was importing one when the fork came.
"""

import pytest

from child_support import pki_environment, run_child

PRE_FORK_SERVER = """
    import os, socket, sys, tempfile, threading, warnings
    warnings.simplefilter("ignore", DeprecationWarning)  # 3.11's ssl.wrap_socket
    ssl = __import__(os.environ["LIBRARY"])
    directory = tempfile.mkdtemp()
    paths = {}
    for name in ("CHAIN_PEM", "KEY_PEM", "ROOT_PEM"):  # paths: the stdlib takes nothing else
        paths[name] = os.path.join(directory, name)
        with open(paths[name], "w") as file:
            file.write(os.environ[name])
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(paths["CHAIN_PEM"], paths["KEY_PEM"])
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.load_verify_locations(paths["ROOT_PEM"])
    client_context.maximum_version = ssl.TLSVersion.TLSv1_2  # the session exists after the handshake
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]

    def serve_one():
        raw, _ = listener.accept()
        with server_context.wrap_socket(raw, server_side=True) as tls:
            tls.sendall(tls.recv(16).upper())

    def ask(text, session=None):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        with client_context.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
            tls.sendall(text)
            return tls.recv(16), tls.session_reused, tls.session

    def legacy_round_trip():
        # Module-level wrap_socket (the App Engine API; swiftssl caches its contexts).
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        with module_wrap_socket(raw, ca_certs=paths["ROOT_PEM"], cert_reqs=ssl.CERT_REQUIRED) as tls:
            tls.sendall(b"legacy")
            return tls.recv(16)

    module_wrap_socket = getattr(ssl, "wrap_socket", None)
    outcomes = []
    server = threading.Thread(target=serve_one)
    server.start()
    answer, reused, session = ask(b"parent")
    server.join()
    outcomes.append((answer, reused))
    if module_wrap_socket:
        server = threading.Thread(target=serve_one)
        server.start()
        outcomes.append(legacy_round_trip())
        server.join()
    children = []
    for index in range(2):
        pid = os.fork()
        if pid == 0:  # a worker: serves one connection, then a legacy client of its own
            try:
                serve_one()
                os._exit(0)
            except BaseException as error:
                print("worker:", type(error).__name__, error, file=sys.stderr)
                os._exit(1)
        children.append(pid)
    for index in range(2):
        answer, reused, _ = ask(b"worker %d" % index, session=session)
        outcomes.append((answer, reused))
    outcomes.append([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children])
    if module_wrap_socket:
        server = threading.Thread(target=serve_one)
        server.start()
        pid = os.fork()
        if pid == 0:
            try:
                print("legacy child:", legacy_round_trip(), flush=True)
                os._exit(0)
            except BaseException as error:
                print("legacy child:", type(error).__name__, error, file=sys.stderr)
                os._exit(1)
        outcomes.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        server.join()
    listener.close()  # else a debug interpreter (all warnings shown) reports it unclosed, for both
    print(outcomes)
"""


def test_a_pre_fork_server_works_in_its_workers_as_the_stdlibs_does(server_cert, root_ca):
    results = {}
    for library in ("swiftssl", "ssl"):
        child = run_child(PRE_FORK_SERVER, timeout=60, LIBRARY=library, **pki_environment(server_cert, root_ca))
        assert child.returncode == 0 and not child.stderr.strip(), (library, child.stderr[-2000:])
        results[library] = child.stdout.strip().splitlines()
    assert results["swiftssl"][-1] == (
        "[(b'PARENT', False), b'LEGACY', (b'WORKER 0', True), (b'WORKER 1', True), [0, 0], 0]")
    assert "legacy child: b'LEGACY'" in results["swiftssl"]
    if hasattr(__import__("ssl"), "wrap_socket"):  # 3.11: the same, legacy steps included
        assert results["ssl"] == results["swiftssl"]
    else:
        assert results["ssl"][-1] == "[(b'PARENT', False), (b'WORKER 0', True), (b'WORKER 1', True), [0, 0]]"
