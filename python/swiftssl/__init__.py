"""swiftssl: CPython 3.11's ``ssl`` module, plus the App Engine extensions, over a Swift core.

Use it as ``import swiftssl as ssl``, or call :func:`install` so that ``import ssl`` anywhere
gives swiftssl. Certificates, keys and CAs may come from paths, PEM content or file-like objects;
content given in memory is never written to disk.

``import swiftssl`` is lazy: it loads neither the native core (and with it libssl), nor ``_ssl``,
``socket`` or the enums. The first use of any name (``swiftssl.SSLContext``,
``swiftssl.CERT_REQUIRED``, ``from swiftssl import *``, ...) loads all of it at once, and every
name is then an ordinary attribute holding the same object it always holds. :func:`load` does
that ahead of time (it is not exported by ``from swiftssl import *``, which gives the names of
``ssl`` and :func:`install`).
"""

import sys as _sys

__version__ = "0.1.0"

# Every public name, resolved on first use by __getattr__ below (PEP 562) from swiftssl._api.
# python/tests/test_import_cost.py checks that this list is exactly what _api provides.
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

# Private names of CPython's ssl (and swiftssl's submodules) that tests and libraries reach for,
# resolved the same way. A module of swiftssl._api's imports must not `from . import` any of
# them (that would load _api in the middle of its own import); `from ._x import y` is fine.
_LAZY_PRIVATE = frozenset((
    "_SSLMethod", "_PROTOCOL_NAMES", "_DEFAULT_CIPHERS", "_ASN1Object", "_txt2obj", "_nid2obj",
    "_TLSContentType", "_TLSAlertType", "_TLSMessageType", "_create_unverified_context",
    "_create_stdlib_context", "_create_default_https_context", "_inet_paton", "_OPENSSL_API_VERSION",
    "_errors", "_constants", "_purpose", "_tls_records", "_context", "_socket", "_sslobject",
    "_session", "_certificate_object", "_private_names", "_legacy", "_certificates",
))
_LAZY = frozenset(__all__).union(_LAZY_PRIVATE)

# Names CPython's ssl module has only because ssl.py imports them (`from socket import
# create_connection`, `import os`, `import _ssl`, ...), which libraries read from ssl all the same
# (gevent takes `ssl._ssl` and `ssl.create_connection`): name -> (module, attribute or None for
# the module itself), resolved on first use from where ssl.py takes them. Not provided:
# `_dnsname_match` and `_ipaddress_match`, match_hostname's helpers (hostname logic is the core's).
_BORROWED = {
    "socket": ("socket", "socket"), "create_connection": ("socket", "create_connection"),
    "SOCK_STREAM": ("socket", "SOCK_STREAM"), "SOL_SOCKET": ("socket", "SOL_SOCKET"),
    "SO_TYPE": ("socket", "SO_TYPE"), "_GLOBAL_DEFAULT_TIMEOUT": ("socket", "_GLOBAL_DEFAULT_TIMEOUT"),
    "errno": ("errno", None), "os": ("os", None), "sys": ("sys", None),
    "warnings": ("warnings", None), "base64": ("base64", None),
    "namedtuple": ("collections", "namedtuple"), "_Enum": ("enum", "Enum"),
    "_IntEnum": ("enum", "IntEnum"), "_IntFlag": ("enum", "IntFlag"),
    "_simple_enum": ("enum", "_simple_enum"),
    "_ssl": ("swiftssl._ssl", None), "_SSLContext": ("swiftssl._ssl", "_SSLContext"),
    "_RESTRICTED_SERVER_CIPHERS": ("swiftssl._private_names", "_RESTRICTED_SERVER_CIPHERS"),
    "_SSLv2_IF_EXISTS": ("swiftssl._private_names", "_SSLv2_IF_EXISTS"),
    "_sslcopydoc": ("swiftssl._private_names", "_sslcopydoc"),
}


def __getattr__(name):
    # Called only for names not (yet) in the module's namespace.
    if name == "_swiftssl":
        # The extension, for `from . import _swiftssl` in the submodules: loaded with the
        # exception classes registered, by swiftssl._native, which also sets the attribute.
        from . import _native
        return _native.extension
    if name in _BORROWED:
        import importlib
        module_name, attribute = _BORROWED[name]
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        globals()[name] = value
        return value
    if name in _LAZY:
        from . import _api
        exports = getattr(_api, "_EXPORTS", None)
        # None only in the thread that is running _api's own imports: the submodule is then
        # imported the ordinary way.
        if exports is not None:
            globals().update(exports)
            if name in globals():
                return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    # Not _BORROWED: they are there to be found, not swiftssl's API (nor `import *`'s).
    return sorted(set(globals()) - set(_BORROWED) | _LAZY | {"_swiftssl"})


def load():
    """Loads now what ``import swiftssl`` leaves for first use (the native core and OpenSSL,
    ``_ssl``, ``socket``, the enums), for a program that wants that cost paid at a moment of its
    choosing, such as start-up; the first use of any swiftssl name does the same."""
    __getattr__("SSLContext")


def install():
    """Makes ``import ssl`` resolve to swiftssl for everything imported afterwards.

    Modules that already imported ``ssl`` keep the stdlib module they hold.
    """
    _sys.modules["ssl"] = _sys.modules[__name__]
