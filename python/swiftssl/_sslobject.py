"""SSLObject: TLS over two MemoryBIOs (``SSLContext.wrap_bio``), an adapter over the native
connection, as CPython's ``ssl.py`` wraps ``_ssl._SSLSocket``; and the relay for MemoryBIO-like
objects that are neither swiftssl's nor the stdlib's.
"""

import sys as _sys

from . import _swiftssl
from ._session import SSLSession, _set_session, _channel_binding
from ._certificate_object import _der_list


def _refuse_client_arguments(server_side, server_hostname, session):
    """A server end takes neither a hostname to ask for nor a session to resume (ValueError), as
    ssl.py checks for wrap_socket and wrap_bio."""
    if server_side:
        if server_hostname:
            raise ValueError("server_hostname can only be specified in client mode")
        if session is not None:
            raise ValueError("session can only be specified in client mode")


class SSLObject:
    """TLS over two MemoryBIOs, for callers that move the bytes themselves (asyncio)."""

    # One per asyncio TLS connection: its own attributes are slots; the __dict__ and weakref
    # slots keep what CPython's (a plain class) allows, attributes a program adds included.
    __slots__ = ("_context", "_bridge", "_sslobj", "__dict__", "__weakref__")

    def __init__(self, *args, **kwargs):
        raise TypeError(
            f"{self.__class__.__name__} does not have a public constructor. "
            "Instances are returned by SSLContext.wrap_bio().")

    @classmethod
    def _create(cls, incoming, outgoing, server_side=False, server_hostname=None,
                session=None, context=None):
        # Checked first, as wrap_socket checks them: CPython validates wrap_bio's parameters so
        # since the fix for CVE-2026-19553 (before it, 3.11.7's let a server take a hostname).
        _refuse_client_arguments(server_side, server_hostname, session)
        self = cls.__new__(cls)
        self._context = context
        self._bridge = None
        if not _used_natively(incoming, outgoing):
            # Another MemoryBIO-like object: relay through ours.
            _require_bio_like(incoming, "incoming", ("read", "eof"))
            _require_bio_like(outgoing, "outgoing", ("write",))
            self._bridge = _BIOBridge(incoming, outgoing)
            incoming, outgoing = self._bridge.incoming, self._bridge.outgoing
        self._sslobj = context._wrap_memory(incoming, outgoing, server_side, server_hostname, self)
        if session is not None:
            _set_session(self._sslobj, session)
        return self

    @property
    def context(self):
        return self._context

    @context.setter
    def context(self, context):
        self._sslobj._set_context(context)
        self._context = context

    @property
    def server_side(self):
        """Whether this is the server end: a bool, as CPython's (which asks ``_sslobj`` too)."""
        return self._sslobj.server_side

    @property
    def server_hostname(self):
        """The name the client asked for, IDNA-encoded (A-labels), or None."""
        return self._sslobj.server_hostname

    @property
    def session(self):
        """The TLS session of the connection, or None before the handshake."""
        return SSLSession._wrap(self._sslobj._get_session())

    @session.setter
    def session(self, session):
        _set_session(self._sslobj, session)

    @property
    def session_reused(self):
        """Whether the handshake resumed the session given as ``session``."""
        return self._sslobj._session_reused()

    def _relayed(self, operation, *arguments):
        if self._bridge is None:
            return operation(*arguments)
        self._bridge.take_incoming()
        try:
            return operation(*arguments)
        finally:
            self._bridge.give_outgoing()

    def read(self, len=1024, buffer=None):
        return self._relayed(self._sslobj.read, len, buffer, 0.0)

    def write(self, data):
        return self._relayed(self._sslobj.write, data, 0.0)

    def getpeercert(self, binary_form=False):
        return self._sslobj.getpeercert(binary_form)

    def selected_alpn_protocol(self):
        return self._sslobj.selected_alpn_protocol()

    def selected_npn_protocol(self):
        return None

    def cipher(self):
        return self._sslobj.cipher()

    def shared_ciphers(self):
        return self._sslobj.shared_ciphers()

    def compression(self):
        return None

    def pending(self):
        return self._sslobj.pending()

    def do_handshake(self):
        self._relayed(self._sslobj.do_handshake, 0.0)

    def unwrap(self):
        return self._relayed(self._sslobj.shutdown, 0.0)

    if _sys.version_info >= (3, 13):
        # Only where CPython has them, as on SSLSocket.
        def get_verified_chain(self):
            """The peer's verified chain as DER bytes, leaf first ([] without one)."""
            return _der_list(self._sslobj.get_verified_chain())

        def get_unverified_chain(self):
            """The chain the peer sent, as DER bytes, leaf first ([] without one)."""
            return _der_list(self._sslobj.get_unverified_chain())

    def get_channel_binding(self, cb_type="tls-unique"):
        return _channel_binding(self._sslobj, cb_type)

    def version(self):
        return self._sslobj.version()

    def verify_client_post_handshake(self):
        self._sslobj.verify_client_post_handshake()


def _used_natively(incoming, outgoing):
    """Whether the native connection reads and writes the two BIOs itself: both swiftssl's
    MemoryBIOs, or both the stdlib's (asyncio makes those)."""
    stdlib_bio = getattr(_sys.modules.get("_ssl"), "MemoryBIO", None)
    return (isinstance(incoming, _swiftssl.MemoryBIO) and isinstance(outgoing, _swiftssl.MemoryBIO)
            or type(incoming) is stdlib_bio and type(outgoing) is stdlib_bio)


def _not_a_memory_bio(bio, role):
    """CPython's TypeError for a `role` ("incoming", "outgoing") argument that is no MemoryBIO."""
    kind = "None" if bio is None else type(bio).__name__
    return TypeError(f"_wrap_bio() argument '{role}' must be _ssl.MemoryBIO, not {kind}")


def _require_bio_like(bio, role, methods):
    """CPython's TypeError for what is not a MemoryBIO, unless it has what the relay uses."""
    if not all(hasattr(bio, name) for name in methods):
        raise _not_a_memory_bio(bio, role)


class _BIOBridge:
    """Moves bytes between foreign MemoryBIO-like objects (``read``, ``write``, ``write_eof``,
    ``eof``) and the native ones a connection needs, around each TLS operation."""

    def __init__(self, incoming, outgoing):
        self.foreign_incoming = incoming
        self.foreign_outgoing = outgoing
        self.incoming = _swiftssl.MemoryBIO()
        self.outgoing = _swiftssl.MemoryBIO()
        self._eof_relayed = False

    def take_incoming(self):
        data = self.foreign_incoming.read()
        if data:
            self.incoming.write(data)
        if not self._eof_relayed and self.foreign_incoming.eof:
            self.incoming.write_eof()
            self._eof_relayed = True

    def give_outgoing(self):
        data = self.outgoing.read()
        if data:
            self.foreign_outgoing.write(data)
