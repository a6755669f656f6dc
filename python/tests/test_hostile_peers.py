"""Hostile peers over loopback (DESIGN.md section 6; issue 4, item 2).

A peer that sends garbage, truncates a record, hangs up or resets mid-handshake, sends records it
must not, sends an oversized record, floods alerts, or never finishes the handshake must cost a
swiftssl endpoint one exception (``SSLError``/``OSError``, or ``TimeoutError`` when it stalls)
within the socket's timeout: never a crash of the interpreter, never a hang. A swiftssl server then
goes on serving a well-behaved client.

Each scenario runs twice, with swiftssl and with CPython's ``ssl`` as the endpoint under attack
(both link the same OpenSSL 3), and the exception classes must be the same; a differing class is
a behaviour difference users would see. Hostile bytes come from ``random.Random(seed)`` so every
run sends the same ones; the real handshake messages they are cut from come from a stdlib
``SSLObject`` over ``MemoryBIO``s. Certificates: ``conftest.py`` (made at test time).
"""

import random
import socket
import ssl
import struct
import time

import pytest

import swiftssl
from tls_support import NETWORK_TIMEOUT, LoopbackServer, echo_upper_line

# TLS record content types.
CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA = 20, 21, 22, 23
# The largest TLS 1.2 ciphertext record is 2^14 + 2048 bytes; this is well past it.
HUGE_RECORD_LENGTH = 0xFFFF
# The server-side socket timeout for scenarios that end by themselves (they must not need it).
SERVER_TIMEOUT = 10.0
# The socket timeout for the stalling scenarios, which must end with TimeoutError.
STALL_TIMEOUT = 2.0

MODULES = {"swiftssl": swiftssl, "stdlib": ssl}


def record(content_type: int, payload: bytes, version: bytes = b"\x03\x03") -> bytes:
    """One TLS record with a correct header."""
    return struct.pack("!B2sH", content_type, version, len(payload)) + payload


def random_bytes(seed: int, count: int) -> bytes:
    return random.Random(seed).randbytes(count)


def client_hello() -> bytes:
    """A real TLS ClientHello (stdlib ``ssl`` over memory; nothing connects anywhere)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    connection = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        connection.do_handshake()
    return outgoing.read()


def drain_until_closed(raw: socket.socket, timeout: float = NETWORK_TIMEOUT) -> bytes:
    """Reads until the peer closes (or resets); returns what arrived."""
    raw.settimeout(timeout)
    received = b""
    try:
        while True:
            chunk = raw.recv(65536)
            if not chunk:
                break
            received += chunk
    except OSError:  # reset by the peer: closed all the same
        pass
    return received


def send_ignoring_reset(raw: socket.socket, data: bytes) -> None:
    """Sends what the victim lets us send: it may hang up half-way, which is its right."""
    try:
        raw.sendall(data)
        raw.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def reset(raw: socket.socket) -> None:
    """Closes with an RST instead of a FIN."""
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()


def memory_handshake(raw: socket.socket, context: ssl.SSLContext, server_side: bool):
    """Completes a real handshake over ``raw`` with a stdlib SSLObject, which then lets the test
    put arbitrary bytes on the wire after it. Returns the SSLObject."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    connection = context.wrap_bio(incoming, outgoing, server_side=server_side,
                                  server_hostname=None if server_side else "localhost")
    while True:
        try:
            connection.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            data = raw.recv(65536)
            if not data:
                raise ConnectionError("peer closed during the memory handshake")
            incoming.write(data)
    raw.sendall(outgoing.read())  # the last flight (and TLS 1.3 session tickets)
    return connection


# --------------------------------------------------------------------------------------------
# Hostile clients: each takes a connected raw socket to the server under attack.
# --------------------------------------------------------------------------------------------

def random_bytes_instead_of_client_hello(seed):
    def attack(raw):
        send_ignoring_reset(raw, random_bytes(seed, 517))
        drain_until_closed(raw)
    return attack


def http_request_instead_of_client_hello(raw):
    send_ignoring_reset(raw, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    drain_until_closed(raw)


def truncated_client_hello(raw):
    hello = client_hello()
    send_ignoring_reset(raw, hello[:len(hello) // 2])
    drain_until_closed(raw)


def truncated_record_header(raw):
    send_ignoring_reset(raw, client_hello()[:3])
    drain_until_closed(raw)


def close_mid_handshake(raw):
    raw.sendall(client_hello())
    raw.settimeout(NETWORK_TIMEOUT)
    raw.recv(5)  # the server has answered: it is waiting for our second flight
    raw.shutdown(socket.SHUT_WR)
    drain_until_closed(raw)


def reset_mid_handshake(raw):
    raw.sendall(client_hello())
    raw.settimeout(NETWORK_TIMEOUT)
    raw.recv(5)
    time.sleep(0.2)  # let the server's flight arrive whole, so the RST follows it
    reset(raw)


def application_data_before_handshake(raw):
    send_ignoring_reset(raw, record(APPLICATION_DATA, random_bytes(7, 64)))
    drain_until_closed(raw)


def change_cipher_spec_before_handshake(raw):
    send_ignoring_reset(raw, record(CHANGE_CIPHER_SPEC, b"\x01") * 3)
    drain_until_closed(raw)


def huge_record(raw):
    send_ignoring_reset(raw, record(HANDSHAKE, b"\x01" + b"\x00" * (HUGE_RECORD_LENGTH - 1)))
    drain_until_closed(raw)


def alert_storm_before_handshake(raw):
    # Warning-level user_canceled alerts, thousands of them.
    send_ignoring_reset(raw, record(ALERT, b"\x01\x5a") * 5000)
    drain_until_closed(raw)


def alert_storm_after_client_hello(raw):
    send_ignoring_reset(raw, client_hello() + record(ALERT, b"\x01\x5a", b"\x03\x01") * 5000)
    drain_until_closed(raw)


def fatal_alert_mid_handshake(raw):
    raw.sendall(client_hello())
    raw.settimeout(NETWORK_TIMEOUT)
    raw.recv(5)
    send_ignoring_reset(raw, record(ALERT, b"\x02\x28"))  # fatal handshake_failure
    drain_until_closed(raw)


def never_finishes_handshake(raw):
    """Sends half a ClientHello and waits, keeping the connection open, until the server gives up."""
    hello = client_hello()
    raw.sendall(hello[:len(hello) // 2])
    drain_until_closed(raw)


def silent_client(raw):
    drain_until_closed(raw)


# Scenario name → (attack, exception class the victim must raise: same for swiftssl and stdlib).
CLIENT_ATTACKS = {
    "random_bytes_seed_1": (random_bytes_instead_of_client_hello(1), "SSLError"),
    "random_bytes_seed_2": (random_bytes_instead_of_client_hello(2), "SSLError"),
    "random_bytes_seed_3": (random_bytes_instead_of_client_hello(3), "SSLError"),
    "http_request": (http_request_instead_of_client_hello, "SSLError"),
    "truncated_client_hello": (truncated_client_hello, "SSLEOFError"),
    "truncated_record_header": (truncated_record_header, "SSLEOFError"),
    "close_mid_handshake": (close_mid_handshake, "SSLEOFError"),
    "reset_mid_handshake": (reset_mid_handshake, "ConnectionResetError"),
    "application_data_before_handshake": (application_data_before_handshake, "SSLError"),
    "change_cipher_spec_before_handshake": (change_cipher_spec_before_handshake, "SSLError"),
    "huge_record": (huge_record, "SSLError"),
    "alert_storm_before_handshake": (alert_storm_before_handshake, "SSLError"),
    "alert_storm_after_client_hello": (alert_storm_after_client_hello, "SSLError"),
    "fatal_alert_mid_handshake": (fatal_alert_mid_handshake, "SSLError"),
}

STALLING_CLIENTS = {"never_finishes_handshake": never_finishes_handshake, "silent": silent_client}


@pytest.fixture
def server_files(server_cert, tmp_path):
    """``server_cert`` as (chain path, key path), for the stdlib, which only takes paths."""
    return server_cert.write(tmp_path, "hostile-peers")


@pytest.fixture
def server_contexts(server_cert, server_files):
    """Server contexts of both modules presenting ``server_cert`` (swiftssl's from memory)."""
    swift_context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    swift_context.load_cert_chain(server_cert.combined_pem)
    stdlib_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    stdlib_context.load_cert_chain(*server_files)
    return {"swiftssl": swift_context, "stdlib": stdlib_context}


def attacked_server(context, timeout: float):
    """A LoopbackServer on ``context`` for two connections: the attacker's, then a good client's.

    Each connection records how long its wrap (the handshake) took, in ``server.handshake_seconds``.
    """
    durations = []

    def wrap(raw):
        raw.settimeout(timeout)
        started = time.monotonic()
        try:
            return context.wrap_socket(raw, server_side=True)
        finally:
            durations.append(time.monotonic() - started)

    server = LoopbackServer(wrap, echo_upper_line, connections=2)
    server.handshake_seconds = durations
    return server


def good_client_round_trip(server, root_ca, line=b"still serving\n"):
    context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    with context.wrap_socket(server.connect(), server_hostname="localhost") as tls:
        tls.sendall(line)
        assert tls.recv(100) == line.upper()


def run_attack_on_server(context, attack, root_ca, timeout):
    """One attack, then one good swiftssl client; returns the server's first error."""
    with attacked_server(context, timeout) as server:
        raw = server.connect()
        try:
            attack(raw)
        finally:
            raw.close()
        good_client_round_trip(server, root_ca)
        server.wait()
    assert len(server.errors) == 1, server.errors
    assert server.results == [b"still serving\n"]
    assert server.handshake_seconds[0] < timeout + NETWORK_TIMEOUT
    return server.errors[0], server.handshake_seconds[0]


@pytest.mark.parametrize("scenario", sorted(CLIENT_ATTACKS))
def test_server_survives_hostile_client_like_stdlib(scenario, server_contexts, root_ca):
    attack, expected_class = CLIENT_ATTACKS[scenario]
    errors = {name: run_attack_on_server(context, attack, root_ca, SERVER_TIMEOUT)[0]
              for name, context in server_contexts.items()}
    swift_error = errors["swiftssl"]
    assert isinstance(swift_error, OSError), repr(swift_error)  # SSLError is an OSError too
    assert not isinstance(swift_error, TimeoutError), f"{scenario} needed the timeout: {swift_error!r}"
    assert type(errors["stdlib"]).__name__ == expected_class, repr(errors["stdlib"])
    assert type(swift_error).__name__ == expected_class, (repr(swift_error), repr(errors["stdlib"]))
    if isinstance(swift_error, swiftssl.SSLError) and expected_class == "SSLError":
        # Same OpenSSL underneath: the same diagnosis.
        assert (swift_error.library, swift_error.reason) == (errors["stdlib"].library, errors["stdlib"].reason)


@pytest.mark.parametrize("scenario", sorted(STALLING_CLIENTS))
def test_server_times_out_a_client_that_never_finishes_the_handshake(scenario, server_contexts, root_ca):
    for name, context in server_contexts.items():
        error, seconds = run_attack_on_server(context, STALLING_CLIENTS[scenario], root_ca, STALL_TIMEOUT)
        assert isinstance(error, TimeoutError), (name, repr(error))
        assert STALL_TIMEOUT * 0.5 <= seconds, (name, seconds)  # it did wait, then gave up


def test_server_keeps_serving_after_every_attack_in_a_row(server_contexts, root_ca):
    """One swiftssl server takes every attack in turn, each followed by a good client."""
    attacks = [attack for attack, _ in CLIENT_ATTACKS.values()]
    context = server_contexts["swiftssl"]

    def wrap(raw):
        raw.settimeout(SERVER_TIMEOUT)
        return context.wrap_socket(raw, server_side=True)

    with LoopbackServer(wrap, echo_upper_line, connections=2 * len(attacks)) as server:
        for index, attack in enumerate(attacks):
            raw = server.connect()
            try:
                attack(raw)
            finally:
                raw.close()
            good_client_round_trip(server, root_ca, b"after attack %d\n" % index)
        server.wait()
    assert len(server.errors) == len(attacks), server.errors
    assert all(isinstance(error, OSError) and not isinstance(error, TimeoutError)
               for error in server.errors), server.errors
    assert server.results == [b"after attack %d\n" % index for index in range(len(attacks))]


def run_injection_after_handshake_on_server(module_name, context, root_ca, payload):
    """A stdlib client completes a real handshake with the server under attack, then writes
    ``payload`` raw on the wire; the server is reading. Returns the server's error."""
    stdlib_client = ssl.create_default_context(cadata=root_ca.cert_pem.decode())

    def reading_handler(tls):
        try:
            return b"read %r" % tls.recv(100)
        except Exception as error:  # what the test examines
            return error

    def wrap(raw):
        raw.settimeout(SERVER_TIMEOUT)
        return context.wrap_socket(raw, server_side=True)

    with LoopbackServer(wrap, reading_handler, connections=2) as server:
        raw = server.connect()
        try:
            memory_handshake(raw, stdlib_client, server_side=False)
            send_ignoring_reset(raw, payload)
            drain_until_closed(raw)
        finally:
            raw.close()
        with swiftssl.create_default_context(cadata=root_ca.cert_pem.decode()).wrap_socket(
                server.connect(), server_hostname="localhost") as tls:
            tls.sendall(b"hello")
        server.wait()
    assert server.errors == [], (module_name, server.errors)
    assert server.results[-1] == b"read b'hello'", (module_name, server.results)
    return server.results[0]


AFTER_HANDSHAKE_PAYLOADS = {
    "random_bytes": (random_bytes(11, 300), "SSLError"),
    "huge_application_record": (record(APPLICATION_DATA, b"\x00" * HUGE_RECORD_LENGTH), "SSLError"),
    "forged_application_record": (record(APPLICATION_DATA, random_bytes(12, 64)), "SSLError"),
    # An EOF inside a record: suppress_ragged_eofs (the default) turns it into end of stream.
    "truncated_record": (record(APPLICATION_DATA, random_bytes(13, 64))[:30], "end of stream"),
    "plaintext_alert_storm": (record(ALERT, b"\x01\x5a") * 2000, "SSLError"),
}


@pytest.mark.parametrize("scenario", sorted(AFTER_HANDSHAKE_PAYLOADS))
def test_server_read_survives_hostile_records_after_handshake_like_stdlib(scenario, server_contexts, root_ca):
    payload, expected = AFTER_HANDSHAKE_PAYLOADS[scenario]
    results = {name: run_injection_after_handshake_on_server(name, context, root_ca, payload)
               for name, context in server_contexts.items()}
    outcomes = {name: "end of stream" if result == b"read b''" else type(result).__name__
                for name, result in results.items()}
    assert outcomes == {"swiftssl": expected, "stdlib": expected}, results


# --------------------------------------------------------------------------------------------
# Hostile servers: a swiftssl (or stdlib) client connects to a raw socket that misbehaves.
# --------------------------------------------------------------------------------------------

def server_hello_flight(hello: bytes, server_files) -> bytes:
    """What a real server answers to ``hello`` (stdlib SSLObject over memory)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_files)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    connection = context.wrap_bio(incoming, outgoing, server_side=True)
    incoming.write(hello)
    with pytest.raises(ssl.SSLWantReadError):
        connection.do_handshake()
    return outgoing.read()


def read_client_hello(raw) -> bytes:
    raw.settimeout(NETWORK_TIMEOUT)
    data = raw.recv(65536)
    # The hello is one record; wait for all of it.
    while len(data) < 5 or len(data) < 5 + struct.unpack("!H", data[3:5])[0]:
        chunk = raw.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def server_sends_garbage(seed):
    def attack(raw, server_files):
        read_client_hello(raw)
        send_ignoring_reset(raw, random_bytes(seed, 700))
        drain_until_closed(raw)
    return attack


def server_closes_at_once(raw, server_files):
    read_client_hello(raw)
    raw.shutdown(socket.SHUT_WR)
    drain_until_closed(raw)


def server_resets_at_once(raw, server_files):
    read_client_hello(raw)
    reset(raw)


def server_sends_truncated_server_hello(raw, server_files):
    flight = server_hello_flight(read_client_hello(raw), server_files)
    send_ignoring_reset(raw, flight[:len(flight) // 2])
    drain_until_closed(raw)


def server_sends_huge_record(raw, server_files):
    read_client_hello(raw)
    send_ignoring_reset(raw, record(HANDSHAKE, b"\x02" + b"\x00" * (HUGE_RECORD_LENGTH - 1)))
    drain_until_closed(raw)


def server_sends_alert_storm(raw, server_files):
    read_client_hello(raw)
    send_ignoring_reset(raw, record(ALERT, b"\x01\x5a") * 5000)
    drain_until_closed(raw)


def server_sends_application_data_first(raw, server_files):
    read_client_hello(raw)
    send_ignoring_reset(raw, record(APPLICATION_DATA, random_bytes(21, 48)))
    drain_until_closed(raw)


def server_speaks_http(raw, server_files):
    read_client_hello(raw)
    send_ignoring_reset(raw, b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    drain_until_closed(raw)


SERVER_ATTACKS = {
    "garbage_seed_1": (server_sends_garbage(1), "SSLError"),
    "garbage_seed_2": (server_sends_garbage(2), "SSLError"),
    "closes_at_once": (server_closes_at_once, "SSLEOFError"),
    "resets_at_once": (server_resets_at_once, "ConnectionResetError"),
    "truncated_server_hello": (server_sends_truncated_server_hello, "SSLEOFError"),
    "huge_record": (server_sends_huge_record, "SSLError"),
    "alert_storm": (server_sends_alert_storm, "SSLError"),
    "application_data_first": (server_sends_application_data_first, "SSLError"),
    "http_response": (server_speaks_http, "SSLError"),
}


def run_attack_on_client(module, attack, server_files, timeout=SERVER_TIMEOUT):
    with LoopbackServer(lambda raw: raw, lambda raw: attack(raw, server_files)) as server:
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = module.CERT_NONE
        started = time.monotonic()
        try:
            with context.wrap_socket(server.connect(timeout), server_hostname="localhost"):
                pass
        except Exception as error:  # what the test examines
            caught = error
        else:
            caught = None
        seconds = time.monotonic() - started
        server.wait()
    assert server.errors == []
    return caught, seconds


@pytest.mark.parametrize("scenario", sorted(SERVER_ATTACKS))
def test_client_survives_hostile_server_like_stdlib(scenario, server_files):
    attack, expected_class = SERVER_ATTACKS[scenario]
    errors = {name: run_attack_on_client(module, attack, server_files)[0] for name, module in MODULES.items()}
    assert type(errors["stdlib"]).__name__ == expected_class, repr(errors["stdlib"])
    assert type(errors["swiftssl"]).__name__ == expected_class, (repr(errors["swiftssl"]), repr(errors["stdlib"]))
    if expected_class == "SSLError":
        assert (errors["swiftssl"].library, errors["swiftssl"].reason) == \
            (errors["stdlib"].library, errors["stdlib"].reason)


def test_client_times_out_against_a_server_that_stalls_mid_handshake(server_files):
    """The server answers half its first flight, then says nothing and keeps the connection."""

    def stall(raw, files):
        flight = server_hello_flight(read_client_hello(raw), files)
        raw.sendall(flight[:len(flight) // 2])
        drain_until_closed(raw)

    for name, module in MODULES.items():
        error, seconds = run_attack_on_client(module, stall, server_files, timeout=STALL_TIMEOUT)
        assert isinstance(error, TimeoutError), (name, repr(error))
        assert seconds < STALL_TIMEOUT + NETWORK_TIMEOUT, (name, seconds)


def run_injection_after_handshake_on_client(module, server_files, root_ca, payload):
    """A stdlib server over memory completes a real handshake with the client under attack, then
    writes ``payload`` raw on the wire while the client reads."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(*server_files)

    def attack(raw):
        memory_handshake(raw, server_context, server_side=True)
        send_ignoring_reset(raw, payload)
        drain_until_closed(raw)

    with LoopbackServer(lambda raw: raw, attack) as server:
        context = module.create_default_context(cadata=root_ca.cert_pem.decode())
        with context.wrap_socket(server.connect(SERVER_TIMEOUT), server_hostname="localhost") as tls:
            try:
                while tls.recv(100):
                    pass
            except Exception as error:  # what the test examines
                outcome = error
            else:
                outcome = "end of stream"
        server.wait()
    assert server.errors == []
    return outcome


@pytest.mark.parametrize("scenario", sorted(AFTER_HANDSHAKE_PAYLOADS))
def test_client_read_survives_hostile_records_after_handshake_like_stdlib(scenario, server_files, root_ca):
    payload, expected = AFTER_HANDSHAKE_PAYLOADS[scenario]
    results = {name: run_injection_after_handshake_on_client(module, server_files, root_ca, payload)
               for name, module in MODULES.items()}
    outcomes = {name: result if isinstance(result, str) else type(result).__name__
                for name, result in results.items()}
    assert outcomes == {"swiftssl": expected, "stdlib": expected}, results


# --------------------------------------------------------------------------------------------
# The same hostile bytes through wrap_bio (no socket at all).
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(20))
def test_server_sslobject_rejects_random_bytes_like_stdlib(seed, server_contexts):
    outcomes = {}
    data = random_bytes(seed, 64 + seed * 50)
    if seed % 4 == 0:
        data = b"\x16\x03\x01" + data  # a plausible record header, then noise
    for name, context in server_contexts.items():
        module = MODULES[name]
        incoming, outgoing = module.MemoryBIO(), module.MemoryBIO()
        connection = context.wrap_bio(incoming, outgoing, server_side=True)
        incoming.write(data)
        incoming.write_eof()
        try:
            connection.do_handshake()
        except Exception as error:  # compared below
            outcomes[name] = type(error).__name__
        else:
            outcomes[name] = "completed"
    assert outcomes["swiftssl"] == outcomes["stdlib"]
    assert outcomes["swiftssl"] in ("SSLError", "SSLEOFError"), outcomes
