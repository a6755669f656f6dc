"""The server side of swiftssl against the stdlib's: a swiftssl server (an SSLObject over
MemoryBIOs, or a non-blocking server SSLSocket over a socketpair) and a stdlib server with the
same settings, each facing a stdlib client SSLObject that the test drives through the same random
steps, give the same outcome at every step: return values, the plaintext each side received, the
bytes each side sent (as lengths: an RSA server key keeps both runs' records the same size), the
exceptions (class, errno, message without its location), what an SNI callback saw and what
reached sys.unraisablehook.

What is drawn: the server's verify_mode and the client's certificate (none, trusted, from an
unknown CA); TLS 1.2/1.3 caps on either side; ALPN lists on both sides; an sni_callback that returns
None, an alert number or something else, raises, or switches `ssl_object.context` to a context
with another certificate; post_handshake_auth on either side; session resumption; and the steps:
handshakes, data both ways (0..40000 bytes), unwraps on either side, verify_client_post_handshake,
bytes moved in pieces, a byte corrupted or an EOF in transit, garbage (an HTTP request, ...)
sent to the server. "server_details" compares version(), cipher()[0:2], selected_alpn_protocol(),
getpeercert() in both forms, server_hostname, session_reused, pending(), shared_ciphers() as a
set, get_channel_binding() (equal to the client's?) and what the client sees of the server.

Reads are "read until the next exception or b''", because a swiftssl read returns every complete
record at once where the stdlib's returns one (README, "Differences"). Deliberate differences are
forgiven only as KNOWN_DIFFERENCES describes them; each forgiven difference shows as a
Hypothesis event (--hypothesis-show-statistics).
The settings and steps are drawn as server_differential_steps.py defines them, the
conversations are in server_differential_conversations.py, and KNOWN_DIFFERENCES is in
server_differential_known_differences.py.
SERVER_EXAMPLES=2000 for a longer search (about 50 s per 1000 examples and test).
"""

import ssl as stdlib_ssl

import pytest
from hypothesis import event, given, settings

import differential_support
from differential_support import example_count
import swiftssl
from server_differential_conversations import MemoryServer, SocketServer
from server_differential_known_differences import DIVERGING, known_difference
from server_differential_steps import OPENINGS, SETUPS, SOCKET_STEPS, STEPS
from tls_support import CertificateAuthority


@pytest.fixture(scope="module")
def credentials(root_ca, tmp_path_factory):
    """Paths of the certificates and keys: RSA keys throughout, so that both runs' records have
    the same lengths (an ECDSA signature's length varies)."""
    directory = tmp_path_factory.mktemp("server-differential")
    unknown_ca = CertificateAuthority("swiftssl unknown root")
    issued = {"server": root_ca.issue("localhost", common_name="localhost", key_type="rsa"),
              "other": root_ca.issue("localhost", common_name="other.localhost", key_type="rsa"),
              "trusted": root_ca.issue("client.example", common_name="client.example", key_type="rsa"),
              "untrusted": unknown_ca.issue("client.example", common_name="client.example", key_type="rsa")}
    paths = {name: certificate.write(directory, name) for name, certificate in issued.items()}
    paths["root"] = root_ca.cert_pem.decode()
    return paths


def differences(where, ours, theirs):
    """The labels of the entries that explain `ours` != `theirs` (one step's outcomes); fails the test
    where none does. Connection details are compared probe by probe, so that an entry forgives
    only the probe it explains."""
    if ours == theirs:
        return set()
    if isinstance(ours, dict) and isinstance(theirs, dict) and ours.keys() == theirs.keys():
        return set().union(*(differences(f"details: {probe}", ours[probe], theirs[probe]) for probe in theirs))
    label = known_difference(where, ours, theirs)
    assert label, f"at {where}:\nswiftssl: {ours!r}\nstdlib:   {theirs!r}"
    event(f"known difference: {label}")
    return {label}


def compare(conversation_class, credentials, setup, steps, opening):
    ours = conversation_class(swiftssl, setup, credentials).run(steps, opening)
    theirs = conversation_class(stdlib_ssl, setup, credentials).run(steps, opening)
    for (where, our_outcome, our_callbacks), (their_where, their_outcome, their_callbacks) \
            in zip(ours[0], theirs[0]):
        assert where == their_where, f"only one server failed before {their_where}"
        differences(f"{where}, callbacks", our_callbacks, their_callbacks)
        if differences(where, our_outcome, their_outcome) & DIVERGING:
            return
    assert ours[1:] == theirs[1:], "the plaintext received differs"
    differential_support.report(*theirs)
    at_the_end = theirs[0][-1][1]
    event(f"server connected at the end: {isinstance(at_the_end, dict) and at_the_end['version'][1]}")


EXAMPLES = example_count("SERVER_EXAMPLES", 100)


@settings(max_examples=EXAMPLES, deadline=None)
@given(setup=SETUPS, steps=STEPS, opening=OPENINGS)
def test_memory_server_matches_the_stdlib(credentials, setup, steps, opening):
    compare(MemoryServer, credentials, setup, steps, opening)


@settings(max_examples=EXAMPLES, deadline=None)
@given(setup=SETUPS, steps=SOCKET_STEPS, opening=OPENINGS)
def test_socket_server_matches_the_stdlib(credentials, setup, steps, opening):
    compare(SocketServer, credentials, setup, steps, opening)
