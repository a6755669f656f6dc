"""Everything ``swiftssl`` exports, assembled the first time one of its names is used.

``swiftssl/__init__.py`` imports nothing heavy: its ``__getattr__`` imports this module when a
name such as ``SSLContext`` or ``CERT_REQUIRED`` is first asked for, then copies ``_EXPORTS`` into
the package's namespace, so that later lookups are plain attribute reads of the same objects.
Concurrent first uses wait on this module's import lock. The order below is the order the
submodules need: the extension (through ``_native``, with the exception classes registered)
before any module that calls it at import time.
"""

# Through _native, not `from . import _swiftssl`: even if someone imported swiftssl._swiftssl
# directly before (which sets the attribute without registering anything), the exception classes
# are registered before the modules below call the extension.
from ._native import extension as _swiftssl
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
from ._socket import SSLSocket
from ._sslobject import SSLObject
from ._session import SSLSession
from . import _certificate_object  # noqa: F401 - registers the Certificate class with the core
from ._private_names import _inet_paton, RAND_pseudo_bytes, _OPENSSL_API_VERSION
from ._legacy import wrap_socket, match_hostname
from ._certificates import (
    DER_cert_to_PEM_cert, PEM_cert_to_DER_cert, cert_time_to_seconds, get_server_certificate,
    get_default_verify_paths, DefaultVerifyPaths, PEM_HEADER, PEM_FOOTER,
)

SSLContext.sslsocket_class = SSLSocket
SSLContext.sslobject_class = SSLObject


class MemoryBIO(_swiftssl.MemoryBIO):
    """An in-memory byte queue for ``SSLContext.wrap_bio``."""

    __module__ = __package__  # it is swiftssl.MemoryBIO

    def __init_subclass__(cls, **kwargs):
        # Final, as CPython's: connections move bytes through the native buffer directly, so a
        # subclass's read() or write() would never be called.
        raise TypeError("type 'MemoryBIO' is not an acceptable base type")

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

# What the package gets: every name above (the submodules themselves become attributes of the
# package as they are imported). Assigned last: its presence means this module is complete.
_EXPORTS = {name: value for name, value in globals().items()
            if not (name.startswith("__") and name.endswith("__"))}
