"""What CPython's ``SSLContext._wrap_socket()`` and ``_wrap_bio()`` return (an
``_ssl._SSLSocket``), for code that builds its own class on it instead of using ``SSLSocket`` or
``SSLObject``: gevent's cooperative sockets, which wait on their own event loop whenever a call
raises ``SSLWantReadError`` or ``SSLWantWriteError``, and any code that drives the bare connection
itself. (swiftssl's own SSLSocket and SSLObject hold the native connection, not this shape.)

Over a socket, each call takes the socket's own timeout at that moment, as CPython's reads it
(``None`` blocks, ``0.0`` never waits, a number waits that long); over MemoryBIOs nothing waits.
The TLS work is the native connection's.
"""

import _socket as _c_socket

from ._session import SSLSession, _set_session, _channel_binding
from ._sslobject import _used_natively, _not_a_memory_bio

# The timeout TLS calls wait with, here and in SSLSocket: the socket's own, as CPython's _ssl
# reads it (sock_timeout), whatever a subclass's gettimeout() says. eventlet's green SSLSocket
# keeps its timeout in Python and makes the socket itself non-blocking, so that a call that would
# wait raises SSLWantReadError for its hub to wait on.
_socket_timeout = _c_socket.socket.gettimeout


class _SocketConnection:
    """TLS over `sock` (any ``socket.socket``), in the shape of CPython's ``_ssl._SSLSocket``."""

    __slots__ = ("_sock", "_native", "_owner", "_context", "server_side", "server_hostname",
                 "__weakref__")

    def __init__(self, context, sock, server_side, server_hostname, owner, session):
        self._sock = sock
        self._start(context, server_side, server_hostname, owner, session,
                    lambda target: context._wrap_fd(sock.fileno(), server_side, server_hostname,
                                                    target))

    def _start(self, context, server_side, server_hostname, owner, session, wrap):
        """What both shapes keep; ``wrap(callback target)`` makes the native connection."""
        self._owner = owner
        self._context = context
        self.server_side = bool(server_side)
        self.server_hostname = server_hostname
        self._native = wrap(self._callback_argument(owner))
        if session is not None:
            _set_session(self._native, session)

    def _callback_argument(self, owner):
        """What callbacks (SNI, the message callback) are handed: the owner, or else the socket."""
        return self._sock if owner is None else owner

    def _timeout(self):
        return _socket_timeout(self._sock)

    @property
    def context(self):
        return self._context

    @context.setter
    def context(self, context):
        self._native._set_context(context)
        self._context = context

    @property
    def owner(self):
        return self._owner

    @owner.setter
    def owner(self, owner):
        self._owner = owner
        self._native._set_owner(self._callback_argument(owner))

    @property
    def session(self):
        return SSLSession._wrap(self._native._get_session())

    @session.setter
    def session(self, session):
        _set_session(self._native, session)

    @property
    def session_reused(self):
        return self._native._session_reused()

    def do_handshake(self):
        self._native.do_handshake(self._timeout())

    def read(self, size=1024, buffer=None):
        return self._native.read(size, buffer, self._timeout())

    def write(self, data):
        return self._native.write(data, self._timeout())

    def pending(self):
        return self._native.pending()

    def shutdown(self):
        """Sends close_notify and waits for the peer's; returns the socket (None over MemoryBIOs),
        as CPython's does."""
        self._native.shutdown(self._timeout())
        return self._sock

    def getpeercert(self, der=False):
        return self._native.getpeercert(der)

    def get_verified_chain(self):
        """The verified chain as ``_ssl.Certificate`` objects, leaf first, or None."""
        return self._native.get_verified_chain()

    def get_unverified_chain(self):
        """The chain the peer sent as ``_ssl.Certificate`` objects, leaf first, or None."""
        return self._native.get_unverified_chain()

    def get_channel_binding(self, cb_type="tls-unique"):
        return _channel_binding(self._native, cb_type)

    def cipher(self):
        return self._native.cipher()

    def shared_ciphers(self):
        return self._native.shared_ciphers()

    def version(self):
        return self._native.version()

    def selected_alpn_protocol(self):
        return self._native.selected_alpn_protocol()

    def compression(self):
        return None

    def verify_client_post_handshake(self):
        self._native.verify_client_post_handshake()


class _MemoryConnection(_SocketConnection):
    """TLS over two MemoryBIOs (swiftssl's or the stdlib's), in the same shape."""

    __slots__ = ()

    def __init__(self, context, incoming, outgoing, server_side, server_hostname, owner, session):
        if not _used_natively(incoming, outgoing):
            # No relay here, as CPython's takes only its own MemoryBIOs: the first argument that
            # is not of a kind the native connection takes, or else not of the first's kind.
            if not _used_natively(incoming, incoming):
                raise _not_a_memory_bio(incoming, "incoming")
            raise _not_a_memory_bio(outgoing, "outgoing")
        self._sock = None
        self._start(context, server_side, server_hostname, owner, session,
                    lambda target: context._wrap_memory(incoming, outgoing, server_side,
                                                        server_hostname, target))

    def _callback_argument(self, owner):
        """The owner, or else this object, as CPython's hands its ``_SSLSocket`` without one."""
        return self if owner is None else owner

    def _timeout(self):
        return 0.0
