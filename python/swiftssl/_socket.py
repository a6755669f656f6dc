"""SSLSocket (a ``socket.socket`` subclass): an adapter over the native connection.

All TLS work happens in the native ``_SSLSocket``; this file only does what CPython's ``ssl.py``
does at the socket level: lifecycle, connected checks, flags, and the socket timeout passed to
each native call so that timeouts and non-blocking mode behave like a plain socket's.
"""

import errno as _errno
import io as _io
import socket as _socket
import sys as _sys

from ._errors import SSLError
from ._constants import SSL_ERROR_EOF, CHANNEL_BINDING_TYPES
from ._session import SSLSession, _set_session, _channel_binding
from ._certificate_object import _der_list
from ._context import _encode_hostname
from ._socket_connection import _socket_timeout
from ._sslobject import _refuse_client_arguments


class SSLSocket(_socket.socket):
    """A TLS connection that is also a socket; made by ``SSLContext.wrap_socket`` or ``wrap_socket``."""

    # Slots for what every instance sets (no per-instance dict: about 100 bytes less per
    # connection); "__dict__" keeps arbitrary attributes working, as on CPython's SSLSocket.
    __slots__ = ("_context", "_session", "_sslobj", "server_side", "server_hostname",
                 "do_handshake_on_connect", "suppress_ragged_eofs", "_connected", "__dict__")

    def __init__(self, *args, **kwargs):
        raise TypeError(
            f"{self.__class__.__name__} does not have a public constructor. "
            "Instances are returned by SSLContext.wrap_socket().")

    @classmethod
    def _create(cls, sock, server_side=False, do_handshake_on_connect=True,
                suppress_ragged_eofs=True, server_hostname=None, context=None, session=None):
        if sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_TYPE) != _socket.SOCK_STREAM:
            raise NotImplementedError("only stream sockets are supported")
        _refuse_client_arguments(server_side, server_hostname, session)
        if context.check_hostname and not server_hostname:
            raise ValueError("check_hostname requires server_hostname")

        timeout = sock.gettimeout()
        self = cls.__new__(cls, sock.family, sock.type, sock.proto, fileno=sock.fileno())
        # The socket class SSLSocket was made from, not socket.socket as it is now (eventlet
        # replaces that with its green socket), as ssl.py's super() call does.
        super(SSLSocket, self).__init__(sock.family, sock.type, sock.proto, fileno=sock.fileno())
        sock.detach()
        try:
            self._context = context
            self._session = session
            self._closed = False
            self._sslobj = None
            self.server_side = server_side
            self.server_hostname = _encode_hostname(server_hostname)
            self.do_handshake_on_connect = do_handshake_on_connect
            self.suppress_ragged_eofs = suppress_ragged_eofs
            connected = self._probe_connected()
            self.settimeout(timeout)
            self._connected = connected
            if connected:
                self._sslobj = context._wrap_fd(self.fileno(), server_side, self.server_hostname, self)
                if session is not None:
                    _set_session(self._sslobj, session)
                if do_handshake_on_connect:
                    if self.gettimeout() == 0.0:
                        raise ValueError("do_handshake_on_connect should not be specified for non-blocking sockets")
                    self.do_handshake()
        except BaseException:
            try:
                self.close()
            except OSError:
                pass
            raise
        return self

    def _probe_connected(self):
        """True when the socket is connected; refuses plaintext that arrived before TLS."""
        try:
            self.getpeername()
            return True
        except OSError as error:
            if error.errno != _errno.ENOTCONN:
                raise
        blocking = self.getblocking()
        self.setblocking(False)
        try:
            early = super().recv(1)
        except OSError as error:
            if error.errno not in (_errno.ENOTCONN, _errno.EINVAL):
                raise
            early = b""
        finally:
            self.setblocking(blocking)
        if early:
            message = "Closed before TLS handshake with data in recv buffer."
            failure = SSLError(_errno.ENOTCONN, message)
            failure.reason = message
            failure.library = None
            try:
                raise failure
            finally:
                failure = None  # no cycle through the traceback's frame (gh-108342)
        return False

    # -- properties -----------------------------------------------------------------------
    @property
    def context(self):
        return self._context

    @context.setter
    def context(self, context):
        # In ssl.py's order: a value the connection refuses (TypeError) is still what the
        # property returns afterwards.
        self._context = context
        if self._sslobj is not None:
            self._sslobj._set_context(context)

    @property
    def session(self):
        """The TLS session of the connection (None before the handshake and when unwrapped)."""
        if self._sslobj is not None:
            return SSLSession._wrap(self._sslobj._get_session())
        return None

    @session.setter
    def session(self, session):
        self._session = session
        if self._sslobj is not None:
            _set_session(self._sslobj, session)

    @property
    def session_reused(self):
        """Whether the handshake resumed the session given as ``session`` (None when unwrapped)."""
        if self._sslobj is not None:
            return self._sslobj._session_reused()
        return None

    def __repr__(self):
        return super().__repr__().replace("<socket.socket", f"<{type(self).__module__}.{type(self).__name__}", 1)

    # -- TLS operations -------------------------------------------------------------------
    def _check_connected(self):
        if not self._connected:
            # Raises ENOTCONN for an unconnected socket, as CPython's check does.
            self.getpeername()

    def do_handshake(self, block=False):
        self._check_connected()
        timeout = _socket_timeout(self)
        if timeout == 0.0 and block:
            timeout = None
        self._sslobj.do_handshake(timeout)

    def read(self, len=1024, buffer=None):
        if self._sslobj is None:
            raise ValueError("Read on closed or unwrapped SSL socket.")
        try:
            return self._sslobj.read(len, buffer, _socket_timeout(self))
        except SSLError as error:
            if error.args[0] == SSL_ERROR_EOF and self.suppress_ragged_eofs:
                return 0 if buffer is not None else b""
            raise

    def write(self, data):
        if self._sslobj is None:
            raise ValueError("Write on closed or unwrapped SSL socket.")
        return self._sslobj.write(data, _socket_timeout(self))

    def getpeercert(self, binary_form=False):
        self._check_connected()
        if self._sslobj is None:
            return None
        return self._sslobj.getpeercert(binary_form)

    def cipher(self):
        return None if self._sslobj is None else self._sslobj.cipher()

    def shared_ciphers(self):
        return None if self._sslobj is None else self._sslobj.shared_ciphers()

    def compression(self):
        return None

    def version(self):
        return None if self._sslobj is None else self._sslobj.version()

    def selected_alpn_protocol(self):
        return None if self._sslobj is None else self._sslobj.selected_alpn_protocol()

    def selected_npn_protocol(self):
        return None

    def verify_client_post_handshake(self):
        if self._sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        self._sslobj.verify_client_post_handshake()

    def pending(self):
        return 0 if self._sslobj is None else self._sslobj.pending()

    if _sys.version_info >= (3, 13):
        # Only where CPython has them: libraries (truststore) take their presence to mean the
        # 3.13 API, lists of DER bytes, and otherwise use the connection's (``_sslobj``) own,
        # which return Certificate objects on every version.
        def get_verified_chain(self):
            """The peer's verified chain as DER bytes, leaf first ([] without one)."""
            return _der_list(None if self._sslobj is None else self._sslobj.get_verified_chain())

        def get_unverified_chain(self):
            """The chain the peer sent, as DER bytes, leaf first ([] without one)."""
            return _der_list(None if self._sslobj is None else self._sslobj.get_unverified_chain())

    def get_channel_binding(self, cb_type="tls-unique"):
        if self._sslobj is not None:
            return _channel_binding(self._sslobj, cb_type)
        if cb_type not in CHANNEL_BINDING_TYPES:
            raise ValueError(f"{cb_type} channel binding type not implemented")
        return None

    def sendfile(self, file, offset=0, count=None):
        """Sends a file through TLS (no zero-copy: the bytes must be encrypted). A file opened
        with ``open(path, "rb")`` (or an unbuffered ``FileIO``) is read and sent natively, 256
        KiB at a time with the GIL released; anything else goes through send() as in CPython.
        Either way the bytes sent, the file's position after and the errors are CPython's."""
        if self._sslobj is None:
            return super().sendfile(file, offset, count)
        if not _is_plain_file(file):
            return self._sendfile_use_send(file, offset, count)
        self._check_sendfile_params(file, offset, count)
        if self.gettimeout() == 0:
            raise ValueError("non-blocking sockets are not supported")
        # CPython's fallback seeks to `offset` when it is given and reads from the file's
        # position otherwise; afterwards it leaves the file at offset + bytes sent.
        start = file.seek(offset) if offset else file.tell()
        if count is not None and count >= _UNTIL_END_OF_FILE:
            count = None  # as CPython's loop: more than any file holds is up to its end
        progress = [0]
        try:
            self._sslobj.send_file(file.fileno(), start, count, _socket_timeout(self), progress)
            return progress[0]
        finally:
            if progress[0] > 0:
                file.seek(offset + progress[0])

    def _checkClosed(self, msg=None):
        """ssl.py's hook for subclasses: checks nothing (a closed socket's calls raise anyway)."""

    # -- socket methods -------------------------------------------------------------------
    def _refuse_flags(self, flags, operation):
        if flags != 0:
            raise ValueError(f"non-zero flags not allowed in calls to {operation}() on {self.__class__}")

    def send(self, data, flags=0):
        if self._sslobj is None:
            return super().send(data, flags)
        self._refuse_flags(flags, "send")
        return self._sslobj.write(data, _socket_timeout(self))

    def sendall(self, data, flags=0):
        if self._sslobj is None:
            return super().sendall(data, flags)
        self._refuse_flags(flags, "sendall")
        # The whole loop runs natively (one call, the GIL released once); same errors as
        # memoryview(data).cast("B") for what is not a contiguous bytes-like object.
        self._sslobj.write_all(data, _socket_timeout(self))

    def recv(self, buflen=1024, flags=0):
        if self._sslobj is None:
            return super().recv(buflen, flags)
        self._refuse_flags(flags, "recv")
        return self.read(buflen)

    def recv_into(self, buffer, nbytes=None, flags=0):
        if nbytes is None:
            # ssl.py's size: the buffer's bytes, or 1024 for an empty one or None (with TLS, a
            # None buffer reads as recv(1024) would, as in CPython).
            nbytes = 1024 if buffer is None else (memoryview(buffer).nbytes or 1024)
        if self._sslobj is None:
            return super().recv_into(buffer, nbytes, flags)
        self._refuse_flags(flags, "recv_into")
        return self.read(nbytes, buffer)

    def sendto(self, data, flags_or_addr, addr=None):
        if self._sslobj is not None:
            raise ValueError(f"sendto not allowed on instances of {self.__class__}")
        if addr is None:
            return super().sendto(data, flags_or_addr)
        return super().sendto(data, flags_or_addr, addr)

    def recvfrom(self, buflen=1024, flags=0):
        if self._sslobj is not None:
            raise ValueError(f"recvfrom not allowed on instances of {self.__class__}")
        return super().recvfrom(buflen, flags)

    def recvfrom_into(self, buffer, nbytes=None, flags=0):
        if self._sslobj is not None:
            raise ValueError(f"recvfrom_into not allowed on instances of {self.__class__}")
        return super().recvfrom_into(buffer, nbytes, flags)

    def sendmsg(self, *args, **kwargs):
        raise NotImplementedError(f"sendmsg not allowed on instances of {self.__class__}")

    def recvmsg(self, *args, **kwargs):
        raise NotImplementedError(f"recvmsg not allowed on instances of {self.__class__}")

    def recvmsg_into(self, *args, **kwargs):
        raise NotImplementedError(f"recvmsg_into not allowed on instances of {self.__class__}")

    def dup(self):
        raise NotImplementedError(f"Can't dup() {self.__class__.__name__} instances")

    def shutdown(self, how):
        self._sslobj = None
        super().shutdown(how)

    def detach(self, *args, **kwargs):
        descriptor = super().detach(*args, **kwargs)  # socket.detach()'s own errors for arguments
        # The descriptor may soon name another file: the connection stops using it.
        if self._sslobj is not None:
            self._sslobj._detach_socket()
        return descriptor

    def unwrap(self):
        """Ends TLS with close_notify both ways; the socket then carries plaintext."""
        if self._sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        self._sslobj.shutdown(_socket_timeout(self))
        self._sslobj = None
        return self

    def _real_close(self):
        self._sslobj = None
        super()._real_close()

    # -- client side ----------------------------------------------------------------------
    def _real_connect(self, address, connect_ex):
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        if self._connected or self._sslobj is not None:
            raise ValueError("attempt to connect already-connected SSLSocket!")
        self._sslobj = self.context._wrap_fd(self.fileno(), False, self.server_hostname, self)
        try:
            if self._session is not None:
                _set_session(self._sslobj, self._session)
            if connect_ex:
                result = super().connect_ex(address)
            else:
                result = None
                super().connect(address)
            if not result:
                self._connected = True
                if self.do_handshake_on_connect:
                    self.do_handshake()
            return result
        except (OSError, ValueError):
            self._sslobj = None
            raise

    def connect(self, addr):
        self._real_connect(addr, False)

    def connect_ex(self, addr):
        return self._real_connect(addr, True)

    def accept(self):
        connection, address = super().accept()
        connection = self.context.wrap_socket(
            connection, do_handshake_on_connect=self.do_handshake_on_connect,
            suppress_ragged_eofs=self.suppress_ragged_eofs, server_side=True)
        return connection, address


# A count no file reaches (the native call takes a signed 64-bit count).
_UNTIL_END_OF_FILE = 1 << 62


def _is_plain_file(file):
    """True for what open(path, "rb") returns (or a FileIO): reading it returns exactly the
    bytes pread() finds at the same offsets. Other objects with a fileno() may not (GzipFile's
    is the compressed file's), and a BufferedRandom may hold writes not flushed yet."""
    kind = type(file)
    plain = kind is _io.FileIO or (kind is _io.BufferedReader and type(file.raw) is _io.FileIO)
    # A pipe or FIFO opened so has no offsets for pread(): CPython's loop reads it, and its
    # seek() afterwards raises io.UnsupportedOperation, which the native path would not.
    return plain and not file.closed and file.readable() and file.seekable()
