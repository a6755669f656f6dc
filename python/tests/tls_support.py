"""Test support: certificates made at test time, loopback servers, and openssl subprocesses.

Provenance of every certificate and key used by the suite: they are generated in memory by
:class:`CertificateAuthority` below with pyca/cryptography (EC P-256 keys unless a test asks for
RSA, SHA-256 signatures, validity around "now"), nothing is committed to the repository. The one
exception to "in memory": :func:`issue_with_openssl_cli` signs a leaf with the ``openssl`` command
line (SHA-1, which cryptography no longer signs with) in a temporary directory it removes. PEM files
are written only under pytest's ``tmp_path`` when a test needs a path (openssl subprocesses, path
arguments).
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import types
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# How long any single network wait in a helper may take before the test is failed.
NETWORK_TIMEOUT = 15.0


# --------------------------------------------------------------------------------------------
# The stdlib oracle for module-level wrap_socket
# --------------------------------------------------------------------------------------------

def wrap_socket_as_in_python_311(sock, keyfile=None, certfile=None,
                                 server_side=False, cert_reqs=ssl.CERT_NONE,
                                 ssl_version=ssl.PROTOCOL_TLS, ca_certs=None,
                                 do_handshake_on_connect=True,
                                 suppress_ragged_eofs=True,
                                 ciphers=None):
    """CPython 3.11's ``ssl.wrap_socket`` (Lib/ssl.py, removed in 3.12), statement for statement
    but without its DeprecationWarning: the stdlib ``SSLContext`` calls it made. On 3.11
    test_legacy_wrap_socket.py checks it against the real one."""
    if server_side and not certfile:
        raise ValueError("certfile must be specified for server-side "
                         "operations")
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    context = ssl.SSLContext(ssl_version)
    context.verify_mode = cert_reqs
    if ca_certs:
        context.load_verify_locations(ca_certs)
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    if ciphers:
        context.set_ciphers(ciphers)
    return context.wrap_socket(
        sock=sock, server_side=server_side,
        do_handshake_on_connect=do_handshake_on_connect,
        suppress_ragged_eofs=suppress_ragged_eofs
    )


STDLIB_HAS_WRAP_SOCKET = hasattr(ssl, "wrap_socket")  # up to Python 3.11

# The stdlib ``ssl`` as the oracle of tests comparing module-level wrap_socket: every attribute is
# stdlib ssl's, and ``wrap_socket`` is this interpreter's own where it still has one (3.11), else
# the faithful replica above. Tests write ``for module in (stdlib_oracle, swiftssl)``.
stdlib_oracle = types.ModuleType("ssl", "stdlib ssl, with CPython 3.11's module-level wrap_socket")
stdlib_oracle.__getattr__ = lambda name: getattr(ssl, name)
stdlib_oracle.wrap_socket = ssl.wrap_socket if STDLIB_HAS_WRAP_SOCKET else wrap_socket_as_in_python_311


# --------------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------------

def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def new_private_key(key_type: str = "ec"):
    """A fresh key: ``"ec"`` (P-256), ``"rsa"`` (2048 bits) or ``"rsa1024"`` (weak, on purpose)."""
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "rsa1024":
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)
    raise ValueError(key_type)


def general_name(value) -> x509.GeneralName:
    """``"1.2.3.4"``/``"::1"`` → iPAddress, any other str → dNSName; GeneralName objects pass through."""
    if isinstance(value, x509.GeneralName):
        return value
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def _name(common_name: str | None, organization: str = "swiftssl tests") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)]
    if common_name is not None:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def key_pem(key, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM of ``key``, encrypted with ``password`` (best available PBE) when given."""
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def cert_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass
class IssuedCertificate:
    """A leaf certificate, its key, and the intermediates a server must send with it."""

    certificate: x509.Certificate
    key: object
    intermediates: list = field(default_factory=list)

    @property
    def cert_pem(self) -> bytes:
        """The leaf alone."""
        return cert_pem(self.certificate)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)

    def encrypted_key_pem(self, password: bytes) -> bytes:
        return key_pem(self.key, password)

    @property
    def chain_pem(self) -> bytes:
        """The leaf followed by its intermediates (what a server sends)."""
        return self.cert_pem + b"".join(cert_pem(c) for c in self.intermediates)

    @property
    def combined_pem(self) -> bytes:
        """Leaf, chain and key in one PEM blob, the App Engine ``certfile`` style."""
        return self.chain_pem + self.key_pem

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def write(self, directory, stem: str = "server") -> tuple[str, str]:
        """Writes ``<stem>.crt`` (chain) and ``<stem>.key`` under ``directory`` (a tmp_path)."""
        certificate_path = os.path.join(directory, f"{stem}.crt")
        key_path = os.path.join(directory, f"{stem}.key")
        with open(certificate_path, "wb") as handle:
            handle.write(self.chain_pem)
        with open(key_path, "wb") as handle:
            handle.write(self.key_pem)
        return certificate_path, key_path


class CertificateAuthority:
    """A CA made on the spot (root, or intermediate when ``parent`` is given).

    Roots are self-signed with basicConstraints CA:TRUE and keyCertSign; intermediates are
    signed by their parent. ``issue`` makes leaves with subjectAltName from its arguments,
    serverAuth+clientAuth extended key usage, and validity from one day ago to thirty days ahead
    unless told otherwise.
    """

    def __init__(self, name: str = "swiftssl test root", parent: "CertificateAuthority | None" = None,
                 key_type: str = "ec", ca_flag: bool = True, not_before=None, not_after=None,
                 path_length: int | None = None, extensions=()):
        self.key = new_private_key(key_type)
        self.parent = parent
        self.name = _name(name)
        issuer_name = parent.name if parent else self.name
        signing_key = parent.key if parent else self.key
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(issuer_name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - datetime.timedelta(days=1))
            .not_valid_after(not_after or now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca_flag, path_length=path_length), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
        )
        for extension in extensions:  # e.g. NameConstraints (critical, as RFC 5280 asks)
            builder = builder.add_extension(extension, critical=True)
        if ca_flag:
            builder = builder.add_extension(
                x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True,
                              crl_sign=True, encipher_only=False, decipher_only=False),
                critical=True)
        if parent:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()), critical=False)
        self.certificate = builder.sign(signing_key, hashes.SHA256())

    @property
    def cert_pem(self) -> bytes:
        return cert_pem(self.certificate)

    @property
    def chain_to_root(self) -> list:
        """This CA's certificate and its ancestors' except the root's (intermediates to send)."""
        chain, authority = [], self
        while authority.parent is not None:
            chain.append(authority.certificate)
            authority = authority.parent
        return chain

    def intermediate(self, name: str = "swiftssl test intermediate", **options) -> "CertificateAuthority":
        return CertificateAuthority(name, parent=self, **options)

    def issue(self, *names, common_name: str | None = None, not_before=None, not_after=None,
              key_type: str = "ec", subject: x509.Name | None = None, extended_key_usage=None,
              extensions=(), san: bool = True) -> IssuedCertificate:
        """A leaf for ``names`` (DNS names, IP address strings or GeneralName objects)."""
        key = new_private_key(key_type)
        now = _now()
        usages = extended_key_usage or [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject or _name(common_name))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - datetime.timedelta(days=1))
            .not_valid_after(not_after or now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                           critical=False)
        )
        if san and names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([general_name(n) for n in names]), critical=False)
        for extension in extensions:
            builder = builder.add_extension(extension, critical=False)
        certificate = builder.sign(self.key, hashes.SHA256())
        return IssuedCertificate(certificate, key, self.chain_to_root)


def self_signed(*names, common_name: str = "self-signed", key_type: str = "ec") -> IssuedCertificate:
    """A leaf that signs itself (subject == issuer, CA:FALSE), trusted by nobody."""
    key = new_private_key(key_type)
    name = _name(common_name)
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([general_name(n) for n in names]), critical=False)
    return IssuedCertificate(builder.sign(key, hashes.SHA256()), key, [])


# --------------------------------------------------------------------------------------------
# Loopback servers in a thread
# --------------------------------------------------------------------------------------------

class LoopbackServer:
    """A TCP listener on loopback whose thread wraps each accepted socket and runs a handler.

    ``wrap(raw_socket)`` returns the TLS socket (stdlib ``ssl`` or swiftssl, decided by the test);
    ``handler(tls_socket)`` does the application part and its return value lands in ``results``.
    Exceptions from either land in ``errors`` (the server never raises into the test). Leaving
    the ``with`` block closes the listener and joins the thread.
    """

    def __init__(self, wrap, handler=None, *, connections: int = 1, family=socket.AF_INET,
                 host: str | None = None):
        self.wrap = wrap
        self.handler = handler or (lambda tls: None)
        self.connections = connections
        self.family = family
        self.host = host or ("::1" if family == socket.AF_INET6 else "127.0.0.1")
        self.results: list = []
        self.errors: list = []
        self.done = threading.Event()
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(8)
        self._listener.settimeout(NETWORK_TIMEOUT)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self):
        return (self.host, self.port)

    def _serve(self):
        try:
            for _ in range(self.connections):
                try:
                    raw, _ = self._listener.accept()
                except OSError as error:
                    self.errors.append(error)
                    return
                raw.settimeout(NETWORK_TIMEOUT)
                tls = None
                try:
                    tls = self.wrap(raw)
                    self.results.append(self.handler(tls))
                except BaseException as error:  # recorded for the test to inspect
                    self.errors.append(error)
                finally:
                    (tls or raw).close()
        finally:
            self.done.set()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._listener.close()
        self._thread.join(NETWORK_TIMEOUT)
        assert not self._thread.is_alive(), "loopback server thread did not finish"

    def connect(self, timeout: float | None = NETWORK_TIMEOUT) -> socket.socket:
        """A fresh TCP connection to this server."""
        raw = socket.create_connection(self.address, timeout=NETWORK_TIMEOUT)
        raw.settimeout(timeout)
        return raw

    def wait(self):
        assert self.done.wait(NETWORK_TIMEOUT), "loopback server did not finish its connections"


class RecordPeer:
    """A stdlib TLS server over MemoryBIOs on a raw socket: records are made, then sent as the
    test likes (several at once, cut, corrupted, followed by plaintext)."""

    def __init__(self, raw, context):
        self.raw = raw
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)

    def handshake(self):
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                data = self.raw.recv(65536)
                if not data:
                    raise ConnectionError("client went away during the handshake")
                self.incoming.write(data)
        self.flush()

    def records(self, data):
        """The records carrying `data` (one per 16 KiB), not sent."""
        self.tls.write(data)
        return self.outgoing.read()

    def close_notify(self):
        """The close_notify alert, not sent."""
        try:
            self.tls.unwrap()
        except ssl.SSLWantReadError:
            pass
        return self.outgoing.read()

    def flush(self):
        pending = self.outgoing.read()
        if pending:
            self.raw.sendall(pending)

    def receive(self, count: int) -> bytes:
        """Reads records from the socket until `count` bytes of plaintext arrived (or EOF)."""
        received = bytearray()
        while len(received) < count:
            try:
                received += self.tls.read(count - len(received))
            except ssl.SSLWantReadError:
                data = self.raw.recv(1 << 20)
                if not data:
                    break
                self.incoming.write(data)
        return bytes(received)

    def receive_in_background(self, total: int, skip: int = 0):
        """Starts a thread that reads and drops `skip` raw bytes (filler a test wrote under
        TLS), then decrypts until `total` bytes of plaintext arrived. Returns (the thread, the
        bytearray it fills)."""
        received = bytearray()

        def run():
            remaining = skip
            while remaining:
                remaining -= len(self.raw.recv(remaining))
            received.extend(self.receive(total))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, received


STRACE = shutil.which("strace")


def handshake_in_memory(client, server, client_in, client_out, server_in, server_out):
    """Runs two SSLObjects' handshakes to completion, moving the bytes between their BIOs
    (any library's on either side); fails the test if they do not complete."""
    unfinished = {client, server}
    for _ in range(20):
        for end in list(unfinished):
            try:
                end.do_handshake()
                unfinished.discard(end)
            except ssl.SSLWantReadError:
                pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if not unfinished:
            break
    assert not unfinished, "the handshake did not complete"


class MemoryPair:
    """A client SSLObject of `module` and a stdlib server SSLObject, handshaken in memory."""

    def __init__(self, module, server_context, root_ca, foreign_bios=False):
        bio = ssl.MemoryBIO if foreign_bios else module.MemoryBIO
        self.client_in, self.client_out = bio(), bio()
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=root_ca.cert_pem.decode())
        self.client = context.wrap_bio(self.client_in, self.client_out, server_hostname="localhost")
        self.server_in, self.server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.server = server_context.wrap_bio(self.server_in, self.server_out, server_side=True)
        handshake_in_memory(self.client, self.server, self.client_in, self.client_out,
                            self.server_in, self.server_out)
        self.client_in.write(self.server_out.read())

    def records(self, data):
        """The server's records carrying `data`, not delivered."""
        self.server.write(data)
        return self.server_out.read()


def read_until_it_stops(client, size=1 << 20, use_buffer=False):
    """Reads until a read raises or returns nothing: (data, reads that returned data, outcome)."""
    data, reads = bytearray(), 0
    while True:
        try:
            if use_buffer:
                buffer = bytearray(size)
                got = client.read(size, buffer)
                chunk = buffer[:got]
            else:
                chunk = client.read(size)
        except ssl.SSLError as error:
            return bytes(data), reads, type(error).__name__
        if not chunk:
            return bytes(data), reads, "end of stream"
        data += chunk
        reads += 1


def strace_usable() -> str | None:
    """None when strace can trace a child here, else why not (a skip reason)."""
    if STRACE is None:
        return "strace is not installed (apt-get install -y strace)"
    probe = subprocess.run([STRACE, "-f", "-o", os.devnull, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"strace cannot trace here (ptrace refused?): {probe.stderr.strip()[:200]}"
    return None


def recv_exactly(tls, count: int) -> bytes:
    chunks, received = [], 0
    while received < count:
        chunk = tls.recv(min(65536, count - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def recv_until_eof(tls) -> bytes:
    chunks = []
    while True:
        chunk = tls.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def recv_line(tls) -> bytes:
    """Reads until a newline or EOF; returns what it read (the newline included)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = tls.recv(1024)
        if not chunk:
            break
        data += chunk
    return data


def echo_upper_line(tls) -> bytes:
    """Handler: reads one line, answers it upper-cased, returns what it read."""
    data = recv_line(tls)
    tls.sendall(data.upper())
    return data


# --------------------------------------------------------------------------------------------
# openssl s_server / s_client
# --------------------------------------------------------------------------------------------

class OpenSSLServer:
    """``openssl s_server -accept 127.0.0.1:0 ARGS`` in a subprocess, port read from its output.

    Output (stdout and stderr merged) is drained by a thread into ``output`` so the process can
    never block on a full pipe. Leaving the ``with`` block terminates it (then kills it).
    """

    def __init__(self, *arguments: str):
        self.arguments = ["openssl", "s_server", "-accept", "127.0.0.1:0", *arguments]
        self.output = ""
        self.port = None
        self._ready = threading.Event()
        self._process = None
        self._drainer = None

    def __enter__(self):
        self._process = subprocess.Popen(
            self.arguments, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        if not self._ready.wait(NETWORK_TIMEOUT) or self.port is None:
            self.__exit__(None, None, None)
            raise RuntimeError(f"openssl s_server did not start: {self.output!r}")
        return self

    def _drain(self):
        for raw_line in self._process.stdout:
            line = raw_line.decode("utf-8", "replace")
            self.output += line
            match = re.match(r"ACCEPT .*:(\d+)\s*$", line)
            if match and self.port is None:
                self.port = int(match.group(1))
                self._ready.set()
        self._ready.set()

    def __exit__(self, *exc_info):
        process = self._process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if process.stdin:
            process.stdin.close()
        self._drainer.join(5)
        process.stdout.close()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=NETWORK_TIMEOUT)


def run_s_client(port: int, *arguments: str, data: bytes = b"", timeout: float = NETWORK_TIMEOUT):
    """Runs ``openssl s_client -connect 127.0.0.1:PORT ARGS`` feeding ``data`` on stdin.

    ``-ign_eof`` keeps it reading until the server closes, so the answer is in the output.
    Returns the CompletedProcess (stdout and stderr merged, text).
    """
    command = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-ign_eof", *arguments]
    return subprocess.run(command, input=data, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)


# --------------------------------------------------------------------------------------------
# Comparing errors with the stdlib oracle
# --------------------------------------------------------------------------------------------

_LOCATION = re.compile(r" \((?:_ssl\.c:\d+|swiftssl)\)$")


def without_location(message: str) -> str:
    """An error text without CPython's ``(_ssl.c:1006)`` or swiftssl's ``(swiftssl)`` suffix."""
    return _LOCATION.sub("", message)


def describe_error(error: BaseException) -> dict:
    """An exception in stdlib-comparable terms (class name, errno, SSL attributes, message)."""
    return {
        "ok": False,
        "class": type(error).__name__,
        "errno": getattr(error, "errno", None),
        "verify_code": getattr(error, "verify_code", None),
        "verify_message": getattr(error, "verify_message", None),
        "library": getattr(error, "library", None),
        "reason": getattr(error, "reason", None),
        "message": without_location(str(error)),
        "error": error,
    }


def outcome(function):
    """Runs ``function`` and describes what happened in stdlib-comparable terms."""
    try:
        value = function()
    except Exception as error:  # the description is what the tests compare
        return describe_error(error)
    return {"ok": True, "value": value}


def comparable(result: dict) -> dict:
    return {key: value for key, value in result.items() if key not in ("error", "value")}


@contextlib.contextmanager
def elapsed():
    """``with elapsed() as clock: ...``; ``clock()`` is the seconds spent inside."""
    start = time.monotonic()
    end = []
    yield lambda: (end[0] if end else time.monotonic()) - start
    end.append(time.monotonic())


def issue_with_openssl_cli(authority: CertificateAuthority, *names: str, digest: str = "sha1",
                           key_type: str = "ec") -> IssuedCertificate:
    """A leaf for DNS ``names`` signed by ``authority`` with ``digest`` by the ``openssl x509``
    command line: for digests pyca/cryptography no longer signs with (SHA-1 since 48.0).
    The files live in a temporary directory removed before returning."""
    import tempfile
    key = new_private_key(key_type)
    with tempfile.TemporaryDirectory() as directory:
        def path(name):
            return os.path.join(directory, name)
        with open(path("ca.pem"), "wb") as handle:
            handle.write(authority.cert_pem)
        with open(path("ca.key"), "wb") as handle:
            handle.write(key_pem(authority.key))
        csr = (x509.CertificateSigningRequestBuilder().subject_name(_name(None))
               .sign(key, hashes.SHA256()))
        with open(path("leaf.csr"), "wb") as handle:
            handle.write(csr.public_bytes(serialization.Encoding.PEM))
        with open(path("leaf.ext"), "w") as handle:
            handle.write("basicConstraints=critical,CA:FALSE\n"
                         "extendedKeyUsage=serverAuth,clientAuth\n"
                         "authorityKeyIdentifier=keyid\n"
                         f"subjectAltName={','.join('DNS:' + n for n in names)}\n")
        subprocess.run(["openssl", "x509", "-req", "-in", path("leaf.csr"), "-CA", path("ca.pem"),
                        "-CAkey", path("ca.key"), "-set_serial", str(x509.random_serial_number()),
                        "-days", "30", f"-{digest}", "-extfile", path("leaf.ext"), "-out", path("leaf.pem")],
                       check=True, capture_output=True, timeout=NETWORK_TIMEOUT)
        with open(path("leaf.pem"), "rb") as handle:
            certificate = x509.load_pem_x509_certificate(handle.read())
    return IssuedCertificate(certificate, key, authority.chain_to_root)
