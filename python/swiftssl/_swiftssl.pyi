# The native extension module (Sources/_swiftssl_c + Sources/SwiftSSLPython). Its names are
# private: use the swiftssl package. Only what the package's own tools call is typed here.
from _typeshed import ReadableBuffer, StrOrBytesPath
from typing import Any, Protocol

class _PEMReader(Protocol):
    def read(self) -> str | bytes: ...

# The getpeercert() dict of the first certificate in a path, PEM content or file-like object.
def _test_decode_cert(source: StrOrBytesPath | ReadableBuffer | _PEMReader, /) -> dict[str, Any]: ...
def __getattr__(name: str) -> Any: ...
