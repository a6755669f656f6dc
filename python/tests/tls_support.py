"""Test support: the one module tests import helpers from, and the stdlib oracle.

It re-exports the helpers of the support modules, grouped by concern:

- ``pki_support``: certificates and keys made at test time (``CertificateAuthority``,
  ``self_signed``, ``issue_with_openssl_cli``), with the provenance of every certificate the suite uses:
  generated in memory with pyca/cryptography, nothing committed to the repository;
- ``peer_support``: loopback servers, ``RecordPeer``, ``openssl s_server``/``s_client``
  subprocesses, and the ``recv_*`` helpers handlers use;
- ``memory_pair_support``: SSLObjects handshaken over MemoryBIOs.

It holds itself what compares with CPython's ``ssl``: the oracle for module-level
``wrap_socket``, errors described in stdlib-comparable terms, and the measuring helpers
(``elapsed``, strace).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import ssl
import subprocess
import time
import types

from memory_pair_support import MemoryPair, handshake_in_memory, memory_handshake, read_until_it_stops
from peer_support import (NETWORK_TIMEOUT, LoopbackServer, OpenSSLProcess, OpenSSLServer, RecordPeer,
                          echo_upper_line, recv_exactly, recv_line, recv_until_eof, run_s_client)
from pki_support import (CertificateAuthority, IssuedCertificate, cert_pem, general_name,
                         issue_with_openssl_cli, key_pem, new_private_key, self_signed)

__all__ = [
    # pki_support
    "CertificateAuthority", "IssuedCertificate", "cert_pem", "general_name", "issue_with_openssl_cli",
    "key_pem", "new_private_key", "self_signed",
    # peer_support
    "NETWORK_TIMEOUT", "LoopbackServer", "OpenSSLProcess", "OpenSSLServer", "RecordPeer", "echo_upper_line",
    "recv_exactly", "recv_line", "recv_until_eof", "run_s_client",
    # memory_pair_support
    "MemoryPair", "handshake_in_memory", "memory_handshake", "read_until_it_stops",
    # here
    "STDLIB_HAS_WRAP_SOCKET", "STRACE", "comparable", "describe_error", "elapsed", "outcome",
    "stdlib_oracle", "strace_usable", "without_location", "wrap_socket_as_in_python_311",
]


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
    test_legacy_wrap_socket_arguments.py checks it against the real one."""
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
# Measuring: time spent, system calls made
# --------------------------------------------------------------------------------------------

@contextlib.contextmanager
def elapsed():
    """``with elapsed() as clock: ...``; ``clock()`` is the seconds spent inside."""
    start = time.monotonic()
    end = []
    yield lambda: (end[0] if end else time.monotonic()) - start
    end.append(time.monotonic())


STRACE = shutil.which("strace")


def strace_usable() -> str | None:
    """None when strace can trace a child here, else why not (a skip reason)."""
    if STRACE is None:
        return "strace is not installed (apt-get install -y strace)"
    probe = subprocess.run([STRACE, "-f", "-o", os.devnull, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"strace cannot trace here (ptrace refused?): {probe.stderr.strip()[:200]}"
    return None


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
