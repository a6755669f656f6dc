"""Private names of CPython 3.11's ``ssl`` that tests and libraries reach for anyway:
``_inet_paton``, ``RAND_pseudo_bytes`` (deprecated), ``_OPENSSL_API_VERSION``,
``_RESTRICTED_SERVER_CIPHERS``, ``_SSLv2_IF_EXISTS``, ``_sslcopydoc``."""

import socket as _socket
import warnings as _warnings

from . import _swiftssl
from ._constants import OPENSSL_VERSION_INFO, _DEFAULT_CIPHERS

# The OpenSSL the core is built against: the system's, whose headers and library go together.
_OPENSSL_API_VERSION = OPENSSL_VERSION_INFO


def _inet_paton(ipname):
    """Packed binary form of an IPv4 (quad-dotted only) or IPv6 address; ValueError otherwise."""
    try:
        address = _socket.inet_aton(ipname)
    except OSError:
        pass
    else:
        if _socket.inet_ntoa(address) == ipname:
            return address
        raise ValueError(f"{ipname!r} is not a quad-dotted IPv4 address.")
    try:
        return _socket.inet_pton(_socket.AF_INET6, ipname)
    except OSError:
        raise ValueError(f"{ipname!r} is neither an IPv4 nor an IP6 address.") from None


def RAND_pseudo_bytes(n):
    """Deprecated: ``(RAND_bytes(n), True)``; OpenSSL 3's generator is always cryptographic."""
    _warnings.warn("ssl.RAND_pseudo_bytes() is deprecated", DeprecationWarning, stacklevel=2)
    return _swiftssl.RAND_bytes(n), _swiftssl.RAND_status() == 1


# CPython's cipher string for servers: ssl.py keeps it, unused since 3.10, as _DEFAULT_CIPHERS.
_RESTRICTED_SERVER_CIPHERS = _DEFAULT_CIPHERS

# PROTOCOL_SSLv2 where OpenSSL has it: never, with OpenSSL 3.
_SSLv2_IF_EXISTS = None


def _sslcopydoc(func):
    """Copies the docstring of the ``SSLObject`` method of the same name (as ssl.py does for
    SSLSocket's methods)."""
    from ._sslobject import SSLObject
    func.__doc__ = getattr(SSLObject, func.__name__).__doc__
    return func
