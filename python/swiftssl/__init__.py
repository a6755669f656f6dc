"""swiftssl: CPython 3.11's ``ssl`` module, plus the App Engine extensions, over a Swift core.

Use it as ``import swiftssl as ssl``, or call :func:`install` so that ``import ssl`` anywhere
gives swiftssl. Certificates, keys and CAs may come from paths, PEM content or file-like objects;
content given in memory is never written to disk.
"""

import sys as _sys

from . import _swiftssl
from ._errors import (
    SSLError, SSLZeroReturnError, SSLWantReadError, SSLWantWriteError, SSLSyscallError,
    SSLEOFError, SSLCertVerificationError, CertificateError,
)
from ._constants import *  # noqa: F401,F403 - the constant names are the public API
from ._constants import (
    _SSLMethod, _PROTOCOL_NAMES, _DEFAULT_CIPHERS, get_protocol_name, OPENSSL_VERSION, OPENSSL_VERSION_INFO,
    OPENSSL_VERSION_NUMBER,
)
from ._purpose import Purpose, _ASN1Object, _txt2obj, _nid2obj
from ._tls_records import _TLSContentType, _TLSAlertType, _TLSMessageType
from ._context import (
    SSLContext, create_default_context, _create_unverified_context, _create_stdlib_context,
    _create_default_https_context,
)
from ._socket import SSLSocket, SSLObject
from ._session import SSLSession
from . import _certificate_object  # noqa: F401 - registers the Certificate class with the core
from ._private_names import _inet_paton, RAND_pseudo_bytes, _OPENSSL_API_VERSION
from ._legacy import wrap_socket, match_hostname
from ._certificates import (
    DER_cert_to_PEM_cert, PEM_cert_to_DER_cert, cert_time_to_seconds, get_server_certificate,
    get_default_verify_paths, DefaultVerifyPaths, PEM_HEADER, PEM_FOOTER,
)

__version__ = "0.1.0"

SSLContext.sslsocket_class = SSLSocket
SSLContext.sslobject_class = SSLObject



class MemoryBIO(_swiftssl.MemoryBIO):
    """An in-memory byte queue for ``SSLContext.wrap_bio``."""

    @property
    def pending(self):
        return self._pending()

    @property
    def eof(self):
        return self._eof()

RAND_bytes = _swiftssl.RAND_bytes
RAND_status = _swiftssl.RAND_status
RAND_add = _swiftssl.RAND_add
socket_error = OSError

_swiftssl._register_exceptions(
    SSLError, SSLZeroReturnError, SSLWantReadError, SSLWantWriteError, SSLSyscallError,
    SSLEOFError, SSLCertVerificationError)


def install():
    """Makes ``import ssl`` resolve to swiftssl for everything imported afterwards.

    Modules that already imported ``ssl`` keep the stdlib module they hold.
    """
    _sys.modules["ssl"] = _sys.modules[__name__]
