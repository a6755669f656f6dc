"""SSLContext: CPython 3.11's public surface over the native ``_SSLContext``."""

import os
import sys
import warnings

from ._context_base import _SSLContext, _naming_the_file
from ._purpose import Purpose, _ASN1Object
from ._socket_connection import _SocketConnection, _MemoryConnection
from ._constants import (
    PROTOCOL_TLS, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER, CERT_NONE, CERT_REQUIRED,
    Options, TLSVersion, VerifyFlags, VerifyMode, _SSLMethod,
)


def _encode_hostname(hostname):
    """A server_hostname as the ASCII the core sends: U-labels go to A-labels via IDNA. A NUL
    passes, as in ssl.py: the connection refuses it (TypeError) when it is made, at wrap time or
    at connect() for a socket not yet connected."""
    if hostname is None:
        return None
    if isinstance(hostname, str):
        return hostname.encode("idna").decode("ascii")
    return hostname.decode("ascii")


class SSLContext(_SSLContext):
    """A set of TLS settings, certificates and trust shared by many connections.

    Beyond CPython: ``load_cert_chain`` and ``load_verify_locations`` also accept PEM content and
    file-like objects (see the README).
    """

    sslsocket_class = None  # set by swiftssl/_api.py
    sslobject_class = None

    def __new__(cls, protocol=None, *args, **kwargs):
        if protocol is None:
            warnings.warn(
                "ssl.SSLContext() without protocol argument is deprecated.",
                category=DeprecationWarning, stacklevel=2)
            protocol = PROTOCOL_TLS
        return super().__new__(cls, protocol)

    def __init__(self, protocol=None, *args, **kwargs):
        # Takes (and ignores) __new__'s arguments, as ssl.SSLContext's; the callback attributes
        # start as the class-level defaults above.
        pass

    def __reduce__(self):
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    # -- connections ----------------------------------------------------------------------
    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    suppress_ragged_eofs=True, server_hostname=None, session=None):
        return self.sslsocket_class._create(
            sock=sock, server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            server_hostname=server_hostname, context=self, session=session)

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None, session=None):
        return self.sslobject_class._create(
            incoming, outgoing, server_side=server_side,
            server_hostname=_encode_hostname(server_hostname), session=session, context=self)

    def _encode_hostname(self, hostname):
        """ssl.py's helper: a server_hostname as ASCII (U-labels to A-labels), None as None."""
        return _encode_hostname(hostname)

    def _wrap_bio(self, incoming, outgoing, server_side, server_hostname=None, *, owner=None,
                  session=None):
        """CPython's ``_SSLContext._wrap_bio``: the bare TLS connection over two MemoryBIOs (an
        ``_ssl._SSLSocket``), for code that drives it itself (``wrap_bio`` makes an SSLObject).
        `server_hostname` is taken as CPython's: an ASCII str (A-labels) or None."""
        return _MemoryConnection(self, incoming, outgoing, server_side, server_hostname, owner, session)

    def _wrap_socket(self, sock, server_side, server_hostname=None, *, owner=None, session=None):
        """CPython's ``_SSLContext._wrap_socket``: the bare TLS connection over `sock` (an
        ``_ssl._SSLSocket``), for socket classes of their own (gevent's)."""
        return _SocketConnection(self, sock, server_side, server_hostname, owner, session)

    # -- credentials ----------------------------------------------------------------------
    def load_cert_chain(self, certfile, keyfile=None, password=None):
        """Loads the chain to present and its key from paths, PEM content, or file-like objects."""
        self._load_cert_chain(certfile, keyfile, password)

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        """Trusts the CAs in ``cafile`` (path, PEM content or file-like), ``capath``, ``cadata``."""
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        self._load_verify_locations(cafile, capath, cadata)

    def set_alpn_protocols(self, alpn_protocols):
        """Offers (client) or accepts (server) these application protocols, preferred first."""
        self._set_alpn_protocols(list(alpn_protocols))

    def set_npn_protocols(self, npn_protocols):
        import warnings
        warnings.warn("ssl NPN is deprecated, use ALPN instead", DeprecationWarning, stacklevel=2)

    def load_default_certs(self, purpose=Purpose.SERVER_AUTH):
        if not isinstance(purpose, _ASN1Object):
            raise TypeError(purpose)
        self.set_default_verify_paths()

    def set_ecdh_curve(self, name):
        """Restricts ECDHE key exchange to the named curve (``"prime256v1"``, ``"X25519"``...)."""
        try:
            self._set_ecdh_curve(os.fsdecode(name))
        except ValueError as error:
            if not str(error).startswith("unknown elliptic curve name"):
                raise
            # CPython shows the name as given: b'bogus' for bytes.
            raise ValueError(f"unknown elliptic curve name {name!r}") from None

    def load_dh_params(self, path):
        """Loads Diffie-Hellman parameters (PEM) for DHE cipher suites from ``path``."""
        with _naming_the_file(path):
            self._load_dh_params(os.fsdecode(path))

    def get_ca_certs(self, binary_form=False):
        return self._get_ca_certs(binary_form)

    # -- ssl.py's layer over _SSLContext's (_context_base.py) --------------------------------
    @property
    def protocol(self):
        return _SSLMethod(super().protocol)

    @property
    def verify_mode(self):
        return VerifyMode(super().verify_mode)

    @verify_mode.setter
    def verify_mode(self, value):
        _SSLContext.verify_mode.__set__(self, value)

    @property
    def verify_flags(self):
        return VerifyFlags(super().verify_flags)

    @verify_flags.setter
    def verify_flags(self, value):
        _SSLContext.verify_flags.__set__(self, value)

    @property
    def options(self):
        return Options(super().options)

    @options.setter
    def options(self, value):
        _SSLContext.options.__set__(self, value)

    @property
    def minimum_version(self):
        return TLSVersion(super().minimum_version)

    @minimum_version.setter
    def minimum_version(self, value):
        if value == TLSVersion.SSLv3:
            # As ssl.py does, even where the assignment then fails.
            self.options &= ~Options.OP_NO_SSLv3
        _SSLContext.minimum_version.__set__(self, value)

    @property
    def maximum_version(self):
        return TLSVersion(super().maximum_version)

    @maximum_version.setter
    def maximum_version(self, value):
        _SSLContext.maximum_version.__set__(self, value)

    @property
    def _msg_callback(self):
        """A debugging hook called with every TLS protocol message (private, as in CPython)."""
        inner = super()._msg_callback
        return getattr(inner, "user_function", inner)

    @_msg_callback.setter
    def _msg_callback(self, callback):
        if callback is None:
            _SSLContext._msg_callback.__set__(self, None)
            return
        if not callable(callback):
            raise TypeError(f"{callback} is not callable.")
        inner = _message_callback_adapter(callback)
        inner.user_function = callback
        _SSLContext._msg_callback.__set__(self, inner)

    def set_psk_client_callback(self, callback):
        """TLS-PSK on the client side (CPython 3.13's, on every version): ``callback(hint)``
        returns ``(identity, psk)``; None removes it."""
        self._set_psk_client_callback(callback)
        self._psk_client_callback = callback

    def set_psk_server_callback(self, callback, identity_hint=None):
        """TLS-PSK on the server side (CPython 3.13's, on every version): ``callback(identity)``
        returns the psk bytes; ``identity_hint`` goes to TLS 1.2 clients; None removes it."""
        self._set_psk_server_callback(callback, identity_hint)
        self._psk_server_callback = callback

    def set_servername_callback(self, server_name_callback):
        """The older form of ``sni_callback``: the callback gets the name through
        ``_encode_hostname``, as ssl.py's does."""
        if server_name_callback is None:
            self.sni_callback = None
            return
        if not callable(server_name_callback):
            raise TypeError("not a callable object")

        def shim_cb(sslobj, servername, sslctx):
            return server_name_callback(sslobj, _encode_hostname(servername), sslctx)

        self.sni_callback = shim_cb


def _message_callback_adapter(callback):
    """Turns the core's integers into ssl.py's enums before calling ``callback``, as ssl.py does."""
    from ._tls_records import _TLSAlertType, _TLSContentType, _TLSMessageType

    def inner(connection, direction, version, content_type, msg_type, data):
        try:
            version = TLSVersion(version)
        except ValueError:
            pass
        try:
            content_type = _TLSContentType(content_type)
        except ValueError:
            pass
        if content_type == _TLSContentType.HEADER:
            message_enum = _TLSContentType
        elif content_type == _TLSContentType.ALERT:
            message_enum = _TLSAlertType
        else:
            message_enum = _TLSMessageType
        try:
            msg_type = message_enum(msg_type)
        except ValueError:
            pass
        return callback(connection, direction, version, content_type, msg_type, data)

    return inner


def _current_context_class():
    """The package's ``SSLContext`` as it is now. ssl.py's functions look ``SSLContext`` up in
    their module when called, so a library that replaces ``ssl.SSLContext`` with a subclass
    (gevent's monkey-patching) gets its class from ``create_default_context()`` too."""
    package = sys.modules.get(__package__)
    return SSLContext if package is None else package.SSLContext


def create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    """A client (or, for CLIENT_AUTH, server) context with CPython's secure defaults."""
    if not isinstance(purpose, _ASN1Object):
        raise TypeError(purpose)
    if purpose == Purpose.SERVER_AUTH:
        context = _current_context_class()(PROTOCOL_TLS_CLIENT)
        context.verify_mode = CERT_REQUIRED
        context.check_hostname = True
    elif purpose == Purpose.CLIENT_AUTH:
        context = _current_context_class()(PROTOCOL_TLS_SERVER)
    else:
        raise ValueError(purpose)
    if sys.version_info >= (3, 13):
        # The running interpreter's own defaults: 3.13 made default contexts strict.
        context.verify_flags |= VerifyFlags.VERIFY_X509_PARTIAL_CHAIN | VerifyFlags.VERIFY_X509_STRICT
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != CERT_NONE:
        context.load_default_certs(purpose)
    _apply_keylog_environment(context)
    return context


def _create_unverified_context(protocol=None, *, cert_reqs=CERT_NONE, check_hostname=False,
                               purpose=Purpose.SERVER_AUTH, certfile=None, keyfile=None,
                               cafile=None, capath=None, cadata=None):
    """A context that does not verify the peer unless asked: for stdlib internals and tests."""
    if not isinstance(purpose, _ASN1Object):
        raise TypeError(purpose)
    if protocol is None:
        protocol = PROTOCOL_TLS_CLIENT if purpose == Purpose.SERVER_AUTH else PROTOCOL_TLS_SERVER
    context = _current_context_class()(protocol)
    context.check_hostname = check_hostname
    if cert_reqs is not None:
        context.verify_mode = cert_reqs
    if check_hostname:
        context.check_hostname = True
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if certfile or keyfile:
        context.load_cert_chain(certfile, keyfile)
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != CERT_NONE:
        context.load_default_certs(purpose)
    _apply_keylog_environment(context)
    return context


_create_stdlib_context = _create_unverified_context


def _apply_keylog_environment(context):
    """CPython's rule: SSLKEYLOGFILE names a key log file for default contexts (unless -E)."""
    keylogfile = os.environ.get("SSLKEYLOGFILE")
    if keylogfile and not sys.flags.ignore_environment:
        context.keylog_filename = keylogfile


def _https_verification_enabled():
    """PEP 493: HTTPS is verified unless PYTHONHTTPSVERIFY=0 (App Engine sets 1 to ask for it)."""
    return os.environ.get("PYTHONHTTPSVERIFY", "1") != "0"


def _create_default_https_context(*args, **kwargs):
    """The context http.client and urllib use: verified, unless PYTHONHTTPSVERIFY=0.

    The variable is read on each call, so a program may set it after importing swiftssl.
    """
    if _https_verification_enabled():
        return create_default_context(*args, **kwargs)
    return _create_unverified_context(*args, **kwargs)
