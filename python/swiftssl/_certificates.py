"""Certificate helpers of CPython's ``ssl``: PEM/DER conversion, time parsing, verify paths."""

import base64 as _base64
import os as _os
import socket as _socket
from collections import namedtuple as _namedtuple

from ._constants import PROTOCOL_TLS_CLIENT as _PROTOCOL_TLS_CLIENT

PEM_HEADER = "-----BEGIN CERTIFICATE-----"
PEM_FOOTER = "-----END CERTIFICATE-----"

DefaultVerifyPaths = _namedtuple(
    "DefaultVerifyPaths",
    "cafile capath openssl_cafile_env openssl_cafile openssl_capath_env openssl_capath")


def DER_cert_to_PEM_cert(der_cert_bytes):
    """PEM text for a DER certificate, 64 base64 characters a line."""
    encoded = _base64.standard_b64encode(der_cert_bytes).decode("ascii")
    lines = [encoded[index:index + 64] for index in range(0, len(encoded), 64)]
    # As ssl.py joins them: no empty line between the armour lines when there is no data.
    return "\n".join([PEM_HEADER, *lines, PEM_FOOTER + "\n"])


def PEM_cert_to_DER_cert(pem_cert_string):
    """DER bytes of a PEM certificate; ValueError without the armour."""
    if not pem_cert_string.startswith(PEM_HEADER):
        raise ValueError(f"Invalid PEM encoding; must start with {PEM_HEADER}")
    if not pem_cert_string.strip().endswith(PEM_FOOTER):
        raise ValueError(f"Invalid PEM encoding; must end with {PEM_FOOTER}")
    body = pem_cert_string.strip()[len(PEM_HEADER):-len(PEM_FOOTER)]
    return _base64.decodebytes(body.encode("ASCII", "strict"))


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def cert_time_to_seconds(cert_time):
    """Seconds since the epoch for a time like ``"May  9 00:00:00 2007 GMT"``."""
    from calendar import timegm
    from time import strptime
    try:
        month_number = _MONTHS.index(cert_time[:3].title()) + 1
    except ValueError:
        raise ValueError(f'time data {cert_time!r} does not match format "%b %d %H:%M:%S %Y GMT"')
    parsed = strptime(cert_time[3:], " %d %H:%M:%S %Y GMT")
    return timegm((parsed[0], month_number) + parsed[2:6])


def get_default_verify_paths():
    """Where OpenSSL looks for trusted CAs by default (Debian's layout unless overridden)."""
    openssl_dir = "/usr/lib/ssl"
    cafile_env, capath_env = "SSL_CERT_FILE", "SSL_CERT_DIR"
    openssl_cafile = _os.path.join(openssl_dir, "cert.pem")
    openssl_capath = _os.path.join(openssl_dir, "certs")
    cafile = _os.environ.get(cafile_env, openssl_cafile)
    capath = _os.environ.get(capath_env, openssl_capath)
    return DefaultVerifyPaths(
        cafile if _os.path.isfile(cafile) else None, capath if _os.path.isdir(capath) else None,
        cafile_env, openssl_cafile, capath_env, openssl_capath)


def get_server_certificate(addr, ssl_version=_PROTOCOL_TLS_CLIENT, ca_certs=None,
                           timeout=_socket._GLOBAL_DEFAULT_TIMEOUT):
    """The PEM certificate of the server at ``addr`` (verified when ``ca_certs`` is given).

    As CPython's: ``timeout`` is the socket's (by default the global default timeout; None
    blocks)."""
    from ._context import _create_stdlib_context
    from ._constants import CERT_NONE, CERT_REQUIRED
    host, port = addr
    cert_reqs = CERT_REQUIRED if ca_certs is not None else CERT_NONE
    context = _create_stdlib_context(ssl_version, cert_reqs=cert_reqs, cafile=ca_certs)
    with _socket.create_connection(addr, timeout=timeout) as sock:
        with context.wrap_socket(sock, server_hostname=host) as sslsock:
            der = sslsock.getpeercert(True)
    return DER_cert_to_PEM_cert(der)
