"""Shared by the differential tests (test_sslobject_differential.py, test_sslsocket_differential.py):
the steps a random conversation is made of, the contexts, and how outcomes are compared."""

import os
import re
import ssl as stdlib_ssl
import sys

from hypothesis import strategies as st

import swiftssl

def example_count(variable: str, default: int) -> int:
    """How many examples a differential test draws: `variable` when the environment sets it
    (scripts/test does on 3.12 and 3.13), else `default` times SWIFTSSL_EXAMPLES_SCALE (1 unless
    set; scripts/explore sets it)."""
    if variable in os.environ:
        return int(os.environ[variable])
    return default * int(os.environ.get("SWIFTSSL_EXAMPLES_SCALE", 1))


# Steps both conversations know. Data moving both ways is drawn three times as often as what
# ends or breaks the connection.
MOVES = [
    st.tuples(st.just("client_sends"), st.integers(min_value=0, max_value=40_000)),
    st.just(("client_read",)),
    st.just(("to_server",)),
    st.tuples(st.just("server_write"), st.integers(min_value=1, max_value=40_000)),
    st.tuples(st.just("server_sends"), st.integers(min_value=1, max_value=40_000)),
    st.tuples(st.just("to_client"), st.integers(min_value=1, max_value=70_000)),
]
ENDINGS = [
    st.just(("client_handshake",)),
    st.just(("client_unwrap",)),
    st.just(("server_unwrap",)),
    st.tuples(st.just("corrupt"), st.integers(min_value=0, max_value=2_000)),
]
# The client and server handshake, then the server's session tickets reach the client.
HANDSHAKE = [("client_handshake",), ("to_server",), ("to_client", 1 << 20), ("client_handshake",),
             ("to_server",), ("to_client", 1 << 20)]


def steps(moves=(), endings=()):
    """Lists of 3 to 16 steps: the shared ones plus a conversation's own."""
    return st.lists(st.one_of(*((MOVES + list(moves)) * 3), *ENDINGS, *endings), min_size=3, max_size=16)


def contexts(root_ca, directory, version):
    """A stdlib server context capped at `version` ("TLSv1.3", "TLSv1.2") and a client context
    of each library trusting `root_ca`, as (server, {module: client})."""
    # An RSA key: its signatures have one length, so both runs' records line up byte for byte
    # (an ECDSA signature's DER length varies, which would move every later byte by one).
    server_cert = root_ca.issue("localhost", common_name="localhost", key_type="rsa")
    certificate_path, key_path = server_cert.write(directory, "server")
    server = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certificate_path, key_path)
    server.maximum_version = getattr(stdlib_ssl.TLSVersion, version.replace(".", "_"))
    clients = {module: module.create_default_context(cadata=root_ca.cert_pem.decode())
               for module in (swiftssl, stdlib_ssl)}
    return server, clients


class Index:
    """An integer only by __index__: CPython's "i" and "l" arguments take it, "k" does not."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value

    def __repr__(self):
        return f"Index({self.value})"


def described(error):
    """Class, errno and message, without where it was raised: CPython says "(_ssl.c:1006)" or
    "_ssl.c:989: " where swiftssl says "(swiftssl)" or nothing (README, "Differences")."""
    message = re.sub(r" \((_ssl\.c:\d+|swiftssl)\)|^_ssl\.c:\d+: ", "", str(error))
    result = (type(error).__name__, getattr(error, "errno", None), message)
    if sys.version_info >= (3, 13) and result == SYSCALL_ERROR_OF_311:
        # An SSLObject used after a fatal error: 3.11 and 3.12 say this, 3.13 says EOF.
        # swiftssl keeps 3.11's answer on every version (test_errors.py pins it).
        return EOF_ERROR_OF_313
    return result


SYSCALL_ERROR_OF_311 = ("SSLSyscallError", 5, "Some I/O error occurred")
EOF_ERROR_OF_313 = ("SSLEOFError", 8, "EOF occurred in violation of protocol")


def errors_in(outcome):
    """The described exceptions inside a step's (possibly nested) outcome, want-read left out."""
    if isinstance(outcome, (tuple, list)):
        if len(outcome) == 3 and isinstance(outcome[0], str) and outcome[0].startswith("SSL"):
            if outcome[0] != "SSLWantReadError":
                yield outcome
            return
        for part in outcome:
            yield from errors_in(part)


def report(outcomes, client_got, server_got):
    """Hypothesis events: how far the conversations went, which exceptions they met."""
    from hypothesis import event

    event(f"client read data: {bool(client_got)}; server read data: {bool(server_got)}")
    for error in errors_in(outcomes):
        event(f"raised {error[0]}: {error[2][:40]}")
