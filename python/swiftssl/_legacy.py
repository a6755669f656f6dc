"""The App Engine / pre-3.12 module-level API: ``wrap_socket`` and ``match_hostname``.

Both were removed from CPython 3.12. swiftssl keeps them, with two improvements over CPython
3.11's versions: ``wrap_socket`` takes PEM content and file-like objects, reuses a content-keyed
context cache instead of building a context per call, and checks the server's hostname when it
verifies and a ``server_hostname`` is given.
"""

import warnings

from . import _swiftssl
from ._constants import CERT_NONE, PROTOCOL_TLS, PROTOCOL_TLS_CLIENT


def wrap_socket(sock, keyfile=None, certfile=None, server_side=False, cert_reqs=CERT_NONE,
                ssl_version=PROTOCOL_TLS, ca_certs=None, do_handshake_on_connect=True,
                suppress_ragged_eofs=True, ciphers=None, *, server_hostname=None, password=None):
    """Wraps a connected socket in TLS, App Engine style.

    ``certfile``, ``keyfile`` and ``ca_certs`` each take a path, PEM ``str``/``bytes`` content, or
    a file-like object whose ``read()`` returns the whole PEM. With ``cert_reqs`` other than
    ``CERT_NONE`` and no ``ca_certs``, the system trust store is used; with a ``server_hostname``
    the name is sent as SNI and, when verifying, checked against the certificate.
    """
    from ._context import SSLContext
    if server_side and not certfile:
        raise ValueError("certfile must be specified for server-side operations")
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if ssl_version is None:
        # CPython's SSLContext(None), with its warning.
        warnings.warn("ssl.SSLContext() without protocol argument is deprecated.",
                      category=DeprecationWarning, stacklevel=2)
        ssl_version = PROTOCOL_TLS
    if ssl_version == PROTOCOL_TLS_CLIENT:
        # The protocol's own setting, on: CERT_NONE is refused and a server_hostname required,
        # as CPython's wrap_socket refuses them.
        check_hostname = None
    else:
        check_hostname = bool(server_hostname) and not server_side and cert_reqs != CERT_NONE
    # Empty credentials and ciphers are skipped, as CPython's `if certfile:` & co. skip them.
    context = _swiftssl._legacy_context(
        SSLContext, server_side, ssl_version, cert_reqs, check_hostname, certfile or None,
        keyfile if certfile else None, password, ca_certs or None, ciphers or None)
    context._sni_callback = None
    return context.wrap_socket(
        sock=sock, server_side=server_side, do_handshake_on_connect=do_handshake_on_connect,
        suppress_ragged_eofs=suppress_ragged_eofs, server_hostname=server_hostname)


def match_hostname(cert, hostname):
    """Checks ``hostname`` against a ``getpeercert()`` dict with CPython 3.11's rules and messages.

    Raises ``CertificateError`` on a mismatch and ``ValueError`` for an empty certificate. A
    non-ASCII hostname is matched by its IDNA A-label.
    """
    if not cert:
        raise ValueError(
            "empty or no certificate, match_hostname needs a SSL socket or SSL context with "
            "either CERT_OPTIONAL or CERT_REQUIRED")
    if not isinstance(hostname, str):
        # CPython's words: its first use of the hostname is socket.inet_aton(hostname).
        kind = "None" if hostname is None else type(hostname).__name__
        raise TypeError(f"inet_aton() argument 1 must be str, not {kind}")
    _swiftssl._match_hostname(cert, hostname)
