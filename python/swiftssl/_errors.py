"""The exception hierarchy of CPython's ``ssl``, raised by swiftssl's native core.

Each class also derives from the matching class of CPython's own ``_ssl`` module, so code that
catches ``ssl.SSLError`` (asyncio, http.client, urllib3) catches swiftssl's errors too, whether or
not :func:`swiftssl.install` was called.
"""

import _ssl

__all__ = [
    "SSLError", "SSLZeroReturnError", "SSLWantReadError", "SSLWantWriteError",
    "SSLSyscallError", "SSLEOFError", "SSLCertVerificationError", "CertificateError",
]


class SSLError(_ssl.SSLError):
    """A TLS failure; ``library`` and ``reason`` name OpenSSL's diagnosis. As in CPython, they
    are set on errors OpenSSL reported (None where it named none) and absent on the few raised
    with a message alone ("No cipher can be selected.")."""


class SSLZeroReturnError(SSLError, _ssl.SSLZeroReturnError):
    """The peer closed the TLS session cleanly."""


class SSLWantReadError(SSLError, _ssl.SSLWantReadError):
    """A non-blocking operation needs more data from the peer."""


class SSLWantWriteError(SSLError, _ssl.SSLWantWriteError):
    """A non-blocking operation needs the socket to drain."""


class SSLSyscallError(SSLError, _ssl.SSLSyscallError):
    """An I/O error below TLS that OpenSSL could not classify."""


class SSLEOFError(SSLError, _ssl.SSLEOFError):
    """The transport ended without a TLS close_notify."""


class SSLCertVerificationError(SSLError, _ssl.SSLCertVerificationError):
    """The peer's certificate or hostname failed verification (also a ``ValueError``);
    ``verify_code`` and ``verify_message`` are set when OpenSSL's verification failed, absent
    on a ``match_hostname`` mismatch, as in CPython."""


CertificateError = SSLCertVerificationError
