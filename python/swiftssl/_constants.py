"""Constants and enums with CPython 3.11's names and values."""

import enum as _enum
import types as _types

from . import _swiftssl


def _converted(base, name, prefix, **members):
    """The enum ssl.py makes with ``base._convert_`` over _ssl's integers named `prefix`...:
    members sorted by value, and whatever else the running release's ``_convert_`` gives."""
    return base._convert_(name, __name__, lambda member: member.startswith(prefix),
                          source=_types.SimpleNamespace(**members))


# Made the way ssl.py makes it (_convert_ over _ssl's integers).
_SSLMethod = _converted(_enum.IntEnum, "_SSLMethod", "PROTOCOL_",
    PROTOCOL_TLS=2, PROTOCOL_TLS_CLIENT=16, PROTOCOL_TLS_SERVER=17,
    PROTOCOL_TLSv1=3, PROTOCOL_TLSv1_1=4, PROTOCOL_TLSv1_2=5)


# PROTOCOL_SSLv23 is an alias of the PROTOCOL_TLS member, not a member of its own, as in CPython.
_SSLMethod.PROTOCOL_SSLv23 = _SSLMethod.PROTOCOL_TLS
PROTOCOL_SSLv23 = PROTOCOL_TLS = _SSLMethod.PROTOCOL_TLS
PROTOCOL_TLS_CLIENT = _SSLMethod.PROTOCOL_TLS_CLIENT
PROTOCOL_TLS_SERVER = _SSLMethod.PROTOCOL_TLS_SERVER
PROTOCOL_TLSv1 = _SSLMethod.PROTOCOL_TLSv1
PROTOCOL_TLSv1_1 = _SSLMethod.PROTOCOL_TLSv1_1
PROTOCOL_TLSv1_2 = _SSLMethod.PROTOCOL_TLSv1_2
_PROTOCOL_NAMES = {member: name for name, member in _SSLMethod.__members__.items()}


def get_protocol_name(protocol_code):
    """The ``PROTOCOL_*`` name of a protocol constant, or ``'<unknown>'``."""
    return _PROTOCOL_NAMES.get(protocol_code, "<unknown>")


# VerifyMode, VerifyFlags, AlertDescription and SSLErrorNumber too are made as ssl.py makes them
# (_convert_), so that each release's enum module makes them as it makes the stdlib's: 3.11.2's
# _convert_, for one, gives them a __reduce_ex__ by name that class statements do not get.
VerifyMode = _converted(_enum.IntEnum, "VerifyMode", "CERT_",
    CERT_NONE=0,
    CERT_OPTIONAL=1,
    CERT_REQUIRED=2,
)


CERT_NONE = VerifyMode.CERT_NONE
CERT_OPTIONAL = VerifyMode.CERT_OPTIONAL
CERT_REQUIRED = VerifyMode.CERT_REQUIRED


class TLSVersion(_enum.IntEnum):
    MINIMUM_SUPPORTED = -2
    SSLv3 = 0x0300
    TLSv1 = 0x0301
    TLSv1_1 = 0x0302
    TLSv1_2 = 0x0303
    TLSv1_3 = 0x0304
    MAXIMUM_SUPPORTED = -1


VerifyFlags = _converted(_enum.IntFlag, "VerifyFlags", "VERIFY_",
    VERIFY_DEFAULT=0,
    VERIFY_CRL_CHECK_LEAF=0x4,
    VERIFY_CRL_CHECK_CHAIN=0x4 | 0x8,
    VERIFY_X509_STRICT=0x20,
    VERIFY_ALLOW_PROXY_CERTS=0x40,
    VERIFY_X509_TRUSTED_FIRST=0x8000,
    VERIFY_X509_PARTIAL_CHAIN=0x80000,
)


globals().update(VerifyFlags.__members__)

# ``SSL_OP_*`` values of OpenSSL 3 under CPython's names, made the way ssl.py makes Options
# (IntFlag._convert_ over _ssl's integers, so members come sorted by value).
Options = _converted(_enum.IntFlag, "Options", "OP_",
    OP_ALL=0x80000050,
    OP_NO_SSLv2=0,
    OP_NO_SSLv3=0x2000000,
    OP_NO_TLSv1=0x4000000,
    OP_NO_TLSv1_1=0x10000000,
    OP_NO_TLSv1_2=0x8000000,
    OP_NO_TLSv1_3=0x20000000,
    OP_CIPHER_SERVER_PREFERENCE=0x400000,
    OP_SINGLE_DH_USE=0,
    OP_SINGLE_ECDH_USE=0,
    OP_NO_COMPRESSION=0x20000,
    OP_NO_TICKET=0x4000,
    OP_NO_RENEGOTIATION=0x40000000,
    OP_ENABLE_MIDDLEBOX_COMPAT=0x100000,
    OP_IGNORE_UNEXPECTED_EOF=0x80,
    # Named by CPython from 3.12 on; the bits exist in OpenSSL 3.0 whatever the interpreter.
    OP_LEGACY_SERVER_CONNECT=0x4,
    OP_ENABLE_KTLS=0x8,
)


globals().update(Options.__members__)


# TLS alert numbers, for ``sni_callback`` return values.
AlertDescription = _converted(_enum.IntEnum, "AlertDescription", "ALERT_DESCRIPTION_",
    ALERT_DESCRIPTION_CLOSE_NOTIFY=0,
    ALERT_DESCRIPTION_UNEXPECTED_MESSAGE=10,
    ALERT_DESCRIPTION_BAD_RECORD_MAC=20,
    ALERT_DESCRIPTION_RECORD_OVERFLOW=22,
    ALERT_DESCRIPTION_DECOMPRESSION_FAILURE=30,
    ALERT_DESCRIPTION_HANDSHAKE_FAILURE=40,
    ALERT_DESCRIPTION_BAD_CERTIFICATE=42,
    ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE=43,
    ALERT_DESCRIPTION_CERTIFICATE_REVOKED=44,
    ALERT_DESCRIPTION_CERTIFICATE_EXPIRED=45,
    ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN=46,
    ALERT_DESCRIPTION_ILLEGAL_PARAMETER=47,
    ALERT_DESCRIPTION_UNKNOWN_CA=48,
    ALERT_DESCRIPTION_ACCESS_DENIED=49,
    ALERT_DESCRIPTION_DECODE_ERROR=50,
    ALERT_DESCRIPTION_DECRYPT_ERROR=51,
    ALERT_DESCRIPTION_PROTOCOL_VERSION=70,
    ALERT_DESCRIPTION_INSUFFICIENT_SECURITY=71,
    ALERT_DESCRIPTION_INTERNAL_ERROR=80,
    ALERT_DESCRIPTION_USER_CANCELLED=90,
    ALERT_DESCRIPTION_NO_RENEGOTIATION=100,
    ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION=110,
    ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE=111,
    ALERT_DESCRIPTION_UNRECOGNIZED_NAME=112,
    ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE=113,
    ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE=114,
    ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY=115,
)


globals().update(AlertDescription.__members__)


# The first argument (errno) of SSLError and its subclasses.
SSLErrorNumber = _converted(_enum.IntEnum, "SSLErrorNumber", "SSL_ERROR_",
    SSL_ERROR_SSL=1,
    SSL_ERROR_WANT_READ=2,
    SSL_ERROR_WANT_WRITE=3,
    SSL_ERROR_WANT_X509_LOOKUP=4,
    SSL_ERROR_SYSCALL=5,
    SSL_ERROR_ZERO_RETURN=6,
    SSL_ERROR_WANT_CONNECT=7,
    SSL_ERROR_EOF=8,
    SSL_ERROR_INVALID_ERROR_CODE=10,
)


globals().update(SSLErrorNumber.__members__)

OPENSSL_VERSION, OPENSSL_VERSION_NUMBER, OPENSSL_VERSION_INFO = _swiftssl._openssl_version()

HAS_SNI = True
HAS_ECDH = True
HAS_ALPN = True
HAS_NPN = False
HAS_NEVER_CHECK_COMMON_NAME = True
HAS_SSLv2 = False
HAS_SSLv3 = False
HAS_TLSv1 = True
HAS_TLSv1_1 = True
HAS_TLSv1_2 = True
HAS_TLSv1_3 = True
# 3.13's TLS-PSK callbacks (set_psk_client_callback/set_psk_server_callback), on every version.
HAS_PSK = True
# 3.14's name: TLS 1.3 post-handshake authentication (post_handshake_auth and
# verify_client_post_handshake), on every version; 3.14's test_ssl and http.client read it.
HAS_PHA = True
CHANNEL_BINDING_TYPES = ["tls-unique"]

# The interpreter's own build choice (swiftssl._native): CPython's list on python.org builds,
# OpenSSL's "ALL:!COMPLEMENTOFDEFAULT:!eNULL" where it was built to use OpenSSL's defaults.
_DEFAULT_CIPHERS = _swiftssl._default_cipher_string()
