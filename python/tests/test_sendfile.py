"""SSLSocket.sendfile (python/swiftssl/_socket.py, Sources/SwiftSSL/FileSending.swift).

A file opened with ``open(path, "rb")`` is read with pread and sent natively, 256 KiB per block
with the GIL released; CPython's ``ssl`` reads 8 KiB blocks in Python and send()s each. Every
observable result must be CPython's: the bytes the peer gets, the count returned, where the
file's position ends up (including CPython's quirk when ``offset`` is 0 and the file was already
read from), the exceptions, and the fallback for file objects that are not plain files.
"""

import io
import random
import ssl as stdlib_ssl

import pytest

import swiftssl

MODULES = pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
SIZE = 3 * (1 << 20) + 12345


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    """(path, contents) of a file of SIZE random bytes."""
    payload = random.Random(7).randbytes(SIZE)
    path = tmp_path_factory.mktemp("sendfile") / "data.bin"
    path.write_bytes(payload)
    return path, payload


def send_and_receive(client, peer, file, offset, count, expected_length):
    """sendfile() on `client` while the peer reads; returns (returned count, bytes received)."""
    reader, received = peer.receive_in_background(expected_length)
    sent = client.sendfile(file, offset, count)
    reader.join(30)
    return sent, bytes(received)


@MODULES
@pytest.mark.parametrize("buffering", [-1, 0], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("offset, count", [(0, None), (0, 1000), (5000, None), (5000, 300000),
                                           (SIZE - 10, 100), (SIZE, None), (1, 256 * 1024)])
def test_sends_the_part_asked_for_and_leaves_the_file_after_it(connected, data_file, module, buffering,
                                                                offset, count):
    client, peer = connected(module)
    path, payload = data_file
    expected = payload[offset:None if count is None else offset + count]
    with open(path, "rb", buffering=buffering) as file:
        sent, received = send_and_receive(client, peer, file, offset, count, len(expected))
        assert file.tell() == offset + len(expected)
    assert sent == len(expected)
    assert received == expected


@MODULES
def test_offset_zero_starts_where_the_file_was_read_to(connected, data_file, module):
    """CPython's quirk, kept: with offset 0 the bytes come from the file's position, and the
    position afterwards is the count sent (not position + count)."""
    client, peer = connected(module)
    path, payload = data_file
    with open(path, "rb") as file:
        file.read(100)
        sent, received = send_and_receive(client, peer, file, 0, None, SIZE - 100)
        assert file.tell() == SIZE - 100
    assert sent == SIZE - 100
    assert received == payload[100:]


@MODULES
@pytest.mark.parametrize("kind", ["BytesIO", "BufferedRandom with unflushed writes", "BufferedReader subclass"])
def test_file_objects_that_are_not_plain_files_are_read_as_cpython_reads_them(connected, data_file, module,
                                                                              kind, tmp_path):
    """Only what open(path, "rb") returns is read with pread: a BufferedRandom may hold writes
    that only its read() flushes, and a subclass may change what read() returns."""
    client, peer = connected(module)
    payload = bytearray(data_file[1][:200000])
    path = tmp_path / "data.bin"
    path.write_bytes(payload)
    if kind == "BytesIO":
        file = io.BytesIO(payload)
    elif kind.startswith("BufferedRandom"):
        file = open(path, "r+b")
        file.write(b"NOT ON DISK YET")
        file.seek(0)
        payload[:15] = b"NOT ON DISK YET"
    else:
        class Uppercase(io.BufferedReader):
            def read(self, size=-1):
                return super().read(size).upper()
        file = Uppercase(io.FileIO(path, "rb"))
        payload = payload.upper()
    with file:
        sent, received = send_and_receive(client, peer, file, 0, None, len(payload))
    assert (sent, received) == (len(payload), payload)


@MODULES
@pytest.mark.parametrize("problem, exception", [
    ("text mode", ValueError), ("count 0", ValueError), ("count not an int", TypeError),
    ("non-blocking socket", ValueError), ("closed file", ValueError), ("write-only file", OSError),
])
def test_bad_arguments_raise_what_cpython_raises(connected, data_file, module, problem, exception, tmp_path):
    client, _ = connected(module)
    path = data_file[0]
    count = {"count 0": 0, "count not an int": "10"}.get(problem)
    if problem == "text mode":
        file = open(path, "r")
    elif problem == "write-only file":
        file = open(tmp_path / "out.bin", "wb")
    else:
        file = open(path, "rb")
    if problem == "closed file":
        file.close()
    if problem == "non-blocking socket":
        client.setblocking(False)
    try:
        with pytest.raises(exception) as caught:
            client.sendfile(file, 0, count)
    finally:
        file.close()
    if problem == "write-only file":
        assert isinstance(caught.value, io.UnsupportedOperation)


@MODULES
def test_a_peer_that_stops_reading_times_the_send_out_and_the_file_shows_what_went(connected, module, tmp_path):
    client, peer = connected(module)
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(32 << 20))  # more than the socket buffers hold
    client.settimeout(0.5)
    with open(path, "rb") as file:
        with pytest.raises(TimeoutError):
            client.sendfile(file)
        position = file.tell()
    assert 0 < position < 32 << 20
    assert position % 8192 == 0  # whole blocks (8 KiB in CPython, 256 KiB in swiftssl)


@MODULES
def test_a_pipe_is_sent_and_then_refuses_the_seek_as_in_cpython(connected, module):
    """open() on a pipe gives a BufferedReader over a FileIO that cannot seek: CPython's loop
    reads and sends it all, then its seek() to offset + count raises io.UnsupportedOperation."""
    import os
    client, peer = connected(module)
    read_end, write_end = os.pipe()
    os.write(write_end, b"pipe data")
    os.close(write_end)
    reader, received = peer.receive_in_background(len(b"pipe data"))
    with open(read_end, "rb") as file:
        with pytest.raises(io.UnsupportedOperation):
            client.sendfile(file)
    reader.join(30)
    assert bytes(received) == b"pipe data"


@MODULES
@pytest.mark.parametrize("count", [1 << 62, (1 << 63) - 1, 1 << 63, 1 << 80])
def test_a_count_beyond_any_file_sends_to_its_end(connected, data_file, module, count):
    client, peer = connected(module)
    path, payload = data_file
    with open(path, "rb") as file:
        sent, received = send_and_receive(client, peer, file, 0, count, SIZE)
    assert (sent, received) == (SIZE, payload)
