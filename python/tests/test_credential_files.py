"""Credential files that are not small regular files (Sources/SwiftSSL/CredentialSource.swift,
KeyLog.swift and their callers in SwiftSSLPython): a FIFO another thread of the same process
writes, a signal while one is opened or read, a device that never ends, a bundle over 64 MiB, a
key log file whose name is not UTF-8, a capath whose ``__fspath__`` raises. Each is compared with
the stdlib ``ssl`` doing the same thing.

Blocking cases run in a child process with a timeout: before these fixes swiftssl read files with
the GIL held, so a FIFO fed by another thread of the process deadlocked it for good.
"""

import os
import ssl as stdlib_ssl

import pytest

import swiftssl
from child_support import TESTS_DIRECTORY, pki_environment, run_child

LIBRARIES = {"swiftssl": swiftssl, "ssl": stdlib_ssl}

FED_BY_A_THREAD = """
    import os, socket, ssl, sys, tempfile, threading, time
    import swiftssl
    library = {"swiftssl": swiftssl, "ssl": ssl}[sys.argv[1]]
    operation = os.environ["OPERATION"]
    directory = tempfile.mkdtemp()
    fifo = os.path.join(directory, "credential.fifo")
    os.mkfifo(fifo)
    key_path = os.path.join(directory, "key.pem")
    chain_path = os.path.join(directory, "chain.pem")
    with open(key_path, "w") as key, open(chain_path, "w") as chain:
        key.write(os.environ["KEY_PEM"]), chain.write(os.environ["CHAIN_PEM"])
    content = {"cafile": "ROOT_PEM", "keyfile": "KEY_PEM", "legacy ca_certs": "ROOT_PEM"}.get(operation)
    ticks = []

    def feed():
        time.sleep(0.3)
        if content is None:  # the key log opens the FIFO for writing: be its reader
            with open(fifo, "rb"):
                pass
        else:
            with open(fifo, "w") as writer:
                writer.write(os.environ[content])

    def tick():
        for _ in range(30):
            ticks.append(1)
            time.sleep(0.01)

    threading.Thread(target=feed, daemon=True).start()
    threading.Thread(target=tick, daemon=True).start()
    context = library.SSLContext(library.PROTOCOL_TLS_SERVER)
    if operation == "cafile":
        context.load_verify_locations(fifo)
        print("CA certificates:", context.cert_store_stats()["x509_ca"])
    elif operation == "keyfile":
        context.load_cert_chain(chain_path, fifo)
        print("loaded")
    elif operation == "keylog_filename":
        context.keylog_filename = fifo
        print("loaded")
    else:
        left, right = socket.socketpair()
        library = swiftssl if library is swiftssl else __import__("tls_support").stdlib_oracle
        tls = library.wrap_socket(left, ca_certs=fifo, cert_reqs=ssl.CERT_REQUIRED, do_handshake_on_connect=False)
        print("loaded")
    # The ticking thread ran while the file was waited for: the GIL was released.
    print("ticks while waiting:", len(ticks) >= 10)
"""


@pytest.mark.parametrize("operation", ["cafile", "keyfile", "keylog_filename", "legacy ca_certs"])
@pytest.mark.parametrize("library", LIBRARIES)
def test_a_fifo_written_by_another_thread_of_the_process_is_read(operation, library, server_cert, root_ca):
    """The GIL is released while a credential file is opened and read, as CPython releases it:
    swiftssl held it, and the feeding thread never ran (a deadlock no signal could end)."""
    result = run_child(FED_BY_A_THREAD.replace("sys.argv[1]", repr(library)), timeout=20,
                       OPERATION=operation, PYTHONWARNINGS="ignore", **pki_environment(server_cert, root_ca),
                       PYTHONPATH=TESTS_DIRECTORY)
    assert result.returncode == 0, result.stderr
    first = "CA certificates: 1" if operation == "cafile" else "loaded"
    assert result.stdout.splitlines() == [first, "ticks while waiting: True"], result.stdout


SIGNALLED = """
    import os, signal, subprocess, sys, tempfile, time, ssl
    import swiftssl
    library = {"swiftssl": swiftssl, "ssl": ssl}[sys.argv[1]]

    class Alarm(Exception):
        pass

    def handler(number, frame):
        raise Alarm()

    signal.signal(signal.SIGALRM, handler)
    directory = tempfile.mkdtemp()
    fifo = os.path.join(directory, "ca.fifo")
    os.mkfifo(fifo)
    if os.environ["STAGE"] == "read":  # a writer that opens at once and writes nothing for 30 s
        writer = subprocess.Popen(["sh", "-c", f"exec 3>{fifo}; exec sleep 30"], stdout=subprocess.DEVNULL)
    context = library.SSLContext(library.PROTOCOL_TLS_CLIENT)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    started = time.monotonic()
    try:
        context.load_verify_locations(fifo)
        print("returned")
    except BaseException as error:
        print("raised", type(error).__name__, time.monotonic() - started < 10)
    if os.environ["STAGE"] == "read":
        writer.kill()
"""


@pytest.mark.parametrize("stage", ["open", "read"])
@pytest.mark.parametrize("library", LIBRARIES)
def test_a_signal_handler_that_raises_ends_the_wait_for_a_file(stage, library):
    """Ctrl-C (here a SIGALRM handler raising) while a FIFO is opened or read: the handler's
    exception comes out of the call at once, as PEP 475 has it. swiftssl raised InterruptedError
    from the open (the handler's exception came later, elsewhere) and retried the read without
    running the handler (nothing could interrupt it)."""
    result = run_child(SIGNALLED.replace("sys.argv[1]", repr(library)), timeout=20, STAGE=stage)
    assert result.stdout.strip() == "raised Alarm True", (result.stdout, result.stderr)


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_device_that_never_ends_is_an_ssl_error(library):
    """/dev/zero as a cafile: an SSLError in both (swiftssl's was a ValueError)."""
    context = LIBRARIES[library].SSLContext(LIBRARIES[library].PROTOCOL_TLS_CLIENT)
    with pytest.raises(LIBRARIES[library].SSLError):
        context.load_verify_locations("/dev/zero")


def test_a_bundle_over_64_mib_loads_as_in_the_stdlib(root_ca, tmp_path):
    """A regular file is read to its end: swiftssl refused any credential file over 64 MiB."""
    bundle = tmp_path / "big-bundle.pem"
    with open(bundle, "wb") as handle:
        handle.write(root_ca.cert_pem)
        handle.truncate(65 << 20)  # zeros after the certificate, as OpenSSL's reader skips them
    results = []
    for library in (swiftssl, stdlib_ssl):
        context = library.SSLContext(library.PROTOCOL_TLS_CLIENT)
        try:
            context.load_verify_locations(bundle)
            results.append(context.cert_store_stats()["x509_ca"])
        except Exception as error:  # the class is what is compared
            results.append(type(error).__name__)
    assert results[0] == results[1], results


@pytest.mark.parametrize("name", ["keys-\udcff.log", b"keys-\xfe.log"], ids=["str with a surrogate", "bytes"])
def test_a_key_log_file_name_that_is_not_utf8_is_opened_as_in_the_stdlib(name, tmp_path):
    """os.fsdecode's names go back to their bytes: swiftssl raised UnicodeEncodeError."""
    for library, subdirectory in ((swiftssl, "swiftssl"), (stdlib_ssl, "ssl")):
        directory = tmp_path / subdirectory
        directory.mkdir()
        path = os.path.join(os.fsencode(directory) if isinstance(name, bytes) else str(directory), name)
        context = library.SSLContext(library.PROTOCOL_TLS_CLIENT)
        context.keylog_filename = path
        assert context.keylog_filename == path
    assert os.listdir(tmp_path / "swiftssl") == os.listdir(tmp_path / "ssl") == [os.fsdecode(b"keys-\xfe.log")
                                                                                  if isinstance(name, bytes) else name]


class _RaisingPath:
    def __init__(self, error):
        self.error = error

    def __fspath__(self):
        raise self.error


@pytest.mark.parametrize("error", [RuntimeError("from __fspath__"), KeyboardInterrupt(), TypeError("mine")],
                         ids=["RuntimeError", "KeyboardInterrupt", "TypeError"])
@pytest.mark.parametrize("argument", ["cafile", "capath", "certfile", "keyfile"])
def test_what_an_fspath_raises_comes_out_as_in_the_stdlib(error, argument, pem_files):
    """A path's __fspath__ raising: CPython replaces a TypeError with its "should be a valid
    filesystem path" and lets anything else through. swiftssl replaced any exception from a
    capath's (KeyboardInterrupt included) and let a cafile's TypeError through."""
    def attempt(library):
        context = library.SSLContext(library.PROTOCOL_TLS_CLIENT)
        try:
            if argument in ("cafile", "capath"):
                context.load_verify_locations(**{argument: _RaisingPath(error)})
            elif argument == "certfile":
                context.load_cert_chain(_RaisingPath(error))
            else:
                context.load_cert_chain(pem_files["cert"], _RaisingPath(error))
        except BaseException as raised:  # the description is what is compared
            return type(raised).__name__, str(raised)
        return "returned"
    assert attempt(swiftssl) == attempt(stdlib_ssl)
