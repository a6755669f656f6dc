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

This file attacks servers (hostile clients, then hostile bytes through ``wrap_bio``);
``test_hostile_peers_servers.py`` attacks clients; ``hostile_peers_support.py`` holds what both
use (records, wire helpers, the hostile records sent after a handshake).
"""

import socket
import ssl
import time

import pytest

import swiftssl
from hostile_peers_support import (AFTER_HANDSHAKE_PAYLOADS, ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC,
                                   HANDSHAKE, HUGE_RECORD_LENGTH, MODULES, SERVER_TIMEOUT, STALL_TIMEOUT,
                                   client_hello, drain_until_closed, memory_handshake, random_bytes,
                                   record, reset, send_ignoring_reset)
from tls_support import NETWORK_TIMEOUT, LoopbackServer, echo_upper_line


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

@pytest.mark.parametrize("scenario", sorted(AFTER_HANDSHAKE_PAYLOADS))
def test_server_read_survives_hostile_records_after_handshake_like_stdlib(scenario, server_contexts, root_ca):
    payload, expected = AFTER_HANDSHAKE_PAYLOADS[scenario]
    results = {name: run_injection_after_handshake_on_server(name, context, root_ca, payload)
               for name, context in server_contexts.items()}
    outcomes = {name: "end of stream" if result == b"read b''" else type(result).__name__
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
