"""The files of test_credential_loading_differential.py made real: ``Workspace`` writes what a
drawn step names under a temporary directory (``Path``: the written location), and
``path_argument``/``cadata_argument`` give each library the argument it takes for it.
"""

import os
import pathlib
import ssl as stdlib_ssl
from typing import NamedTuple

from credential_loading_strategies import VALUES, Cadata, Content, Location


class Path(NamedTuple):
    """A Location made real: the path (None for a value) and the bytes written there."""
    kind: str
    form: str
    path: bytes = None
    data: bytes = None


class Workspace:
    """Writes the files of one example under ``directory`` and gives each library its arguments."""

    def __init__(self, directory: pathlib.Path, pieces: dict):
        self.directory, self.pieces, self.written = os.fsencode(directory), pieces, 0
        os.makedirs(os.path.join(self.directory, b"a-directory"), exist_ok=True)

    def write(self, content: Content, name: bytes) -> tuple:
        self.written += 1
        path, data = os.path.join(self.directory, b"%d-%s.pem" % (self.written, name)), content.render(self.pieces)
        with open(path, "wb") as handle:
            handle.write(data)
        return path, data

    def prepare(self, location: Location) -> Path:
        if location.kind in VALUES:
            return Path(location.kind, location.form)
        if location.kind in ("file", "non-UTF-8 name"):
            return Path(location.kind, location.form,
                        *self.write(location.content, b"file" if location.kind == "file" else b"\xff\xfe"))
        name = {"missing": b"absent.pem", "directory": b"a-directory", "NUL in name": b"nul\0.pem"}[location.kind]
        return Path(location.kind, location.form, os.path.join(self.directory, name))

    def prepare_step(self, step):
        name, *arguments = step
        prepared = [self.prepare(argument) if isinstance(argument, Location)
                    else argument._replace(content=argument.content.render(self.pieces))
                    if isinstance(argument, Cadata) and argument.content else argument
                    for argument in arguments]
        return (name, *prepared)


def path_argument(path: Path, module, content_allowed: bool):
    if path.path is None:
        return VALUES[path.kind]
    if path.form == "bytearray" and content_allowed and module is stdlib_ssl:
        # swiftssl takes any bytes-like value without a PEM header as a path (README,
        # "Differences", credentials from memory); the stdlib only takes bytes.
        return path.path
    return {"str": os.fsdecode, "bytes": bytes, "PathLike": lambda raw: pathlib.Path(os.fsdecode(raw)),
            "bytearray": bytearray}[path.form](path.path)


def ascii_text(content: bytes) -> str:
    return bytes(byte if byte < 128 else ord("?") for byte in content).decode("ascii")


def cadata_argument(cadata: Cadata, module):
    if cadata.content is None:
        return VALUES[cadata.form]
    if cadata.form == "str":
        return ascii_text(cadata.content)
    if cadata.form == "non-ASCII str":
        return cadata.content.decode("latin-1")
    if cadata.form == "strided memoryview":
        return memoryview(cadata.content * 2)[::2]  # not contiguous: a BufferError in both
    if module is stdlib_ssl and b"-----BEGIN" in cadata.content:
        # swiftssl reads cadata bytes holding a PEM header as PEM (README, "Differences"): the
        # stdlib's answer for the same text, with bytes it would refuse as non-ASCII made invalid.
        return ascii_text(cadata.content)
    return {"bytes": bytes, "bytearray": bytearray, "memoryview": memoryview}[cadata.form](cadata.content)
