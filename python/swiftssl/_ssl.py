"""swiftssl's stand-in for CPython's ``_ssl`` extension module: the same names, swiftssl's objects.

``swiftssl._ssl`` is what ``ssl._ssl`` is in CPython's ``ssl`` (code and tests that reach below
``ssl`` read ``ssl._ssl._test_decode_cert`` or the raw ``PROTO_*``/``OP_*`` integers). Put it in
``sys.modules["_ssl"]`` together with ``swiftssl.install()`` to run code that does ``import _ssl``
(CPython's test_ssl.py, through ``python/conformance/run_test_ssl.py``). Nothing here adds
behaviour: every name is an alias of something swiftssl already has.
"""

from . import _swiftssl
from . import _constants
from ._errors import (  # noqa: F401 - re-exported names
    SSLError, SSLZeroReturnError, SSLWantReadError, SSLWantWriteError, SSLSyscallError,
    SSLEOFError, SSLCertVerificationError,
)

from ._context_base import _SSLContext  # noqa: E402 - ssl.SSLContext's base, as in CPython
_SSLSocket = _swiftssl._SSLSocket
MemoryBIO = _swiftssl.MemoryBIO
SSLSession = _swiftssl.SSLSession
from ._certificate_object import Certificate  # noqa: E402 - also registers it with the core
_test_decode_cert = _swiftssl._test_decode_cert
RAND_bytes = _swiftssl.RAND_bytes
RAND_status = _swiftssl.RAND_status
RAND_add = _swiftssl.RAND_add
from ._private_names import RAND_pseudo_bytes, _OPENSSL_API_VERSION  # noqa: E402

# The integer constants, by the names _ssl gives them (the enums in ssl.py are built from these).
for _enum_class in (_constants._SSLMethod, _constants.VerifyMode, _constants.VerifyFlags,
                    _constants.Options, _constants.AlertDescription, _constants.SSLErrorNumber):
    for _name, _member in _enum_class.__members__.items():
        globals()[_name] = int(_member)
del _enum_class, _name, _member

PROTO_MINIMUM_SUPPORTED = -2
PROTO_MAXIMUM_SUPPORTED = -1
PROTO_SSLv3 = 0x0300
PROTO_TLSv1 = 0x0301
PROTO_TLSv1_1 = 0x0302
PROTO_TLSv1_2 = 0x0303
PROTO_TLSv1_3 = 0x0304

HOSTFLAG_ALWAYS_CHECK_SUBJECT = 0x1
HOSTFLAG_NEVER_CHECK_SUBJECT = 0x20
HOSTFLAG_NO_WILDCARDS = 0x2
HOSTFLAG_NO_PARTIAL_WILDCARDS = 0x4
HOSTFLAG_MULTI_LABEL_WILDCARDS = 0x8
HOSTFLAG_SINGLE_LABEL_SUBDOMAINS = 0x10

from ._certificate_object import ENCODING_PEM, ENCODING_DER  # noqa: E402

OPENSSL_VERSION = _constants.OPENSSL_VERSION
OPENSSL_VERSION_NUMBER = _constants.OPENSSL_VERSION_NUMBER
OPENSSL_VERSION_INFO = _constants.OPENSSL_VERSION_INFO
_DEFAULT_CIPHERS = _constants._DEFAULT_CIPHERS

for _name in dir(_constants):
    if _name.startswith("HAS_"):
        globals()[_name] = getattr(_constants, _name)
del _name
