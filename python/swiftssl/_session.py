"""SSLSession: a TLS session a client can offer again to resume it (``SSLSocket.session``)."""

from . import _swiftssl


class SSLSession:
    """A resumable TLS session, read from ``SSLSocket.session`` / ``SSLObject.session`` after a
    handshake and given to a new client connection's ``session=`` before its handshake.

    Sessions compare equal when their ids are equal, as in CPython.
    """

    __slots__ = ("_native", "__weakref__")

    def __new__(cls, *args, **kwargs):
        # Only connections make sessions (_wrap); as CPython's, SSLSession.__new__ refuses too.
        raise TypeError("cannot create 'SSLSession' instances")

    @classmethod
    def _wrap(cls, native):
        if native is None:
            return None
        self = object.__new__(cls)
        self._native = native
        return self

    @property
    def id(self):
        """The session id (bytes)."""
        return self._native._id()

    @property
    def time(self):
        """When the session was made, in seconds since the epoch."""
        return self._native._time()

    @property
    def timeout(self):
        """How long the session stays resumable, in seconds."""
        return self._native._timeout()

    @property
    def ticket_lifetime_hint(self):
        """The server's hint for the lifetime of its session ticket, in seconds."""
        return self._native._ticket_lifetime_hint()

    @property
    def has_ticket(self):
        """Whether the server sent a session ticket."""
        return self._native._has_ticket()

    def __eq__(self, other):
        if not isinstance(other, SSLSession):
            return NotImplemented
        return self.id == other.id

    __hash__ = None

    def __reduce_ex__(self, protocol):
        # As CPython's: a session cannot be pickled or copied (it holds OpenSSL state).
        raise TypeError("cannot pickle 'SSLSession' object")


def _set_session(sslobj, session):
    """Offers ``session`` on the native connection ``sslobj``, with CPython's type check."""
    if not isinstance(session, SSLSession):
        raise TypeError("Value is not a SSLSession.")
    sslobj._set_session(session._native)


def _c_type_name(value):
    """How CPython's argument errors name the type of `value` (its tp_name): "None" for None,
    the bare name of a class defined in Python or of a builtin, "module.name" for C types
    (``array.array``), which are the immutable ones."""
    if value is None:
        return "None"
    kind = type(value)
    if not kind.__flags__ & (1 << 8) or kind.__module__ == "builtins":  # Py_TPFLAGS_IMMUTABLETYPE
        return kind.__name__
    return f"{kind.__module__}.{kind.__qualname__}"


def _channel_binding(sslobj, cb_type):
    """The channel binding of type ``cb_type`` of a live native connection."""
    if not isinstance(cb_type, str):
        raise TypeError(f"get_channel_binding() argument 'cb_type' must be str, not {_c_type_name(cb_type)}")
    cb_type.encode()  # a lone surrogate: the UnicodeEncodeError CPython's str argument gives
    if "\0" in cb_type:
        raise ValueError("embedded null character")
    if cb_type != "tls-unique":
        raise ValueError(f"'{cb_type}' channel binding type not implemented")
    return sslobj._tls_unique()


_NativeSession = _swiftssl.SSLSession
