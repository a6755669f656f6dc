"""Hostile servers over loopback (DESIGN.md section 6; issue 4, item 2): the client under attack.

A server that sends garbage, hangs up or resets at once, truncates its ServerHello, sends an
oversized record, floods alerts, sends application data first, speaks HTTP or stalls mid-handshake
must cost a swiftssl client one exception within the socket's timeout, of the same class as
CPython's ``ssl`` client raises against the same server (both link the same OpenSSL 3); so must
hostile records after a real handshake. The servers under attack are in ``test_hostile_peers.py``,
the shared helpers in ``hostile_peers_support.py``. Certificates: ``conftest.py`` (made at test
time).
"""

import socket
import ssl
import struct
import time

import pytest

from hostile_peers_support import (AFTER_HANDSHAKE_PAYLOADS, ALERT, APPLICATION_DATA, HANDSHAKE,
                                   HUGE_RECORD_LENGTH, MODULES, SERVER_TIMEOUT, STALL_TIMEOUT,
                                   drain_until_closed, memory_handshake, random_bytes, record, reset,
                                   send_ignoring_reset)
from tls_support import NETWORK_TIMEOUT, LoopbackServer


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
