"""Writes that send several records per system call (Sources/SwiftSSL/OutgoingRecords.swift and
SocketTransport.swift).

A ``sendall``/``send`` longer than one record, on a socket that may wait (blocking or with a
timeout), gathers up to three encrypted records and hands them to the socket in one ``send``;
CPython's ``ssl`` makes one system call per 16 KiB record. What must not change: when the call
returns every byte has gone to the socket; a failure is the stdlib's exception; and what a
failed or interrupted write already encrypted goes out, in order, before anything written later.

Most tests use ``connected`` (conftest.py): the far end is the stdlib over MemoryBIOs on a
socketpair, so a test can fill the client's socket buffer with bytes the far end knows to skip.
"""

import os
import random
import re
import signal
import socket
import ssl as stdlib_ssl
import subprocess
import sys
import textwrap

import pytest

import swiftssl
from tls_support import STRACE, strace_usable

RECORD = 16384


class Interrupted(Exception):
    """Raised by the test's signal handler."""


def fill_socket_buffer(client):
    """Writes filler bytes straight to `client`'s socket until it would block, so the next TLS
    bytes must wait for the far end; returns how many (the far end skips them first)."""
    client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 * 1024)
    client.setblocking(False)
    filled = 0
    try:
        while True:
            filled += os.write(client.fileno(), b"\0" * 4096)
    except BlockingIOError:
        pass
    return filled


@pytest.mark.parametrize("timeout", [None, 10.0], ids=["blocking", "timeout"])
@pytest.mark.parametrize("size", [RECORD + 1, 3 * RECORD, 3 * RECORD + 1, 4 * RECORD, 10 * RECORD + 7, 12 << 20])
def test_long_writes_arrive_whole_and_in_order(connected, size, timeout):
    client, peer = connected()
    client.settimeout(timeout)
    payload = random.Random(size).randbytes(size)
    reader, received = peer.receive_in_background(2 * size)
    client.sendall(payload)
    assert client.send(payload) == size
    reader.join(30)
    assert bytes(received) == payload + payload


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
@pytest.mark.parametrize("size", [2 * RECORD, 10 * RECORD])
def test_a_peer_gone_during_a_long_write_fails_it_as_the_stdlib_does(connected, module, size):
    client, peer = connected(module)
    peer.raw.close()
    with pytest.raises(OSError) as caught:
        client.sendall(bytes(size))
    # CPython 3.11 and 3.12 report the broken pipe of a failed SSL_write_ex as an EOF in violation
    # of protocol; 3.13's ssl raises the errno's OSError instead. swiftssl is 3.11's everywhere.
    modern_stdlib = module is stdlib_ssl and sys.version_info >= (3, 13)
    assert type(caught.value).__name__ == ("BrokenPipeError" if modern_stdlib else "SSLEOFError")


def test_records_left_by_a_timed_out_write_go_out_before_the_next_write(connected):
    """The write encrypted all three records but the socket had no room: it times out as the
    stdlib's does, and the next write sends those records first, so the far end reads one
    intact stream. (The stdlib would refuse that next write: OpenSSL's "bad write retry".)"""
    client, peer = connected()
    payload = random.Random(3).randbytes(3 * RECORD)
    skip = fill_socket_buffer(client)
    client.settimeout(0.3)
    with pytest.raises(TimeoutError, match="The write operation timed out"):
        client.sendall(payload)
    reader, received = peer.receive_in_background(len(payload) + 4, skip=skip)
    client.settimeout(10)
    client.sendall(b"TAIL")
    reader.join(30)
    assert bytes(received) == payload + b"TAIL"


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_a_signal_handler_that_raises_interrupts_a_blocked_long_write(connected, module):
    client, peer = connected(module)
    payload = random.Random(4).randbytes(3 * RECORD)
    skip = fill_socket_buffer(client)
    client.settimeout(None)

    def interrupt(signum, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(Interrupted):
            client.sendall(payload)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if module is swiftssl:
        # What was encrypted is still sent, first, when the connection is used again.
        reader, received = peer.receive_in_background(len(payload) + 4, skip=skip)
        client.sendall(b"TAIL")
        reader.join(30)
        assert bytes(received) == payload + b"TAIL"


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_a_non_blocking_write_into_a_full_socket_wants_write_as_the_stdlib(connected, module):
    """With a non-blocking socket nothing is gathered (a gathered record could not be waited
    for): a send that finds the socket full raises SSLWantWriteError, and the retry OpenSSL
    requires (the same data again, here with a timeout) completes the stream."""
    client, peer = connected(module)
    skip = fill_socket_buffer(client)
    with pytest.raises(module.SSLWantWriteError):
        client.send(bytes(4 * RECORD))
    reader, received = peer.receive_in_background(4 * RECORD, skip=skip)
    client.settimeout(10)
    assert client.send(bytes(4 * RECORD)) == 4 * RECORD
    reader.join(30)
    assert bytes(received) == bytes(4 * RECORD)


SEND_COUNTER = textwrap.dedent("""
    import os, socket, ssl, sys, threading
    import importlib
    library = importlib.import_module(sys.argv[1])
    ca, certificate, key = sys.argv[2:5]

    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(certificate, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        raw, _ = listener.accept()
        with server_context.wrap_socket(raw, server_side=True) as tls:
            while tls.recv(1 << 20):
                pass

    thread = threading.Thread(target=serve)
    thread.start()
    context = library.SSLContext(library.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca)
    context.maximum_version = library.TLSVersion.TLSv1_3
    with context.wrap_socket(socket.create_connection(listener.getsockname()),
                             server_hostname="localhost") as tls:
        os.write(1, b"BEGIN %d\\n" % tls.fileno())
        tls.sendall(bytes(16 * 16384))
        os.write(1, b"END\\n")
    thread.join()
""")

_BEGIN = re.compile(r'write\(1, "BEGIN (\d+)\\n"')
_SEND = re.compile(r"(?:sendto|write|sendmsg)\((\d+), .*\) = (\d+)$")


def system_calls_sending(library, root_ca, server_cert, tmp_path):
    """The byte counts of the system calls that sent a 256 KiB sendall, under strace."""
    certificate, key = server_cert.write(tmp_path, "server")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(root_ca.cert_pem)
    trace = tmp_path / f"trace-{library}"
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    # -ff: one file per thread, so the client's calls are never split by the server thread's.
    subprocess.run([STRACE, "-ff", "-e", "trace=sendto,sendmsg,write", "-e", "signal=none", "-o", str(trace),
                    sys.executable, "-c", SEND_COUNTER, library, str(ca), str(certificate), str(key)],
                   check=True, timeout=60, env=environment, stdout=subprocess.DEVNULL)
    for log in tmp_path.glob(f"trace-{library}.*"):
        sizes, descriptor = [], None
        for line in log.read_text().splitlines():
            if descriptor is None:
                begin = _BEGIN.search(line)
                descriptor = begin and begin.group(1)
            elif 'write(1, "END' in line:
                return sizes
            else:
                sent = _SEND.search(line)
                if sent and sent.group(1) == descriptor:
                    sizes.append(int(sent.group(2)))
    raise AssertionError("the traced child did not mark its sendall")


@pytest.mark.skipif(strace_usable() is not None, reason=strace_usable() or "")
def test_a_long_sendall_sends_three_records_per_system_call(root_ca, server_cert, tmp_path):
    full_record = 5 + RECORD + 1 + 16  # header, plaintext, content type, AES-GCM tag
    ours = system_calls_sending("swiftssl", root_ca, server_cert, tmp_path)
    assert ours == [3 * full_record] * 5 + [full_record]
    # The control: CPython's ssl makes one system call per record.
    theirs = system_calls_sending("ssl", root_ca, server_cert, tmp_path)
    assert theirs == [full_record] * 16
