"""Keys given in memory never reach the disk (DESIGN.md section 1).

A fresh interpreter receives a certificate and its private key on stdin (a pipe), runs TLS
servers and a client with them given as PEM bytes, PEM str and file-like objects (plain and
encrypted keys), and exits. It runs under ``strace -f -y`` tracing open/creat/rename/link and
every write syscall with full buffers. The test then asserts that:

* no write syscall, to any descriptor, carried the key (PEM body lines, base64 body, or DER);
* no regular file was opened for writing or created by the process, other than the ones
  Python itself may touch (none expected with PYTHONDONTWRITEBYTECODE);
* no file changed under /tmp or the working directory during the run contains the key.

A control test runs the same harness with a child that does write its key to a file under
tmp_path, and checks that the detector reports it: the detector can fail.

Key material: an EC P-256 key made for each test by cryptography (tls_support), held only in
memory by the test process and written to nowhere (the control writes only under tmp_path).
"""

import base64
import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

from tls_support import STRACE, CertificateAuthority, strace_usable

pytestmark = pytest.mark.skipif(strace_usable() is not None, reason=strace_usable() or "")

CHILD = textwrap.dedent("""
    import io, json, os, socket, ssl, sys, threading
    import swiftssl

    material = json.loads(sys.stdin.read())
    certificate = material["certificate"].encode()
    key = material["key"].encode()
    encrypted = material["encrypted_key"].encode()
    password = material["password"]
    ca = material["ca"]

    def run(server_wrap, client_wrap):
        listener = socket.create_server(("127.0.0.1", 0))
        result = {}
        def serve():
            raw, _ = listener.accept()
            with server_wrap(raw) as tls:
                tls.sendall(b"hello " + tls.recv(5))
        thread = threading.Thread(target=serve)
        thread.start()
        raw = socket.create_connection(listener.getsockname(), timeout=10)
        with client_wrap(raw) as tls:
            tls.sendall(b"world")
            result["answer"] = tls.recv(100)
        thread.join(10)
        listener.close()
        assert result["answer"] == b"hello world", result

    stdlib_client = ssl.create_default_context(cadata=ca)
    plain_client = lambda raw: stdlib_client.wrap_socket(raw, server_hostname="localhost")

    # 1. module-level wrap_socket, certificate as bytes, key as BytesIO
    run(lambda raw: swiftssl.wrap_socket(raw, server_side=True, certfile=certificate,
                                         keyfile=io.BytesIO(key)), plain_client)
    # 2. SSLContext.load_cert_chain with leaf + key in one StringIO
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(io.StringIO((certificate + key).decode()))
    run(lambda raw: context.wrap_socket(raw, server_side=True), plain_client)
    # 3. encrypted key as str with a password callable
    run(lambda raw: swiftssl.wrap_socket(raw, server_side=True, certfile=certificate.decode(),
                                         keyfile=encrypted.decode(), password=lambda: password),
        plain_client)
    # 4. swiftssl as the client presenting the same certificate and key from memory
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.verify_mode = ssl.CERT_REQUIRED
    server_context.load_verify_locations(cadata=ca)
    server_context.load_cert_chain(material["server_chain_path"], material["server_key_path"])
    run(lambda raw: server_context.wrap_socket(raw, server_side=True),
        lambda raw: swiftssl.wrap_socket(raw, certfile=io.BytesIO(certificate), keyfile=key,
                                         cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=ca,
                                         server_hostname="localhost"))
    if material.get("leak_to"):
        with open(material["leak_to"], "wb") as handle:  # the control: a deliberate leak
            handle.write(key)
    print("done")
""")

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_HEX = re.compile(r"\\x([0-9a-fA-F]{2})")
_CALL = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)$")
_WRITE_CALLS = {"write", "pwrite64", "writev", "pwritev", "pwritev2"}
_OPEN_CALLS = {"open", "openat", "creat"}


def decode(literal: str) -> bytes:
    """An strace -xx string literal ("\\x2d\\x2d...") as bytes."""
    literal = _HEX.sub(lambda match: chr(int(match.group(1), 16)), literal)
    return literal.encode("latin-1", "backslashreplace")


def key_markers(pem: bytes):
    """Byte strings whose presence anywhere means the key leaked."""
    lines = [line for line in pem.splitlines() if line and not line.startswith(b"-----")]
    body = b"".join(lines)
    return [body, base64.b64decode(body)] + [line for line in lines if len(line) >= 32]


def analyse(log_text: str, markers, allowed_prefixes):
    """Returns (writes that carried a marker, files opened for writing/created, renames/links)."""
    leaking_writes, written_files, moves = [], [], []
    for line in log_text.splitlines():
        match = _CALL.match(line)
        if not match:
            continue
        call, rest = match.group(2), match.group(3)
        if call in _WRITE_CALLS:
            payload = b"".join(decode(literal) for literal in _STRING.findall(rest))
            if any(marker in payload for marker in markers):
                target = re.match(r"\d+<([^>]*)>", rest)
                leaking_writes.append((decode(target.group(1)).decode("latin-1") if target else "?", line[:200]))
        elif call in _OPEN_CALLS:
            literals = _STRING.findall(rest)
            if not literals or "= -1" in rest:
                continue
            path = decode(literals[0]).decode("latin-1")
            flags = set(re.findall(r"\bO_[A-Z]+\b", rest))
            if call == "creat" or flags & {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"}:
                if not path.startswith(tuple(allowed_prefixes)):
                    written_files.append(path)
        elif call.startswith(("rename", "link", "symlink")) and "= -1" not in rest:
            moves.append(line[:200])
    return leaking_writes, written_files, moves


def changed_files_containing(markers, roots, since, until, skip):
    """Files under `roots` changed between `since` and `until` (the child's run; what changed
    after it ended cannot be its doing) that contain a marker. Git and SwiftPM directories are
    left out: a build running beside the tests rewrites thousands of files there, and reading
    them all took this test past its timeout on a busy machine."""
    found = []
    for root in roots:
        for directory, subdirectories, names in os.walk(root):
            subdirectories[:] = [name for name in subdirectories if not name.startswith((".git", ".build"))]
            for name in names:
                path = os.path.join(directory, name)
                if path in skip:
                    continue
                try:
                    status = os.lstat(path)
                    if not since <= status.st_mtime <= until or not os.path.isfile(path) \
                            or status.st_size > 4 << 20:
                        continue
                    with open(path, "rb") as handle:
                        content = handle.read()
                except OSError:
                    continue
                if any(marker in content for marker in markers):
                    found.append(path)
    return found


def run_traced_child(tmp_path, leak_to=None):
    authority = CertificateAuthority("hygiene root")
    leaf = authority.issue("localhost", common_name="localhost")
    # The stdlib server of step 4 needs files; it gets a *different* certificate and key.
    other = authority.issue("localhost")
    server_chain_path, server_key_path = other.write(tmp_path, "stdlib-server")
    password = "hygiene password"
    material = {
        "certificate": leaf.cert_pem.decode(), "key": leaf.key_pem.decode(),
        "encrypted_key": leaf.encrypted_key_pem(password.encode()).decode(), "password": password,
        "ca": authority.cert_pem.decode(), "server_chain_path": server_chain_path,
        "server_key_path": server_key_path, "leak_to": leak_to,
    }
    log = tmp_path / "strace.log"
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), PYTHONDONTWRITEBYTECODE="1")
    started = time.time() - 1
    completed = subprocess.run(
        [STRACE, "-f", "-y", "-xx", "-s", "1000000", "-o", str(log),
         "-e", "trace=open,openat,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,"
               "write,pwrite64,writev,pwritev,pwritev2",
         sys.executable, "-W", "ignore", "-c", CHILD],
        input=json.dumps(material).encode(), capture_output=True, timeout=120, env=environment, cwd=tmp_path)
    finished = time.time() + 1
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")[-3000:]
    assert completed.stdout.strip() == b"done"
    markers = key_markers(leaf.key_pem) + key_markers(leaf.encrypted_key_pem(password.encode()))
    # The encrypted PEM differs per serialisation (random salt); add the exact one sent.
    markers += key_markers(material["encrypted_key"].encode())
    log_text = log.read_text(encoding="latin-1")
    assert "write(" in log_text, "strace recorded no writes: the trace is not working"
    writes, files, moves = analyse(log_text, markers, allowed_prefixes=("/dev/",))
    leaked_files = changed_files_containing(markers, ["/tmp", os.getcwd(), str(tmp_path)], started, finished,
                                            skip={str(log)})
    return writes, files, moves, leaked_files


def test_in_memory_keys_never_reach_the_disk(tmp_path):
    writes, files, moves, leaked_files = run_traced_child(tmp_path)
    assert writes == [], f"the key was written out: {writes}"
    assert files == [], f"files opened for writing or created: {files}"
    assert moves == [], f"renames or links: {moves}"
    assert leaked_files == [], f"files containing the key: {leaked_files}"


def test_the_detector_catches_a_deliberate_leak(tmp_path):
    """Control: the same child, which then writes its key to tmp_path/leak.pem, is caught by all
    three detectors."""
    leak = tmp_path / "leak.pem"
    writes, files, moves, leaked_files = run_traced_child(tmp_path, leak_to=str(leak))
    assert leak.exists()
    assert any(target == str(leak) for target, _ in writes), writes
    assert str(leak) in files
    assert str(leak) in leaked_files
