# Type stubs for swiftssl's public API: CPython 3.11's `ssl` (modelled on typeshed's ssl.pyi)
# plus swiftssl's extensions (credentials from paths, PEM content or file-like objects, the
# module-level wrap_socket/match_hostname on every Python version, install()).
#
# One deliberate simplification: swiftssl's enums (VerifyMode, TLSVersion, Options, ...) are typed
# as the stdlib's own, and SSLContext/SSLSocket/SSLObject as subclasses of the stdlib's classes.
# At run time they are distinct classes with the same names and values (settings take any int),
# but typing them this way is what lets a swiftssl context type-check where the stdlib asks for
# an `ssl.SSLContext`: http.client, urllib.request, asyncio, smtplib. `isinstance(ctx,
# ssl.SSLContext)` is still False at run time.

import sys
import socket
import ssl as _stdlib_ssl
from _typeshed import ReadableBuffer, StrOrBytesPath
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, NamedTuple, Protocol, TypeAlias, final, overload
from typing_extensions import Self, deprecated

from ssl import (
    ALERT_DESCRIPTION_ACCESS_DENIED as ALERT_DESCRIPTION_ACCESS_DENIED,
    ALERT_DESCRIPTION_BAD_CERTIFICATE as ALERT_DESCRIPTION_BAD_CERTIFICATE,
    ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE as ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE,
    ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE as ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE,
    ALERT_DESCRIPTION_BAD_RECORD_MAC as ALERT_DESCRIPTION_BAD_RECORD_MAC,
    ALERT_DESCRIPTION_CERTIFICATE_EXPIRED as ALERT_DESCRIPTION_CERTIFICATE_EXPIRED,
    ALERT_DESCRIPTION_CERTIFICATE_REVOKED as ALERT_DESCRIPTION_CERTIFICATE_REVOKED,
    ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN as ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN,
    ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE as ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE,
    ALERT_DESCRIPTION_CLOSE_NOTIFY as ALERT_DESCRIPTION_CLOSE_NOTIFY,
    ALERT_DESCRIPTION_DECODE_ERROR as ALERT_DESCRIPTION_DECODE_ERROR,
    ALERT_DESCRIPTION_DECOMPRESSION_FAILURE as ALERT_DESCRIPTION_DECOMPRESSION_FAILURE,
    ALERT_DESCRIPTION_DECRYPT_ERROR as ALERT_DESCRIPTION_DECRYPT_ERROR,
    ALERT_DESCRIPTION_HANDSHAKE_FAILURE as ALERT_DESCRIPTION_HANDSHAKE_FAILURE,
    ALERT_DESCRIPTION_ILLEGAL_PARAMETER as ALERT_DESCRIPTION_ILLEGAL_PARAMETER,
    ALERT_DESCRIPTION_INSUFFICIENT_SECURITY as ALERT_DESCRIPTION_INSUFFICIENT_SECURITY,
    ALERT_DESCRIPTION_INTERNAL_ERROR as ALERT_DESCRIPTION_INTERNAL_ERROR,
    ALERT_DESCRIPTION_NO_RENEGOTIATION as ALERT_DESCRIPTION_NO_RENEGOTIATION,
    ALERT_DESCRIPTION_PROTOCOL_VERSION as ALERT_DESCRIPTION_PROTOCOL_VERSION,
    ALERT_DESCRIPTION_RECORD_OVERFLOW as ALERT_DESCRIPTION_RECORD_OVERFLOW,
    ALERT_DESCRIPTION_UNEXPECTED_MESSAGE as ALERT_DESCRIPTION_UNEXPECTED_MESSAGE,
    ALERT_DESCRIPTION_UNKNOWN_CA as ALERT_DESCRIPTION_UNKNOWN_CA,
    ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY as ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY,
    ALERT_DESCRIPTION_UNRECOGNIZED_NAME as ALERT_DESCRIPTION_UNRECOGNIZED_NAME,
    ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE as ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE,
    ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION as ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION,
    ALERT_DESCRIPTION_USER_CANCELLED as ALERT_DESCRIPTION_USER_CANCELLED,
    CERT_NONE as CERT_NONE,
    CERT_OPTIONAL as CERT_OPTIONAL,
    CERT_REQUIRED as CERT_REQUIRED,
    OP_ALL as OP_ALL,
    OP_CIPHER_SERVER_PREFERENCE as OP_CIPHER_SERVER_PREFERENCE,
    OP_ENABLE_MIDDLEBOX_COMPAT as OP_ENABLE_MIDDLEBOX_COMPAT,
    OP_IGNORE_UNEXPECTED_EOF as OP_IGNORE_UNEXPECTED_EOF,
    OP_NO_COMPRESSION as OP_NO_COMPRESSION,
    OP_NO_RENEGOTIATION as OP_NO_RENEGOTIATION,
    OP_NO_SSLv2 as OP_NO_SSLv2,
    OP_NO_SSLv3 as OP_NO_SSLv3,
    OP_NO_TICKET as OP_NO_TICKET,
    OP_NO_TLSv1 as OP_NO_TLSv1,
    OP_NO_TLSv1_1 as OP_NO_TLSv1_1,
    OP_NO_TLSv1_2 as OP_NO_TLSv1_2,
    OP_NO_TLSv1_3 as OP_NO_TLSv1_3,
    OP_SINGLE_DH_USE as OP_SINGLE_DH_USE,
    OP_SINGLE_ECDH_USE as OP_SINGLE_ECDH_USE,
    PROTOCOL_SSLv23 as PROTOCOL_SSLv23,
    PROTOCOL_TLS as PROTOCOL_TLS,
    PROTOCOL_TLS_CLIENT as PROTOCOL_TLS_CLIENT,
    PROTOCOL_TLS_SERVER as PROTOCOL_TLS_SERVER,
    PROTOCOL_TLSv1 as PROTOCOL_TLSv1,
    PROTOCOL_TLSv1_1 as PROTOCOL_TLSv1_1,
    PROTOCOL_TLSv1_2 as PROTOCOL_TLSv1_2,
    SSL_ERROR_EOF as SSL_ERROR_EOF,
    SSL_ERROR_INVALID_ERROR_CODE as SSL_ERROR_INVALID_ERROR_CODE,
    SSL_ERROR_SSL as SSL_ERROR_SSL,
    SSL_ERROR_SYSCALL as SSL_ERROR_SYSCALL,
    SSL_ERROR_WANT_CONNECT as SSL_ERROR_WANT_CONNECT,
    SSL_ERROR_WANT_READ as SSL_ERROR_WANT_READ,
    SSL_ERROR_WANT_WRITE as SSL_ERROR_WANT_WRITE,
    SSL_ERROR_WANT_X509_LOOKUP as SSL_ERROR_WANT_X509_LOOKUP,
    SSL_ERROR_ZERO_RETURN as SSL_ERROR_ZERO_RETURN,
    VERIFY_ALLOW_PROXY_CERTS as VERIFY_ALLOW_PROXY_CERTS,
    VERIFY_CRL_CHECK_CHAIN as VERIFY_CRL_CHECK_CHAIN,
    VERIFY_CRL_CHECK_LEAF as VERIFY_CRL_CHECK_LEAF,
    VERIFY_DEFAULT as VERIFY_DEFAULT,
    VERIFY_X509_PARTIAL_CHAIN as VERIFY_X509_PARTIAL_CHAIN,
    VERIFY_X509_STRICT as VERIFY_X509_STRICT,
    VERIFY_X509_TRUSTED_FIRST as VERIFY_X509_TRUSTED_FIRST,
    AlertDescription as AlertDescription,
    Options as Options,
    Purpose as Purpose,
    SSLErrorNumber as SSLErrorNumber,
    SSLSession as SSLSession,
    TLSVersion as TLSVersion,
    VerifyFlags as VerifyFlags,
    VerifyMode as VerifyMode,
    _ASN1Object as _ASN1Object,
    _SSLMethod as _SSLMethod,
)

from . import _swiftssl as _swiftssl

__version__: str

# What `from swiftssl import *` gives (the same list as the module's; stubtest compares them).
__all__ = [
    # exceptions
    "SSLError", "SSLZeroReturnError", "SSLWantReadError", "SSLWantWriteError", "SSLSyscallError",
    "SSLEOFError", "SSLCertVerificationError", "CertificateError", "socket_error",
    # contexts, connections, sessions
    "SSLContext", "create_default_context", "SSLSocket", "SSLObject", "MemoryBIO", "SSLSession",
    "Purpose",
    # module functions
    "wrap_socket", "match_hostname", "get_server_certificate", "DER_cert_to_PEM_cert",
    "PEM_cert_to_DER_cert", "cert_time_to_seconds", "get_default_verify_paths",
    "DefaultVerifyPaths", "PEM_HEADER", "PEM_FOOTER", "get_protocol_name", "RAND_bytes",
    "RAND_status", "RAND_add", "RAND_pseudo_bytes", "install",
    # enums
    "TLSVersion", "VerifyMode", "VerifyFlags", "Options", "AlertDescription", "SSLErrorNumber",
    # constants
    "PROTOCOL_SSLv23", "PROTOCOL_TLS", "PROTOCOL_TLS_CLIENT", "PROTOCOL_TLS_SERVER",
    "PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1", "PROTOCOL_TLSv1_2",
    "CERT_NONE", "CERT_OPTIONAL", "CERT_REQUIRED",
    "VERIFY_DEFAULT", "VERIFY_CRL_CHECK_LEAF", "VERIFY_CRL_CHECK_CHAIN", "VERIFY_X509_STRICT",
    "VERIFY_ALLOW_PROXY_CERTS", "VERIFY_X509_TRUSTED_FIRST", "VERIFY_X509_PARTIAL_CHAIN",
    "OP_ALL", "OP_NO_SSLv2", "OP_NO_SSLv3", "OP_NO_TLSv1", "OP_NO_TLSv1_1", "OP_NO_TLSv1_2",
    "OP_NO_TLSv1_3", "OP_CIPHER_SERVER_PREFERENCE", "OP_SINGLE_DH_USE", "OP_SINGLE_ECDH_USE",
    "OP_NO_COMPRESSION", "OP_NO_TICKET", "OP_NO_RENEGOTIATION", "OP_ENABLE_MIDDLEBOX_COMPAT",
    "OP_IGNORE_UNEXPECTED_EOF", "OP_LEGACY_SERVER_CONNECT", "OP_ENABLE_KTLS",
    "ALERT_DESCRIPTION_CLOSE_NOTIFY", "ALERT_DESCRIPTION_UNEXPECTED_MESSAGE",
    "ALERT_DESCRIPTION_BAD_RECORD_MAC", "ALERT_DESCRIPTION_RECORD_OVERFLOW",
    "ALERT_DESCRIPTION_DECOMPRESSION_FAILURE", "ALERT_DESCRIPTION_HANDSHAKE_FAILURE",
    "ALERT_DESCRIPTION_BAD_CERTIFICATE", "ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE",
    "ALERT_DESCRIPTION_CERTIFICATE_REVOKED", "ALERT_DESCRIPTION_CERTIFICATE_EXPIRED",
    "ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN", "ALERT_DESCRIPTION_ILLEGAL_PARAMETER",
    "ALERT_DESCRIPTION_UNKNOWN_CA", "ALERT_DESCRIPTION_ACCESS_DENIED",
    "ALERT_DESCRIPTION_DECODE_ERROR", "ALERT_DESCRIPTION_DECRYPT_ERROR",
    "ALERT_DESCRIPTION_PROTOCOL_VERSION", "ALERT_DESCRIPTION_INSUFFICIENT_SECURITY",
    "ALERT_DESCRIPTION_INTERNAL_ERROR", "ALERT_DESCRIPTION_USER_CANCELLED",
    "ALERT_DESCRIPTION_NO_RENEGOTIATION", "ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION",
    "ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE", "ALERT_DESCRIPTION_UNRECOGNIZED_NAME",
    "ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE", "ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE",
    "ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY",
    "SSL_ERROR_SSL", "SSL_ERROR_WANT_READ", "SSL_ERROR_WANT_WRITE", "SSL_ERROR_WANT_X509_LOOKUP",
    "SSL_ERROR_SYSCALL", "SSL_ERROR_ZERO_RETURN", "SSL_ERROR_WANT_CONNECT", "SSL_ERROR_EOF",
    "SSL_ERROR_INVALID_ERROR_CODE",
    "OPENSSL_VERSION", "OPENSSL_VERSION_INFO", "OPENSSL_VERSION_NUMBER",
    "HAS_SNI", "HAS_ECDH", "HAS_ALPN", "HAS_NPN", "HAS_NEVER_CHECK_COMMON_NAME", "HAS_SSLv2",
    "HAS_SSLv3", "HAS_TLSv1", "HAS_TLSv1_1", "HAS_TLSv1_2", "HAS_TLSv1_3", "HAS_PSK", "HAS_PHA",
    "CHANNEL_BINDING_TYPES",
]

# -- swiftssl's input types ----------------------------------------------------------------------

class _PEMReader(Protocol):
    """A file-like object: ``read()`` returns the whole PEM (str or bytes)."""

    def read(self) -> str | bytes: ...

# A certificate chain, key or CA bundle: a path (str, bytes, os.PathLike), PEM content (a str or
# bytes-like value containing "-----BEGIN"), or a file-like object. Content is never written to disk.
_CredentialSource: TypeAlias = StrOrBytesPath | ReadableBuffer | _PEMReader
_PasswordType: TypeAlias = Callable[[], str | bytes | bytearray] | str | bytes | bytearray
# getpeercert()'s dict: subject/issuer as nested tuples, times and serial as str.
_PeerCertificate: TypeAlias = Mapping[str, Any]

# -- constants -----------------------------------------------------------------------------------

# Named by CPython from 3.12 on; swiftssl has them on every version.
OP_LEGACY_SERVER_CONNECT: Final[Options]
OP_ENABLE_KTLS: Final[Options]

HAS_SNI: Final[bool]
HAS_ECDH: Final[bool]
HAS_ALPN: Final[bool]
HAS_NPN: Final[bool]
HAS_NEVER_CHECK_COMMON_NAME: Final[bool]
HAS_SSLv2: Final[bool]
HAS_SSLv3: Final[bool]
HAS_TLSv1: Final[bool]
HAS_TLSv1_1: Final[bool]
HAS_TLSv1_2: Final[bool]
HAS_TLSv1_3: Final[bool]
HAS_PSK: Final[bool]  # 3.13's name; True: the PSK callbacks exist on every version
HAS_PHA: Final[bool]  # 3.14's name; True: post-handshake authentication on every version
CHANNEL_BINDING_TYPES: Final[list[str]]
OPENSSL_VERSION: Final[str]
OPENSSL_VERSION_NUMBER: Final[int]
OPENSSL_VERSION_INFO: Final[tuple[int, int, int, int, int]]
PEM_HEADER: Final[str]
PEM_FOOTER: Final[str]
_DEFAULT_CIPHERS: Final[str]
_PROTOCOL_NAMES: Final[dict[int, str]]
socket_error = OSError

# -- exceptions: each also derives from the stdlib's class of the same name ----------------------

class SSLError(_stdlib_ssl.SSLError): ...
class SSLZeroReturnError(SSLError, _stdlib_ssl.SSLZeroReturnError): ...
class SSLWantReadError(SSLError, _stdlib_ssl.SSLWantReadError): ...
class SSLWantWriteError(SSLError, _stdlib_ssl.SSLWantWriteError): ...
class SSLSyscallError(SSLError, _stdlib_ssl.SSLSyscallError): ...
class SSLEOFError(SSLError, _stdlib_ssl.SSLEOFError): ...
class SSLCertVerificationError(SSLError, _stdlib_ssl.SSLCertVerificationError): ...

CertificateError = SSLCertVerificationError

# -- contexts, sockets, memory BIOs --------------------------------------------------------------

@final
class MemoryBIO:
    """swiftssl's in-memory byte queue; ``wrap_bio`` also accepts the stdlib's ``ssl.MemoryBIO``."""

    def __init__(self) -> None: ...
    @property
    def pending(self) -> int: ...
    @property
    def eof(self) -> bool: ...
    def read(self, size: int = -1, /) -> bytes: ...
    def write(self, b: ReadableBuffer, /) -> int: ...
    def write_eof(self) -> None: ...

class SSLContext(_stdlib_ssl.SSLContext):
    sslsocket_class: type[SSLSocket]
    sslobject_class: type[SSLObject]
    @overload
    def __new__(cls, protocol: int, *args: Any, **kwargs: Any) -> Self: ...
    @overload
    @deprecated("ssl.SSLContext() without protocol argument is deprecated.")
    def __new__(cls, protocol: None = None, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, protocol: int | None = None, *args: Any, **kwargs: Any) -> None: ...
    # swiftssl: 3.13's TLS-PSK callbacks, on every supported version.
    def set_psk_client_callback(self, callback: Callable[[str | None], tuple[str | None, bytes]] | None) -> None: ...
    def set_psk_server_callback(
        self, callback: Callable[[str | None], bytes] | None, identity_hint: str | None = None
    ) -> None: ...
    # swiftssl: certfile and keyfile may also be PEM content or file-like objects.
    def load_cert_chain(
        self, certfile: _CredentialSource, keyfile: _CredentialSource | None = None, password: _PasswordType | None = None
    ) -> None: ...
    # swiftssl: cafile may also be PEM content or a file-like object; cadata bytes may be PEM.
    def load_verify_locations(
        self,
        cafile: _CredentialSource | None = None,
        capath: StrOrBytesPath | None = None,
        cadata: str | ReadableBuffer | None = None,
    ) -> None: ...
    def load_default_certs(self, purpose: Purpose = ...) -> None: ...
    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None: ...
    def wrap_socket(
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: SSLSession | None = None,
    ) -> SSLSocket: ...
    def wrap_bio(
        self,
        incoming: MemoryBIO | _stdlib_ssl.MemoryBIO,
        outgoing: MemoryBIO | _stdlib_ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: SSLSession | None = None,
    ) -> SSLObject: ...

class SSLSocket(_stdlib_ssl.SSLSocket):
    context: SSLContext
    # Slots at runtime (the stdlib keeps them in the instance dict), set by wrap_socket.
    do_handshake_on_connect: bool
    suppress_ragged_eofs: bool
    def connect(self, addr: Any) -> None: ...
    def connect_ex(self, addr: Any) -> int: ...
    if sys.version_info >= (3, 13):
        # As in 3.13: DER certificates, leaf first ([] before a handshake).
        def get_verified_chain(self) -> list[bytes]: ...
        def get_unverified_chain(self) -> list[bytes]: ...
    def accept(self) -> tuple[SSLSocket, Any]: ...

class SSLObject(_stdlib_ssl.SSLObject):
    context: SSLContext
    if sys.version_info >= (3, 13):
        def get_verified_chain(self) -> list[bytes]: ...
        def get_unverified_chain(self) -> list[bytes]: ...

# -- functions -----------------------------------------------------------------------------------

def create_default_context(
    purpose: Purpose = ...,
    *,
    cafile: _CredentialSource | None = None,
    capath: StrOrBytesPath | None = None,
    cadata: str | ReadableBuffer | None = None,
) -> SSLContext: ...
def _create_unverified_context(
    protocol: int | None = None,
    *,
    cert_reqs: int | None = ...,
    check_hostname: bool = False,
    purpose: Purpose = ...,
    certfile: _CredentialSource | None = None,
    keyfile: _CredentialSource | None = None,
    cafile: _CredentialSource | None = None,
    capath: StrOrBytesPath | None = None,
    cadata: str | ReadableBuffer | None = None,
) -> SSLContext: ...

_create_stdlib_context = _create_unverified_context

# PEP 493: verified unless PYTHONHTTPSVERIFY=0 (read on each call).
def _create_default_https_context(*args: Any, **kwargs: Any) -> SSLContext: ...

# The App Engine / pre-3.12 API, kept on every Python version (no deprecation warning).
def wrap_socket(
    sock: socket.socket,
    keyfile: _CredentialSource | None = None,
    certfile: _CredentialSource | None = None,
    server_side: bool = False,
    cert_reqs: int = ...,
    ssl_version: int = ...,
    ca_certs: _CredentialSource | None = None,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
    ciphers: str | None = None,
    *,
    server_hostname: str | bytes | None = None,
    password: _PasswordType | None = None,
) -> SSLSocket: ...

# Accepts getpeercert()'s result as is: None or {} raise ValueError at run time.
def match_hostname(cert: _PeerCertificate | None, hostname: str) -> None: ...
def get_server_certificate(
    addr: tuple[str, int], ssl_version: int = ..., ca_certs: StrOrBytesPath | None = None, timeout: float | None = ...
) -> str: ...
def cert_time_to_seconds(cert_time: str) -> int: ...
def get_protocol_name(protocol_code: int) -> str: ...
def DER_cert_to_PEM_cert(der_cert_bytes: ReadableBuffer) -> str: ...
def PEM_cert_to_DER_cert(pem_cert_string: str) -> bytes: ...

class DefaultVerifyPaths(NamedTuple):
    cafile: str | None
    capath: str | None
    openssl_cafile_env: str
    openssl_cafile: str
    openssl_capath_env: str
    openssl_capath: str

def get_default_verify_paths() -> DefaultVerifyPaths: ...
def RAND_bytes(n: int, /) -> bytes: ...
def RAND_status() -> bool: ...
def RAND_add(string: str | ReadableBuffer, entropy: float, /) -> None: ...
@deprecated("ssl.RAND_pseudo_bytes() is deprecated")
def RAND_pseudo_bytes(n: int) -> tuple[bytes, bool]: ...

# Makes `import ssl` resolve to swiftssl for modules imported afterwards.
def install() -> None: ...

# Loads now what `import swiftssl` leaves for the first use of a name (the native core, OpenSSL,
# _ssl, socket, the enums).
def load() -> None: ...
