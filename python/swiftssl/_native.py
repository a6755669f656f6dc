"""Loads the native core, ``swiftssl._swiftssl``, and hands it the exception classes it raises.

Every module of the package gets the extension with ``from . import _swiftssl``, which asks the
package for the attribute; the package's ``__getattr__`` imports this module the first time. The
extension is loaded without the import system's usual step of setting ``swiftssl._swiftssl``, so
that the attribute appears only once ``_register_exceptions`` has run: no thread can reach an
extension function that raises before the core knows the classes to raise. Concurrent first uses
wait on this module's import lock; a failed load leaves nothing behind and is tried again.
"""

import sys as _sys
from importlib import util as _util

from ._errors import (
    SSLError, SSLZeroReturnError, SSLWantReadError, SSLWantWriteError, SSLSyscallError,
    SSLEOFError, SSLCertVerificationError,
)

_NAME = __package__ + "._swiftssl"


def _load():
    extension = _sys.modules.get(_NAME)  # already there after `import swiftssl._swiftssl`
    if extension is None:
        spec = _util.find_spec(_NAME)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {_NAME!r}", name=_NAME)
        extension = _util.module_from_spec(spec)
        spec.loader.exec_module(extension)
        _sys.modules[_NAME] = extension
    extension._register_exceptions(
        SSLError, SSLZeroReturnError, SSLWantReadError, SSLWantWriteError, SSLSyscallError,
        SSLEOFError, SSLCertVerificationError)
    extension._set_default_cipher_suites(*_interpreter_cipher_suites())
    return extension


def _interpreter_cipher_suites():
    """What this interpreter's ``ssl`` starts its contexts with, as its build recorded it in
    sysconfig (``--with-ssl-default-suites``: ``PY_SSL_DEFAULT_CIPHERS`` 1 is CPython's list,
    2 OpenSSL's configured defaults, 0 the builder's own string), in the core's terms."""
    try:
        import sysconfig
        kind = sysconfig.get_config_var("PY_SSL_DEFAULT_CIPHERS")
        # pyconfig.h's define, quotes and all.
        quoted = sysconfig.get_config_var("PY_SSL_DEFAULT_CIPHER_STRING") if kind == 0 else None
    except Exception:  # a frozen application without its build's data: CPython's own defaults
        return "python", None
    if kind == 2:
        return "openssl", None
    if isinstance(quoted, str) and len(quoted) >= 2 and quoted[0] == quoted[-1] == '"':
        return "custom", quoted[1:-1]
    return "python", None


extension = _load()
setattr(_sys.modules[__package__], "_swiftssl", extension)
