"""Instruction counts per operation under callgrind, which a busy machine does not disturb.

The driver runs both ends in one process over a socketpair (a server thread), so the counts cover
the client and the server. Each operation is measured as the difference between two runs with
different iteration counts, which cancels interpreter start-up and context creation.

    python -m benchmarks._callgrind LIBRARY FIXTURES handshake|write1k|write16k|echo64 ITERATIONS
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading

from . import _fixtures


def _drive(name, fixtures, operation, iterations):
    lib = _fixtures.library(name)
    server_context = _fixtures.server_context(lib, fixtures)
    client_context = _fixtures.client_context(lib, fixtures)
    if operation == "handshake":
        def serve(ends):
            for end in ends:
                with server_context.wrap_socket(end, server_side=True) as tls:
                    tls.sendall(b"k")
        pairs = [socket.socketpair() for _ in range(iterations)]
        server = threading.Thread(target=serve, args=([pair[1] for pair in pairs],))
        server.start()
        for client_end, _ in pairs:
            with client_context.wrap_socket(client_end, server_hostname=_fixtures.HOSTNAME) as tls:
                tls.recv(1)
        server.join()
    else:
        size = {"write16k": 16384, "write1k": 1024, "echo64": 64}[operation]
        client_end, server_end = socket.socketpair()

        def serve():
            with server_context.wrap_socket(server_end, server_side=True) as tls:
                buffer = memoryview(bytearray(size))
                for _ in range(iterations):
                    received = 0
                    while received < size:
                        received += tls.recv_into(buffer[received:])
                    if operation == "echo64":
                        tls.sendall(buffer)
                tls.sendall(b"k")
        server = threading.Thread(target=serve)
        server.start()
        payload = bytes(size)
        reply = memoryview(bytearray(size))
        with client_context.wrap_socket(client_end, server_hostname=_fixtures.HOSTNAME) as tls:
            for _ in range(iterations):
                tls.sendall(payload)
                if operation == "echo64":
                    received = 0
                    while received < size:
                        received += tls.recv_into(reply[received:])
            tls.recv(1)
        server.join()


def _instructions(name, fixtures, operation, iterations, env):
    with tempfile.TemporaryDirectory() as scratch:
        output = os.path.join(scratch, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={output}",
                        sys.executable, "-m", "benchmarks._callgrind", name, fixtures, operation,
                        str(iterations)],
                       check=True, capture_output=True, env=env, cwd=fixtures)
        with open(output) as profile:
            for line in profile:
                match = re.match(r"(?:summary|totals): (\d+)", line)
                if match:
                    return int(match.group(1))
    raise RuntimeError("no totals in the callgrind output")


def per_operation(name, fixtures, operation, low, high, env):
    """Instructions per operation: (I(high) - I(low)) / (high - low)."""
    return (_instructions(name, fixtures, operation, high, env)
            - _instructions(name, fixtures, operation, low, env)) / (high - low)


if __name__ == "__main__":
    _drive(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
