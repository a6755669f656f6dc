"""CPython's ``_ssl._SSLContext`` layer, over the native context: the settings as the C type
has them (plain integers, callbacks as given, CPython's argument checks).

``SSLContext`` (``_context.py``) adds ssl.py's layer on top (enums, the message callback's
conversions, the SSLv3 rule of ``minimum_version``), as ``ssl.SSLContext`` does on
``_ssl._SSLContext``. Libraries that subclass ``ssl.SSLContext`` reach this layer the way they
reach CPython's: gevent's context sets ``super(SSLContext, SSLContext).verify_mode.__set__(self,
value)``. It is also ``swiftssl._ssl._SSLContext``.
"""

import contextlib
import operator
import os

from . import _swiftssl
from ._constants import PROTOCOL_TLS_CLIENT


def _c_long(value):
    """`value` as CPython's "l" argument parsing takes it: __index__, within a C long."""
    value = operator.index(value)
    if not -2**63 <= value < 2**63:
        raise OverflowError("Python int too large to convert to C long")
    return value


def _c_int(value):
    """`value` as CPython's "i" argument parsing (PyArg_Parse) takes it, with its messages."""
    value = _c_long(value)
    if value >= 2**31:
        raise OverflowError("signed integer is greater than maximum")
    if value < -2**31:
        raise OverflowError("signed integer is less than minimum")
    return value


@contextlib.contextmanager
def _naming_the_file(path):
    """An OSError about the file names it as the caller gave it (bytes, a Path), as CPython's do."""
    try:
        yield
    except OSError as error:
        if error.filename is not None:
            error.filename = path
        raise


class _SSLContext(_swiftssl._SSLContext):
    """CPython's ``_ssl._SSLContext``: what ``ssl.SSLContext`` is built on."""

    # The callbacks the native core calls (read at handshake time, where the cycle collector
    # sees them). Class-level defaults, so a subclass whose __init__ skips ours still has them.
    _sni_callback = None
    _psk_client_callback = None
    _psk_server_callback = None
    _keylog_filename = None
    _msg_callback_function = None

    @property
    def post_handshake_auth(self):
        return self._get_post_handshake_auth()

    @post_handshake_auth.setter
    def post_handshake_auth(self, value):
        self._set_post_handshake_auth(bool(value))

    @property
    def num_tickets(self):
        """TLS 1.3 session tickets a server sends per handshake (settable on servers only)."""
        return self._get_num_tickets()

    @num_tickets.setter
    def num_tickets(self, value):
        self._set_num_tickets(_c_long(value))

    @property
    def _msg_callback(self):
        """The message callback as the core calls it: raw integers (``SSLContext`` wraps it)."""
        return self._msg_callback_function

    @_msg_callback.setter
    def _msg_callback(self, callback):
        if callback is not None and not callable(callback):
            raise TypeError(f"{callback} is not callable.")
        self._set_msg_callback(callback)
        self._msg_callback_function = callback

    @property
    def keylog_filename(self):
        """A file every connection's TLS secrets are appended to (NSS key log format), or None."""
        return self._keylog_filename

    @keylog_filename.setter
    def keylog_filename(self, path):
        # As in CPython, the old file is let go first: after a failure no file is set.
        self._keylog_filename = None
        with _naming_the_file(path):
            self._set_keylog_filename(None if path is None else os.fsdecode(path))
        self._keylog_filename = path

    @property
    def protocol(self):
        return self._get_protocol()

    @property
    def verify_mode(self):
        return self._get_verify_mode()

    @verify_mode.setter
    def verify_mode(self, value):
        self._set_verify_mode(_c_int(value))

    @property
    def check_hostname(self):
        return self._get_check_hostname()

    @check_hostname.setter
    def check_hostname(self, value):
        self._set_check_hostname(bool(value))

    @property
    def hostname_checks_common_name(self):
        return self._get_hostname_checks_common_name()

    @hostname_checks_common_name.setter
    def hostname_checks_common_name(self, value):
        self._set_hostname_checks_common_name(bool(value))

    @property
    def verify_flags(self):
        return self._get_verify_flags()

    @verify_flags.setter
    def verify_flags(self, value):
        # CPython parses an unsigned long without a range check: an int, taken modulo 2**64.
        if not isinstance(value, int):
            raise TypeError(f"argument must be int, not {'None' if value is None else type(value).__name__}")
        self._set_verify_flags(value & 0xFFFF_FFFF_FFFF_FFFF)

    @property
    def options(self):
        return self._get_options()

    @options.setter
    def options(self, value):
        self._set_options(operator.index(value))

    @property
    def minimum_version(self):
        return self._get_minimum_version()

    @minimum_version.setter
    def minimum_version(self, value):
        self._set_minimum_version(_c_long(value))

    @property
    def maximum_version(self):
        return self._get_maximum_version()

    @maximum_version.setter
    def maximum_version(self, value):
        self._set_maximum_version(_c_long(value))

    @property
    def security_level(self):
        return self._get_security_level()

    @security_level.setter
    def security_level(self, value):
        raise AttributeError("attribute 'security_level' of '_ssl._SSLContext' objects is not writable")

    @property
    def sni_callback(self):
        return self._sni_callback

    @sni_callback.setter
    def sni_callback(self, callback):
        if self._get_protocol() == PROTOCOL_TLS_CLIENT:
            raise ValueError("sni_callback cannot be set on TLS_CLIENT context")
        # As in CPython, the old callback goes first: a refused one leaves none set.
        self._set_sni_callback(None)
        self._sni_callback = None
        self._set_sni_callback(callback)
        self._sni_callback = callback
