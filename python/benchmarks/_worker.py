"""One side of one measurement, run as its own process by the runner:

    python -m benchmarks._worker server|client SCENARIO LIBRARY FIXTURES PARAMETERS_JSON [PORT]

A server prints ``port N`` once it listens, then (for some scenarios) one JSON line of results;
a client prints one JSON line. LIBRARY is ``swiftssl`` or ``ssl``; both ends use the same one.
"""

import json
import os
import resource
import socket
import sys
import time
import warnings

from . import _fixtures

CHUNK = 256 * 1024


def _listen():
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    print("port", listener.getsockname()[1], flush=True)
    return listener


def _connect(port):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _finish_sending(tls):
    """Ends a stream the way both libraries allow without a close_notify exchange: FIN, then
    drain what the peer still sends (session tickets), so closing never resets the connection."""
    tls.shutdown(socket.SHUT_WR)
    while tls.recv(65536):
        pass
    tls.close()


def _cpu_seconds():
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# -- servers --------------------------------------------------------------------------------------

def serve_bulk(lib, fixtures, parameters):
    listener = _listen()
    connection, _ = listener.accept()
    if lib is None:  # plain TCP, the same socket calls: the ceiling
        tls, cipher, end_of_stream = connection, None, ConnectionError
    else:
        tls = _fixtures.server_context(lib, fixtures).wrap_socket(connection, server_side=True)
        cipher, end_of_stream = tls.cipher()[0], (ConnectionError, lib.SSLEOFError)
    buffer = memoryview(bytearray(CHUNK))
    received = tls.recv_into(buffer)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    total = 0
    while True:
        try:
            got = tls.recv_into(buffer)
        except end_of_stream:
            got = 0
        if not got:
            break
        total += got
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    tls.close()
    print(json.dumps({"bytes": total, "seconds": elapsed, "cpu_seconds": cpu, "cipher": cipher,
                      "first": received}), flush=True)


def serve_echo(lib, fixtures, parameters):
    context = _fixtures.server_context(lib, fixtures)
    listener = _listen()
    connection, _ = listener.accept()
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tls = context.wrap_socket(connection, server_side=True)
    size = parameters["size"]
    buffer = bytearray(size)
    view = memoryview(buffer)
    while True:
        filled = 0
        while filled < size:
            got = tls.recv_into(view[filled:])
            if not got:
                tls.close()
                return
            filled += got
        tls.sendall(buffer)


def serve_handshakes(lib, fixtures, parameters):
    """Accepts, handshakes, sends one byte so the client knows the server finished, closes."""
    context = None
    if parameters.get("tls", True):
        context = _fixtures.server_context(lib, fixtures, parameters.get("key", "ecdsa"),
                                           parameters.get("version", "1.3"))
    listener = _listen()
    while True:
        connection, _ = listener.accept()
        try:
            if context is not None:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.sendall(b"k")
        except OSError:
            pass  # a client that gave up; not this benchmark's business
        finally:
            connection.close()


def serve_idle(lib, fixtures, parameters):
    """Holds `count` established connections and reports the RSS they cost."""
    context = _fixtures.server_context(lib, fixtures)
    listener = _listen()
    count = parameters["count"]
    held = []
    for _ in range(parameters["warmup"]):
        connection, _ = listener.accept()
        held.append(context.wrap_socket(connection, server_side=True))
    before = _rss_kib()
    for _ in range(count):
        connection, _ = listener.accept()
        held.append(context.wrap_socket(connection, server_side=True))
    after = _rss_kib()
    print(json.dumps({"kib_per_connection": (after - before) / count}), flush=True)
    held[0].sendall(b"k")
    held[0].recv(1)


def serve_asyncio_bulk(lib, fixtures, parameters):
    """``asyncio.start_server(ssl=context)``: asyncio's own TLS layer over the library's
    SSLContext, fed from the stdlib's MemoryBIOs, as any asyncio program runs it."""
    import asyncio

    context = _fixtures.server_context(lib, fixtures)

    async def serve():
        finished = asyncio.get_running_loop().create_future()

        async def handle(reader, writer):
            await reader.read(CHUNK)  # the first chunk: the handshake is over
            started, cpu_started = time.perf_counter(), _cpu_seconds()
            total = 0
            while chunk := await reader.read(4 * CHUNK):
                total += len(chunk)
            elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
            cipher = writer.get_extra_info("ssl_object").cipher()[0]
            writer.close()
            finished.set_result({"bytes": total, "seconds": elapsed, "cpu_seconds": cpu, "cipher": cipher})

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
        print("port", server.sockets[0].getsockname()[1], flush=True)
        print(json.dumps(await finished), flush=True)
        server.close()

    asyncio.run(serve())


# -- clients --------------------------------------------------------------------------------------

def client_bulk(lib, fixtures, parameters, port):
    tls = _connect(port)
    if lib is not None:
        tls = _fixtures.client_context(lib, fixtures).wrap_socket(tls, server_hostname=_fixtures.HOSTNAME)
    if parameters.get("sendfile"):
        sent, cpu = _send_file_repeatedly(tls, parameters["size"], parameters["seconds"])
        _finish_sending(tls)
        print(json.dumps({"sent": sent, "cpu_seconds": cpu}), flush=True)
        return
    payload = bytes(parameters["size"])
    tls.sendall(payload)
    deadline, cpu_started = time.perf_counter() + parameters["seconds"], _cpu_seconds()
    sent = 0
    while time.perf_counter() < deadline:
        for _ in range(max(1, CHUNK // len(payload))):
            tls.sendall(payload)
        sent += max(1, CHUNK // len(payload)) * len(payload)
    cpu = _cpu_seconds() - cpu_started
    _finish_sending(tls)
    print(json.dumps({"sent": sent, "cpu_seconds": cpu}), flush=True)


def _send_file_repeatedly(tls, size, seconds):
    """sendfile() of a `size`-byte file (made once, in the working directory) from its start,
    again and again for `seconds`; returns (bytes sent, CPU seconds)."""
    path = f"sendfile-{size}.bin"
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as out:
            out.write(bytes(size))
        os.replace(path + ".tmp", path)
    with open(path, "rb") as file:
        tls.sendfile(file)  # warms the page cache and the connection
        deadline, cpu_started = time.perf_counter() + seconds, _cpu_seconds()
        sent = 0
        while time.perf_counter() < deadline:
            file.seek(0)
            sent += tls.sendfile(file)
        return sent, _cpu_seconds() - cpu_started


def client_asyncio_bulk(lib, fixtures, parameters, port):
    """Writes `size`-byte chunks through an asyncio stream (awaiting drain()), then closes with
    a close_notify, which ends the server's count."""
    import asyncio

    context = _fixtures.client_context(lib, fixtures)

    async def send():
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                       server_hostname=_fixtures.HOSTNAME)
        payload = bytes(parameters["size"])
        writer.write(payload)
        deadline, cpu_started = time.perf_counter() + parameters["seconds"], _cpu_seconds()
        sent = 0
        while time.perf_counter() < deadline:
            writer.write(payload)
            await writer.drain()
            sent += len(payload)
        cpu = _cpu_seconds() - cpu_started
        writer.close()
        await writer.wait_closed()
        return sent, cpu

    sent, cpu = asyncio.run(send())
    print(json.dumps({"sent": sent, "cpu_seconds": cpu}), flush=True)


def client_echo(lib, fixtures, parameters, port):
    context = _fixtures.client_context(lib, fixtures)
    tls = context.wrap_socket(_connect(port), server_hostname=_fixtures.HOSTNAME)
    size = parameters["size"]
    payload = bytes(size)
    view = memoryview(bytearray(size))
    rounds = 0
    started = time.perf_counter()
    deadline = started + parameters["seconds"]
    while True:
        for _ in range(50):
            tls.sendall(payload)
            filled = 0
            while filled < size:
                filled += tls.recv_into(view[filled:])
        rounds += 50
        now = time.perf_counter()
        if now >= deadline:
            break
    _finish_sending(tls)
    print(json.dumps({"per_second": rounds / (now - started)}), flush=True)


def client_handshakes(lib, fixtures, parameters, port):
    context = _fixtures.client_context(lib, fixtures, parameters.get("version", "1.3"))
    expected = "TLSv" + parameters.get("version", "1.3")
    count = 0
    started = time.perf_counter()
    deadline = started + parameters["seconds"]
    while True:
        with context.wrap_socket(_connect(port), server_hostname=_fixtures.HOSTNAME) as tls:
            if tls.recv(1) != b"k" or tls.version() != expected:
                raise RuntimeError(f"unexpected handshake: {tls.version()}")
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            break
    print(json.dumps({"per_second": count / (now - started)}), flush=True)


def client_idle(lib, fixtures, parameters, port):
    context = _fixtures.client_context(lib, fixtures)
    held = []
    for _ in range(parameters["warmup"]):
        held.append(context.wrap_socket(_connect(port), server_hostname=_fixtures.HOSTNAME))
    before = _rss_kib()
    for _ in range(parameters["count"]):
        held.append(context.wrap_socket(_connect(port), server_hostname=_fixtures.HOSTNAME))
    after = _rss_kib()
    held[0].recv(1)
    print(json.dumps({"kib_per_connection": (after - before) / parameters["count"]}), flush=True)
    held[0].sendall(b"k")


def client_legacy(lib, fixtures, parameters, port):
    """Module-level ``wrap_socket`` per connection, with the same arguments for both libraries."""
    warnings.simplefilter("ignore", DeprecationWarning)
    handshake = parameters["handshake"]
    bundle = os.path.join(fixtures, "bundle.pem") if handshake else _fixtures.SYSTEM_BUNDLE
    count = 0
    started = time.perf_counter()
    deadline = started + parameters["seconds"]
    while True:
        tls = lib.wrap_socket(_connect(port), ca_certs=bundle, cert_reqs=lib.CERT_REQUIRED,
                              do_handshake_on_connect=handshake)
        if handshake and tls.recv(1) != b"k":
            raise RuntimeError("no byte from the server")
        tls.close()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            break
    print(json.dumps({"per_second": count / (now - started)}), flush=True)


SERVERS = {"bulk": serve_bulk, "echo": serve_echo, "handshakes": serve_handshakes,
           "idle": serve_idle, "legacy": serve_handshakes, "asyncio_bulk": serve_asyncio_bulk}
CLIENTS = {"bulk": client_bulk, "echo": client_echo, "handshakes": client_handshakes,
           "idle": client_idle, "legacy": client_legacy, "asyncio_bulk": client_asyncio_bulk}


def main(arguments):
    role, scenario, name, fixtures, parameters = arguments[:5]
    lib = _fixtures.library(name)
    parameters = json.loads(parameters)
    if role == "server":
        SERVERS[scenario](lib, fixtures, parameters)
    else:
        CLIENTS[scenario](lib, fixtures, parameters, int(arguments[5]))


if __name__ == "__main__":
    main(sys.argv[1:])
