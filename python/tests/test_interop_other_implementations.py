"""Interop with TLS implementations that are not OpenSSL: tlslite-ng (pure Python, in process),
GnuTLS (``gnutls-serv``/``gnutls-cli``) and Java's JSSE (a small SSLSocket program compiled at run
time). Each scenario runs twice, once with swiftssl and once with the stdlib ``ssl`` (both over
OpenSSL, but through different code), against the same kind of peer, and the two outcomes must be
equal: data received, ``version()``, ``session_reused``, ALPN, exceptions (class, errno, reason,
message without its location).

What the peers do that OpenSSL's command line does not: several (or no, or late) TLS 1.3 session
tickets, storms of KeyUpdates, records of 1 to 16 bytes from the first handshake message on, empty
records, a HelloRetryRequest, half-close, post-handshake authentication requested by a non-OpenSSL
server, and TLS 1.2 renegotiations a Java server starts.

Reads are compared by what arrived in total, never by how recv() cut it: swiftssl's reads return
every record that has arrived (README, "Differences").

Peers missing here are skipped: ``pip install tlslite-ng``, ``apt-get install gnutls-bin``, a JDK.
Every peer process is terminated when its test ends; every socket has a timeout. scripts/test
installs the first two and runs this file on 3.11 only (it exercises the core, which the other
interpreters share). The tlslite-ng steps use two of its private methods (``_sendMsg``,
``_serverSendTickets``), so scripts/test pins its version.
"""

import contextlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

import swiftssl

TIMEOUT = 10
LIBRARIES = {"swiftssl": swiftssl, "stdlib": ssl}


# -- comparing the two libraries ----------------------------------------------------------------

def describe(error):
    message = re.sub(r"\((_ssl\.c:\d+|swiftssl)\)", "", str(error)).strip()
    return (type(error).__name__, getattr(error, "errno", None), getattr(error, "reason", None), message)


def both(scenario):
    """Runs scenario(lib) for each library; returns {name: outcome}, an exception as its description."""
    outcomes = {}
    for name, lib in LIBRARIES.items():
        try:
            outcomes[name] = scenario(lib)
        except Exception as error:  # the outcome compared, not a test failure
            outcomes[name] = ("raised",) + describe(error)
    return outcomes


def assert_same(scenario, expected=None):
    outcomes = both(scenario)
    assert outcomes["swiftssl"] == outcomes["stdlib"], outcomes
    if expected is not None:
        assert outcomes["stdlib"] == expected, outcomes
    return outcomes["stdlib"]


def client_context(lib, root_ca, maximum=None, alpn=None, certificate=None):
    context = lib.SSLContext(lib.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=root_ca.cert_pem.decode())
    if maximum:
        context.maximum_version = getattr(lib.TLSVersion, maximum)
    if alpn:
        context.set_alpn_protocols(alpn)
    if certificate is not None:
        context.load_cert_chain(*certificate)
    return context


def server_context(lib, server_files, maximum=None):
    context = lib.SSLContext(lib.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_files)
    if maximum:
        context.maximum_version = getattr(lib.TLSVersion, maximum)
    return context


class Reader:
    """Reads a TLS socket by byte counts, whatever recv() returns at a time."""

    def __init__(self, tls):
        self.tls, self.buffer = tls, b""

    def take(self, count):
        while len(self.buffer) < count:
            data = self.tls.recv(65536)
            if not data:
                raise EOFError(f"EOF after {self.buffer!r}")
            self.buffer += data
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    def until_eof(self):
        while True:
            data = self.tls.recv(65536)
            if not data:
                rest, self.buffer = self.buffer, b""
                return rest
            self.buffer += data


@pytest.fixture
def pem_files(tmp_path, root_ca, server_cert, client_cert):
    files = {"ca": root_ca.cert_pem}
    for stem, issued in (("server", server_cert), ("client", client_cert)):
        files[stem] = issued.chain_pem
        files[f"{stem}-key"] = issued.key_pem
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name}.pem"
        paths[name].write_bytes(content)
    return {name: str(path) for name, path in paths.items()}


@pytest.fixture
def server_files(pem_files):
    return pem_files["server"], pem_files["server-key"]


# -- tlslite-ng ---------------------------------------------------------------------------------

def require_tlslite():
    return pytest.importorskip("tlslite.api", reason="tlslite-ng not installed (pip install tlslite-ng)")


class TLSLitePeer:
    """A tlslite-ng server (or client) in a thread, running `steps` (callables taking the
    TLSConnection) on each connection; what the steps log and any exception end up in `log`."""

    ticket_keys = [os.urandom(32)]

    def __init__(self, pem_files, steps, *, connections=1, server=True, port=None, settings=None,
                 before_handshake=None, alpn=None, session=None):
        api = require_tlslite()
        self.api, self.pem, self.log, self.session = api, pem_files, [], session
        self.settings = settings or {}
        self.steps, self.connections, self.before, self.alpn = steps, connections, before_handshake, alpn
        if server:
            self.listener = socket.create_server(("127.0.0.1", 0))
            self.listener.settimeout(TIMEOUT)
            self.port = self.listener.getsockname()[1]
            target = self._serve
        else:
            self.port = port
            target = self._connect
        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def _handshake_settings(self):
        settings = self.api.HandshakeSettings()
        settings.ticketKeys = self.ticket_keys
        settings.keyShares = ["x25519"]
        for name, value in self.settings.items():
            setattr(settings, name, value)
        return settings

    def _credentials(self, stem):
        chain = self.api.X509CertChain()
        chain.parsePemList(open(self.pem[stem]).read())
        return chain, self.api.parsePEMKey(open(self.pem[f"{stem}-key"]).read(), private=True)

    def _run(self, connection, index):
        steps = self.steps[index] if isinstance(self.steps[0], list) else self.steps
        self.log.append(("handshake", connection.getVersionName(), connection.resumed))
        for step in steps:
            step(connection, self.log)

    def _serve(self):
        cache = self.api.SessionCache()
        try:
            for index in range(self.connections):
                raw, _ = self.listener.accept()
                raw.settimeout(TIMEOUT)
                connection = self.api.TLSConnection(raw)
                if self.before:
                    self.before(connection)
                chain, key = self._credentials("server")
                connection.handshakeServer(certChain=chain, privateKey=key, settings=self._handshake_settings(),
                                           sessionCache=cache, alpn=self.alpn)
                self._run(connection, index)
        except Exception as error:
            self.log.append(("peer raised", type(error).__name__, str(error)[:80]))
        finally:
            self.listener.close()

    def _connect(self):
        try:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
            connection = self.api.TLSConnection(raw)
            if self.before:
                self.before(connection)
            connection.handshakeClientCert(settings=self._handshake_settings(), session=self.session,
                                           serverName="localhost", alpn=self.alpn)
            self._run(connection, 0)
            self.session = connection.session
        except Exception as error:
            self.log.append(("peer raised", type(error).__name__, str(error)[:80]))

    def wait(self):
        self.thread.join(TIMEOUT * 2)
        assert not self.thread.is_alive(), "tlslite-ng peer still running"
        return self.log


def run_generator(generator):
    for _ in generator:
        pass


def lite_write(data):
    return lambda connection, log: connection.write(data)


def lite_read_line(connection, log):
    line = b""
    while not line.endswith(b"\n"):
        data = connection.read(max=1)
        if not data:
            line += b"<EOF>"
            break
        line += bytes(data)
    log.append(("line", line))


def lite_close(connection, log):
    connection.closeSocket = True
    connection.close()


def lite_whole_records(connection, log):
    """Back to full records, so that the close_notify alert is not cut (OpenSSL refuses a TLS 1.3
    alert split over records: INVALID_ALERT, in both libraries)."""
    connection.recordSize = 2 ** 14


def lite_key_update(requested):
    def step(connection, log):
        from tlslite.constants import KeyUpdateMessageType
        kind = KeyUpdateMessageType.update_requested if requested else KeyUpdateMessageType.update_not_requested
        run_generator(connection.send_keyupdate_request(kind))
    return step


def lite_empty_record(connection, log):
    from tlslite.messages import ApplicationData
    run_generator(connection._sendMsg(ApplicationData().create(bytearray())))


def lite_close_notify_only(connection, log):
    from tlslite.constants import AlertDescription, AlertLevel
    from tlslite.messages import Alert
    run_generator(connection._sendMsg(Alert().create(AlertDescription.close_notify, AlertLevel.warning)))


def lite_send_tickets(connection, log):
    from tlslite.api import HandshakeSettings
    tickets = HandshakeSettings()
    tickets.ticketKeys, tickets.ticket_count = TLSLitePeer.ticket_keys, 2
    run_generator(connection._serverSendTickets(tickets))


def lite_request_client_certificate(connection, log):
    run_generator(connection.request_post_handshake_auth())


def lite_client_certificate(connection, log):
    chain = connection.session.clientCertChain
    log.append(("client certificate", chain is not None and chain.getNumCerts()))


def ask_and_answer(reader, tls, expected_lines):
    """Client side of the usual exchange: read each expected line, answer "ack N"."""
    received = []
    for index, line in enumerate(expected_lines):
        received.append(reader.take(len(line)))
        tls.sendall(b"ack %d\n" % index)
    return received


def client_against_lite(pem_files, root_ca, steps, lines, *, connections=1, settings=None, maximum=None,
                        before_handshake=None, alpn=None, client_alpn=None, pha_certificate=None):
    """A swiftssl/stdlib client against a tlslite-ng server: for each connection (offering the previous
    session), read `lines` answering each, then read to EOF; returns what each side saw."""

    def scenario(lib):
        peer = TLSLitePeer(pem_files, steps, connections=connections, settings=settings,
                           before_handshake=before_handshake, alpn=alpn)
        context = client_context(lib, root_ca, maximum=maximum, alpn=client_alpn, certificate=pha_certificate)
        if pha_certificate:
            context.post_handshake_auth = True
        seen, session = [], None
        for _ in range(connections):
            raw = socket.create_connection(("127.0.0.1", peer.port), timeout=TIMEOUT)
            with context.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
                seen.append((tls.version(), tls.session_reused, tls.selected_alpn_protocol()))
                reader = Reader(tls)
                seen.append(ask_and_answer(reader, tls, lines))
                seen.append(("then", reader.until_eof()))
                session = tls.session
                seen.append(("ticket", session.has_ticket))
        return seen, peer.wait()

    return scenario


HELLO = [lite_write(b"hello\n"), lite_read_line, lite_close]


@pytest.mark.parametrize("tickets, resumed", [(0, False), (1, True), (6, True)])
def test_client_resumes_with_however_many_tickets_tlslite_sends(pem_files, root_ca, tickets, resumed):
    """OpenSSL servers send two TLS 1.3 tickets; tlslite-ng sends what it is told: none, one, six."""
    seen, peer_log = assert_same(client_against_lite(pem_files, root_ca, HELLO, [b"hello\n"], connections=2,
                                                     settings={"ticket_count": tickets}))
    assert seen[4][:2] == ("TLSv1.3", resumed)


def test_client_resumes_tls12_session_id_from_tlslite(pem_files, root_ca):
    seen, _ = assert_same(client_against_lite(pem_files, root_ca, HELLO, [b"hello\n"], connections=2,
                                              settings={"ticket_count": 0}, maximum="TLSv1_2"))
    assert seen[4][:2] == ("TLSv1.2", True)


def test_client_takes_a_ticket_sent_after_data(pem_files, root_ca):
    """Tickets that come only after the first exchange of data (tlslite-ng sends none at the
    handshake here): the session has no ticket before them and resumes after them."""
    steps = [[lite_write(b"hello\n"), lite_read_line, lite_send_tickets, lite_write(b"tickets sent\n"), lite_read_line,
              lite_close], HELLO]

    def scenario(lib):
        peer = TLSLitePeer(pem_files, steps, connections=2, settings={"ticket_count": 0})
        context = client_context(lib, root_ca)
        seen = []
        with context.wrap_socket(socket.create_connection(("127.0.0.1", peer.port), timeout=TIMEOUT),
                                 server_hostname="localhost") as tls:
            reader = Reader(tls)
            seen.append((reader.take(6), tls.session.has_ticket))
            tls.sendall(b"ack\n")
            seen.append((reader.take(13), tls.session.has_ticket))
            tls.sendall(b"ack\n")
            seen.append(reader.until_eof())
            session = tls.session
        with context.wrap_socket(socket.create_connection(("127.0.0.1", peer.port), timeout=TIMEOUT),
                                 server_hostname="localhost", session=session) as tls:
            seen.append(tls.session_reused)
        return seen, peer.wait()[:4]

    seen, _ = assert_same(scenario)
    assert seen == [(b"hello\n", False), (b"tickets sent\n", True), b"", True]


def test_client_follows_key_update_storms_from_tlslite(pem_files, root_ca):
    """Five KeyUpdates asking for an answer before any data, one not asking between two lines,
    and one between the two records of a line; tlslite-ng checks the client's answers by reading
    under the updated keys."""
    steps = [lite_key_update(True)] * 5 + [lite_write(b"hel"), lite_key_update(True), lite_write(b"lo\n"),
                                           lite_read_line, lite_key_update(False), lite_write(b"more\n"),
                                           lite_read_line, lite_close]
    seen, peer_log = assert_same(client_against_lite(pem_files, root_ca, steps, [b"hello\n", b"more\n"]))
    assert seen[1] == [b"hello\n", b"more\n"] and peer_log[1:] == [("line", b"ack 0\n"), ("line", b"ack 1\n")]


@pytest.mark.parametrize("maximum", ["TLSv1_3", "TLSv1_2"])
@pytest.mark.parametrize("record_size", [1, 16])
def test_client_reads_tiny_records_from_the_first_handshake_message(pem_files, root_ca, maximum, record_size):
    """tlslite-ng cuts everything it sends, its handshake messages included, into records of
    `record_size` bytes."""
    body = b"x" * 3000 + b"\n"
    steps = [lite_write(body), lite_read_line, lite_write(b"bye\n"), lite_read_line, lite_whole_records, lite_close]
    seen, peer_log = assert_same(client_against_lite(
        pem_files, root_ca, steps, [body, b"bye\n"], maximum=maximum,
        before_handshake=lambda connection: setattr(connection, "recordSize", record_size)))
    assert seen[1] == [body, b"bye\n"]


@pytest.mark.parametrize("empty_records, expected_error", [(10, None), (40, "RECORD_TOO_SMALL")])
def test_client_and_empty_records(pem_files, root_ca, empty_records, expected_error):
    """Empty application-data records between two records of data: OpenSSL takes up to 32 in a row."""
    steps = [lite_write(b"a")] + [lite_empty_record] * empty_records + [lite_write(b"b\n"), lite_read_line, lite_close]
    outcome = assert_same(client_against_lite(pem_files, root_ca, steps, [b"ab\n"]))
    if expected_error:
        assert outcome[:2] == ("raised", "SSLError") and outcome[3] == expected_error
    else:
        assert outcome[0][1] == [b"ab\n"]


def test_client_answers_post_handshake_auth_from_tlslite(pem_files, root_ca):
    steps = [lite_request_client_certificate, lite_write(b"hello\n"), lite_read_line, lite_write(b"two\n"),
             lite_read_line, lite_client_certificate, lite_close]
    seen, peer_log = assert_same(client_against_lite(
        pem_files, root_ca, steps, [b"hello\n", b"two\n"],
        pha_certificate=(pem_files["client"], pem_files["client-key"])))
    assert peer_log[-1][0] == "client certificate" and peer_log[-1][1] >= 1


def test_client_hello_retry_request_and_alpn_from_tlslite(pem_files, root_ca):
    """tlslite-ng accepts only secp384r1, so the client's x25519 key share gets a HelloRetryRequest."""
    seen, _ = assert_same(client_against_lite(
        pem_files, root_ca, HELLO, [b"hello\n"], settings={"eccCurves": ["secp384r1"], "keyShares": ["secp384r1"]},
        alpn=[bytearray(b"http/1.1")], client_alpn=["h2", "http/1.1"]))
    assert seen[0] == ("TLSv1.3", False, "http/1.1")


def test_client_writes_after_tlslite_half_closes(pem_files, root_ca):
    """tlslite-ng sends its close_notify and keeps reading: the client reads b"", still writes,
    then unwrap() completes the closure."""
    steps = [lite_write(b"bye\n"), lite_close_notify_only, lite_read_line, lambda c, log: c.sock.close()]

    def scenario(lib):
        peer = TLSLitePeer(pem_files, steps)
        context = client_context(lib, root_ca)
        raw = socket.create_connection(("127.0.0.1", peer.port), timeout=TIMEOUT)
        tls = context.wrap_socket(raw, server_hostname="localhost")
        reader = Reader(tls)
        seen = [reader.take(4), reader.until_eof()]
        tls.sendall(b"after your close_notify\n")
        time.sleep(0.2)
        tls.unwrap()
        tls.close()
        return seen, peer.wait()

    assert assert_same(scenario) == ([b"bye\n", b""], [("handshake", "TLS 1.3", False),
                                                        ("line", b"after your close_notify\n")])


@pytest.mark.parametrize("maximum", ["TLSv1_3", "TLSv1_2"])
def test_server_against_tlslite_client_tiny_records_and_key_updates(pem_files, server_files, maximum):
    """A tlslite-ng client cutting its records to 1 byte from its ClientHello on, and in TLS 1.3
    sending 40 KeyUpdates that each ask for an answer before its data; then resuming."""
    updates = [lite_key_update(True)] * 40 if maximum == "TLSv1_3" else []
    steps = updates + [lite_write(b"y" * 2000 + b"\n"), lite_read_line, lite_whole_records, lite_close]

    def scenario(lib):
        context = server_context(lib, server_files, maximum=maximum)
        seen, session = [], None
        with socket.create_server(("127.0.0.1", 0)) as listener:
            listener.settimeout(TIMEOUT)
            for _ in range(2):
                peer = TLSLitePeer(pem_files, steps, server=False, port=listener.getsockname()[1],
                                   before_handshake=lambda connection: setattr(connection, "recordSize", 1),
                                   session=session)
                raw, _ = listener.accept()
                raw.settimeout(TIMEOUT)
                with context.wrap_socket(raw, server_side=True) as tls:
                    reader = Reader(tls)
                    seen.append((tls.version(), tls.session_reused, len(reader.take(2001))))
                    tls.sendall(b"reply\n")
                    seen.append(reader.until_eof())
                    tls.unwrap()
                seen.append(peer.wait())
                session = peer.session
        return seen

    seen = assert_same(scenario)
    assert seen[3][1] is True


# -- GnuTLS ---------------------------------------------------------------------------------------

needs_gnutls = pytest.mark.skipif(shutil.which("gnutls-serv") is None or shutil.which("gnutls-cli") is None,
                                  reason="gnutls-bin not installed (apt-get install gnutls-bin)")


class Process:
    def __init__(self, *argv):
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        self.chunks = []
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self):
        for chunk in iter(lambda: self.process.stdout.read1(65536), b""):
            self.chunks.append(chunk)

    @property
    def output(self):
        return b"".join(self.chunks).decode("latin-1")

    def wait_for(self, text, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while text not in self.output and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.02)
        return text in self.output

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(2)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gnutls_echo_server(pem_files, *options):
    port = free_port()
    server = Process("gnutls-serv", "--echo", "-p", str(port), "--x509certfile", pem_files["server"],
                     "--x509keyfile", pem_files["server-key"], *options)
    try:
        # The line ends in "...done" once gnutls-serv listens.
        deadline = time.monotonic() + TIMEOUT
        while not re.search(r"IPv4 .*\.\.\.done", server.output) and time.monotonic() < deadline:
            time.sleep(0.02)
        server.port = port
        yield server
    finally:
        server.stop()


def echo_lines(pem_files, root_ca, options, lines, *, maximum=None, certificate=None, pha=False, alpn=None,
               connections=1):
    """A client sends each line to gnutls-serv --echo and reads the echo (for a **COMMAND** line,
    gnutls-serv's "Successfully executed command" line)."""

    def scenario(lib):
        context = client_context(lib, root_ca, maximum=maximum, alpn=alpn, certificate=certificate)
        context.post_handshake_auth = pha
        seen, session = [], None
        with gnutls_echo_server(pem_files, *options) as server:
            for _ in range(connections):
                raw = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
                with context.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
                    seen.append((tls.version(), tls.session_reused, tls.selected_alpn_protocol()))
                    reader = Reader(tls)
                    for line in lines:
                        tls.sendall(line)
                        answer = b"Successfully executed command\n" if line.startswith(b"**") else line
                        seen.append(reader.take(len(answer)))
                    session = tls.session
        return seen

    return scenario


@needs_gnutls
def test_client_follows_gnutls_key_updates(pem_files, root_ca):
    """gnutls-serv's **REHANDSHAKE** in TLS 1.3 is a KeyUpdate asking for the client's."""
    lines = [b"hello\n", b"**REHANDSHAKE**\n", b"between\n", b"**REHANDSHAKE**\n", b"after\n"]
    seen = assert_same(echo_lines(pem_files, root_ca, [], lines))
    assert seen[0][0] == "TLSv1.3" and seen[-1] == b"after\n"


@needs_gnutls
def test_client_answers_gnutls_post_handshake_auth(pem_files, root_ca):
    """**REAUTH**: gnutls-serv asks for the client's certificate after the handshake (TLS 1.3)."""
    lines = [b"hello\n", b"**REAUTH**\n", b"after\n"]
    certificate = (pem_files["client"], pem_files["client-key"])
    assert_same(echo_lines(pem_files, root_ca, ["-a"], lines, certificate=certificate, pha=True))


@needs_gnutls
@pytest.mark.parametrize("maximum", [None, "TLSv1_2"])
def test_client_resumes_with_gnutls(pem_files, root_ca, maximum):
    seen = assert_same(echo_lines(pem_files, root_ca, [], [b"hello\n"], maximum=maximum, connections=2))
    assert seen[2][1] is True


@needs_gnutls
@pytest.mark.parametrize("options, alpn", [
    (["--alpn", "h2", "--alpn", "http/1.1"], ["http/1.1", "h2"]),
    (["--sni-hostname", "other.example", "--sni-hostname-fatal"], None),   # unrecognized_name alert
    (["--priority", "NORMAL:-GROUP-ALL:+GROUP-SECP384R1"], None),           # HelloRetryRequest
    (["--priority", "NORMAL:-GROUP-ALL:+GROUP-FFDHE2048"], None),           # HRR to a finite-field group
    (["--priority", "NORMAL:-VERS-TLS1.3:-CIPHER-ALL:+AES-128-CBC"], None),  # TLS 1.2 CBC, encrypt-then-MAC
], ids=["alpn", "sni-fatal", "hrr-secp384r1", "hrr-ffdhe2048", "tls12-cbc-etm"])
def test_client_handshakes_with_gnutls(pem_files, root_ca, options, alpn):
    assert_same(echo_lines(pem_files, root_ca, options, [b"hello\n"], alpn=alpn))


@needs_gnutls
@pytest.mark.parametrize("options, feed, connections", [
    ([], [b"hello\n", None], 1),
    (["--priority", "NORMAL:-VERS-TLS1.3", "-e"], [b"hello\n", None], 1),   # client renegotiation: refused
    (["--inline-commands"], [b"hello\n", b"^renegotiate^\n", b"two\n", None], 1),  # TLS 1.3: KeyUpdate
    (["-r"], [b"hello\n", None], 2),
    (["--post-handshake-auth", "CLIENTCERT"], [b"one\n", b"two\n", None], 1),
], ids=["basic", "tls12-client-renegotiation", "tls13-key-update", "resume", "post-handshake-auth"])
def test_server_against_gnutls_cli(pem_files, server_files, options, feed, connections):
    """gnutls-cli types `feed` (None: its stdin ends, so it sends close_notify); the server answers
    each chunk upper-cased, asks for the client's certificate after the first one when told to,
    and once the client has closed, sends one more line and unwraps (half-close)."""
    post_handshake_auth = "CLIENTCERT" in options
    arguments = [option for option in options if option != "CLIENTCERT"]
    if post_handshake_auth:
        arguments += ["--x509certfile", pem_files["client"], "--x509keyfile", pem_files["client-key"]]

    def scenario(lib):
        context = server_context(lib, server_files)
        if post_handshake_auth:
            context.post_handshake_auth = True
            context.verify_mode = lib.CERT_OPTIONAL
            context.load_verify_locations(pem_files["ca"])
        seen = []
        with socket.create_server(("127.0.0.1", 0)) as listener:
            listener.settimeout(TIMEOUT)
            client = Process("gnutls-cli", "-p", str(listener.getsockname()[1]), "--x509cafile", pem_files["ca"],
                             *arguments, "localhost")

            def type_lines():
                try:
                    for chunk in feed:
                        time.sleep(0.4)
                        if chunk is None:
                            client.process.stdin.close()
                        else:
                            client.process.stdin.write(chunk)
                            client.process.stdin.flush()
                except (BrokenPipeError, ValueError):
                    pass  # gnutls-cli has exited (a refused renegotiation ends it)

            typist = threading.Thread(target=type_lines, daemon=True)
            typist.start()
            try:
                for index in range(connections):
                    raw, _ = listener.accept()
                    raw.settimeout(TIMEOUT)
                    with context.wrap_socket(raw, server_side=True) as tls:
                        seen.append((tls.version(), tls.session_reused))
                        if index < connections - 1:
                            # gnutls-cli -r: this connection only makes the session and closes at
                            # once, racing the server's reply; only the resumed one is compared.
                            continue
                        received = b""
                        try:
                            while True:
                                data = tls.recv(65536)
                                if not data:
                                    break
                                received += data
                                tls.sendall(b"ANSWER " + data.upper())
                                if post_handshake_auth and tls.getpeercert() is None:
                                    tls.verify_client_post_handshake()
                            certificate = tls.getpeercert() is not None
                            tls.sendall(b"after close_notify\n")
                            tls.unwrap()
                            seen.append((received, certificate))
                        except ssl.SSLError as error:
                            seen.append(describe(error))
                typist.join(TIMEOUT)
                client.wait_for("after close_notify", 3)
            finally:
                client.stop()
        seen.append([line for line in client.output.splitlines()
                     if line.startswith(("ANSWER", "after", "*** This is a resumed", "*** Received alert"))])
        return seen

    assert_same(scenario)


# -- Java JSSE --------------------------------------------------------------------------------------

JAVA_PEER = r"""
import javax.net.ssl.*; import java.io.*; import java.net.*; import java.security.*; import java.security.cert.*;
import java.security.spec.*; import java.util.*;
public class Peer {
    static byte[] der(String path) throws Exception {
        String pem = new String(java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(path)));
        pem = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(pem);
    }
    static SSLContext context(String dir, boolean withKey) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        KeyStore trust = KeyStore.getInstance("PKCS12"); trust.load(null);
        trust.setCertificateEntry("ca", cf.generateCertificate(new FileInputStream(dir + "/ca.pem")));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX"); tmf.init(trust);
        KeyManager[] kms = null;
        if (withKey) {
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der(dir + "/server-key.pem")));
            Collection<? extends java.security.cert.Certificate> chain = cf.generateCertificates(new FileInputStream(dir + "/server.pem"));
            KeyStore ks = KeyStore.getInstance("PKCS12"); ks.load(null);
            ks.setKeyEntry("server", key, "pw".toCharArray(), chain.toArray(new java.security.cert.Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX"); kmf.init(ks, "pw".toCharArray());
            kms = kmf.getKeyManagers();
        }
        SSLContext c = SSLContext.getInstance("TLS"); c.init(kms, tmf.getTrustManagers(), null); return c;
    }
    public static void main(String[] a) throws Exception {
        String dir = a[0]; boolean server = a[1].equals("server"); String protocol = a[3]; SSLSocket s;
        if (server) {
            SSLServerSocket ss = (SSLServerSocket) context(dir, true).getServerSocketFactory().createServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
            ss.setEnabledProtocols(new String[] {protocol});
            System.out.println("PORT " + ss.getLocalPort()); System.out.flush();
            ss.setSoTimeout(15000); s = (SSLSocket) ss.accept();
        } else {
            s = (SSLSocket) context(dir, false).getSocketFactory().createSocket("127.0.0.1", Integer.parseInt(a[2]));
            s.setEnabledProtocols(new String[] {protocol});
        }
        s.setSoTimeout(10000);
        try {
            s.startHandshake();
            InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream();
            for (int i = 4; i < a.length; i++) {
                String op = a[i];
                if (op.startsWith("w:")) { out.write((op.substring(2) + "\n").getBytes()); out.flush(); }
                else if (op.equals("r")) { StringBuilder b = new StringBuilder(); int c;
                    while ((c = in.read()) != -1 && c != '\n') b.append((char) c);
                    System.out.println("READ " + b + (c == -1 ? " <EOF>" : "")); }
                else if (op.equals("rehandshake")) s.startHandshake();
                else if (op.equals("shutdownOutput")) s.shutdownOutput();
                else if (op.equals("close")) s.close();
                System.out.flush();
            }
        } catch (Exception e) { System.out.println("EXCEPTION " + e); }
        System.out.println("DONE"); System.out.flush();
    }
}
"""


@pytest.fixture(scope="module")
def java_peer(tmp_path_factory):
    if shutil.which("javac") is None or shutil.which("java") is None:
        pytest.skip("no JDK (javac/java) installed")
    directory = tmp_path_factory.mktemp("java")
    (directory / "Peer.java").write_text(JAVA_PEER)
    subprocess.run(["javac", "Peer.java"], cwd=directory, check=True, timeout=120)
    return str(directory)


def java_process(java_peer, pem_files, role, port, protocol, operations):
    return Process("java", "-cp", java_peer, "Peer", os.path.dirname(pem_files["ca"]), role, str(port), protocol,
                   *operations)


@pytest.mark.parametrize("protocol, operations", [
    # TLS 1.2: each startHandshake() on the established socket sends a HelloRequest; the client
    # renegotiates while lines go both ways. TLS 1.3: startHandshake() sends a KeyUpdate.
    ("TLSv1.2", ["w:one", "rehandshake", "w:two", "r", "rehandshake", "w:three", "r", "close"]),
    ("TLSv1.3", ["w:one", "rehandshake", "w:two", "r", "rehandshake", "w:three", "r", "close"]),
], ids=["tls12-renegotiations", "tls13-key-updates"])
def test_client_follows_what_a_java_server_starts(java_peer, pem_files, root_ca, protocol, operations):
    def scenario(lib):
        server = java_process(java_peer, pem_files, "server", 0, protocol, operations)
        try:
            assert server.wait_for("PORT ", 30), server.output
            port = int(server.output.split("PORT ")[1].split()[0])
            context = client_context(lib, root_ca)
            raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                reader = Reader(tls)
                seen = [tls.version(), reader.take(4), reader.take(4)]
                tls.sendall(b"ack 1\n")
                seen.append(reader.take(6))
                tls.sendall(b"ack 2\n")
                seen.append(reader.until_eof())
            server.wait_for("DONE")
        finally:
            server.stop()
        return seen, [line for line in server.output.splitlines() if not line.startswith("PORT")]

    seen, java_saw = assert_same(scenario)
    assert seen[1:] == [b"one\n", b"two\n", b"three\n", b""] and java_saw == ["READ ack 1", "READ ack 2", "DONE"]


@pytest.mark.parametrize("protocol", ["TLSv1.3", "TLSv1.2"])
def test_server_answers_after_a_java_client_half_closes(java_peer, pem_files, server_files, protocol):
    """shutdownOutput() sends the Java client's close_notify; it then reads the server's answer."""

    def scenario(lib):
        context = server_context(lib, server_files)
        with socket.create_server(("127.0.0.1", 0)) as listener:
            listener.settimeout(30)
            client = java_process(java_peer, pem_files, "client", listener.getsockname()[1], protocol,
                                  ["w:request", "shutdownOutput", "r", "close"])
            try:
                raw, _ = listener.accept()
                raw.settimeout(TIMEOUT)
                with context.wrap_socket(raw, server_side=True) as tls:
                    reader = Reader(tls)
                    seen = [tls.version(), reader.take(8), reader.until_eof()]
                    tls.sendall(b"response\n")
                    tls.unwrap()
                client.wait_for("DONE")
            finally:
                client.stop()
        return seen, client.output.splitlines()

    seen, java_saw = assert_same(scenario)
    assert seen[1:] == [b"request\n", b""] and java_saw == ["READ response", "DONE"]
