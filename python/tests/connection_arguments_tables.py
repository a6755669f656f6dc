"""What test_connection_arguments_differential.py draws and forgives: the pool of argument
values (each made fresh for each run), the plausible ones for each parameter name, the calls each
kind of object is given, the normalizers for values that are random, the Hypothesis strategies
that draw lists of calls from those tables, and the differences that are forgiven (`documented`,
from README's "Differences", and KEPT_DIFFERENCES)."""

import array
import io
import math
import re
import ssl as stdlib_ssl
import time

from hypothesis import strategies as st

from differential_support import Index


# -- arguments: a name each, made fresh for each run -------------------------------------------
def _memoryview_2d():
    return memoryview(bytearray(16)).cast("B", (4, 4))


def _released():
    view = memoryview(bytearray(8))
    view.release()
    return view


def _file(library, *, text=False, closed=False):
    handle = open(library.data_path, "r" if text else "rb")
    if closed:
        handle.close()
    return handle


ARGUMENTS = {
    **{name: (lambda value: lambda library: value)(value) for name, value in {
        "None": None, "True": True, "False": False, "0": 0, "1": 1, "2": 2, "3": 3, "-1": -1, "5": 5,
        "1024": 1024, "2**31": 2**31, "2**63": 2**63, "2**64+1": 2**64 + 1, "-2**63-1": -2**63 - 1,
        "1.5": 1.5, "-0.5": -0.5, "nan": math.nan, "inf": math.inf, "''": "", "'x'": "x",
        "'text'": "text", "'r'": "r", "'rb'": "rb", "'w'": "w", "'rwb'": "rwb", "'rt'": "rt",
        "'tls-unique'": "tls-unique", "'tls-server-end-point'": "tls-server-end-point",
        "'tls-exporter'": "tls-exporter", "b'tls-unique'": b"tls-unique", "'localhost'": "localhost",
        "'\\x00'": "\x00", "'\\udcff'": "\udcff",
        "b''": b"", "b'hello'": b"hello", "b'x'*20000": b"x" * 20000, "[]": [], "[b'ab']": [b"ab"],
        "('127.0.0.1', 1)": ("127.0.0.1", 1), "('localhost',)": ("localhost",), "{}": {},
        "Index(3)": Index(3), "Index(-1)": Index(-1), "Index(2**64)": Index(2**64),
        "object()": object()}.items()},
    "bytearray(16)": lambda library: bytearray(16),
    "bytearray(0)": lambda library: bytearray(),
    "bytearray(b'abc')": lambda library: bytearray(b"abc"),
    "memoryview(bytearray(16))": lambda library: memoryview(bytearray(16)),
    "memoryview(b'readonly')": lambda library: memoryview(b"readonly"),
    "memoryview[::2]": lambda library: memoryview(bytearray(b"0123456789abcdef"))[::2],
    "memoryview 2-D": lambda library: _memoryview_2d(),
    "memoryview of 'd'": lambda library: memoryview(array.array("d", [1.0, 2.0])),
    "array('d')": lambda library: array.array("d", [1.0, 2.0]),
    "array('i')": lambda library: array.array("i", [1, 2, 3]),
    "released memoryview": lambda library: _released(),
    "binary file": lambda library: _file(library),
    "text file": lambda library: _file(library, text=True),
    "closed file": lambda library: _file(library, closed=True),
    "BytesIO": lambda library: io.BytesIO(b"from BytesIO"),
    "client context": lambda library: library.client_context,
    "server context": lambda library: library.server_context,
    "other library's context": lambda library: library.other.client_context,
    "earlier session": lambda library: library.session,
    "other library's session": lambda library: library.other.session,
    "stdlib MemoryBIO": lambda library: stdlib_ssl.MemoryBIO(),
}
SIZES = ["0", "1", "5", "1024", "-1", "2**31", "2**63", "2**64+1", "-2**63-1", "None", "1.5", "Index(3)",
         "Index(-1)", "Index(2**64)", "'x'", "b'hello'"]
BUFFERS = ["bytearray(16)", "bytearray(0)", "memoryview(bytearray(16))", "memoryview(b'readonly')",
           "memoryview[::2]", "memoryview 2-D", "memoryview of 'd'", "array('d')", "array('i')",
           "released memoryview", "b'hello'", "None", "'text'"]
DATA = ["b'hello'", "b''", "bytearray(b'abc')", "memoryview(bytearray(16))", "memoryview[::2]",
        "memoryview 2-D", "memoryview of 'd'", "array('d')", "array('i')", "'text'", "released memoryview",
        "None", "[b'ab']", "memoryview(b'readonly')", "b'x'*20000", "1"]
FLAGS = ["0", "1", "-1", "2**64+1", "None", "1.5", "Index(3)"]
BOOLEANS = ["True", "False", "0", "1", "2", "None", "'x'", "[]", "1.5"]
PLAUSIBLE = {
    "buflen": SIZES, "bufsize": SIZES, "nbytes": SIZES, "len": SIZES, "n": SIZES, "count": SIZES,
    "offset": SIZES, "ancbufsize": SIZES, "buffering": SIZES, "buffer": BUFFERS, "buffers": ["[b'ab']"] + DATA,
    "data": DATA, "flags": FLAGS, "flags_or_addr": FLAGS + ["('127.0.0.1', 1)"],
    "addr": ["('127.0.0.1', 1)", "('localhost',)", "None", "'x'", "b'hello'", "[]"], "address": ["('127.0.0.1', 1)"],
    "binary_form": BOOLEANS, "block": BOOLEANS, "flag": BOOLEANS,
    "cb_type": ["'tls-unique'", "'tls-server-end-point'", "'tls-exporter'", "''", "None", "b'tls-unique'", "1"],
    "mode": ["'r'", "'rb'", "'w'", "'rwb'", "'rt'", "''", "'x'", "None", "1"],
    "encoding": ["None", "'x'", "1"], "errors": ["None", "'x'"], "newline": ["None", "''", "'x'"],
    "value": ["None", "0", "1.5", "-1", "-0.5", "nan", "inf", "2**63", "'x'", "Index(3)", "True"],
    "how": ["0", "1", "2", "3", "-1", "2**64+1", "None", "'x'", "1.5"],
    "file": ["binary file", "text file", "closed file", "BytesIO", "None", "b'hello'", "1"],
    "context": ["client context", "server context", "other library's context", "None", "1"],
    "session": ["earlier session", "other library's session", "None", "1", "object()"],
    "server_hostname": ["'localhost'", "None", "b'hello'", "'\\x00'", "''", "1", "'\\udcff'"],
    "other": ["None", "1", "earlier session", "other library's session", "object()", "same object"],
    "incoming": ["stdlib MemoryBIO", "None", "1"], "outgoing": ["stdlib MemoryBIO", "None", "1"],
}
# The other library's objects only where an object of that kind is expected: elsewhere their
# class names would show in messages, which then differ only because the inputs do.
ANY = sorted(spec for spec in ARGUMENTS if not spec.startswith("other library's"))


# -- the calls each kind of object is given ----------------------------------------------------
# name -> its parameters. "name" calls a method, ".name" reads an attribute, "=name" sets it
# (parameter "value"), "del name" deletes it; "copy", "deepcopy", "pickle", "repr", "==", "!=",
# "hash" do what they say to the object.
OPERATIONS = {"copy", "deepcopy", "pickle", "repr", "hash", "==", "!="}
OBJECT_PROTOCOL = {"copy": (), "deepcopy": (), "pickle": (), "==": ("other",), "!=": ("other",), "hash": ()}
TLS_CALLS = {
    "read": ("len", "buffer"), "write": ("data",), "pending": (), "getpeercert": ("binary_form",),
    "get_channel_binding": ("cb_type",), "selected_alpn_protocol": (), "selected_npn_protocol": (),
    "cipher": (), "shared_ciphers": (), "compression": (), "version": (), "unwrap": (),
    "do_handshake": (), "verify_client_post_handshake": (), "get_verified_chain": (),
    "get_unverified_chain": (), ".context": (), "=context": ("context",), ".session": (),
    "=session": ("session",), ".session_reused": (), ".server_side": (), ".server_hostname": (),
    "=server_hostname": ("server_hostname",), "del context": (), **OBJECT_PROTOCOL,
}
SOCKET_CALLS = {
    **TLS_CALLS, "do_handshake": ("block",), "recv": ("buflen", "flags"),
    "recv_into": ("buffer", "nbytes", "flags"), "recvfrom": ("buflen", "flags"),
    "recvfrom_into": ("buffer", "nbytes", "flags"), "recvmsg": ("bufsize", "ancbufsize", "flags"),
    "recvmsg_into": ("buffers", "ancbufsize", "flags"), "send": ("data", "flags"),
    "sendall": ("data", "flags"), "sendto": ("data", "flags_or_addr", "addr"),
    "sendmsg": ("buffers", "ancdata", "flags", "address"), "sendfile": ("file", "offset", "count"),
    "makefile": ("mode", "buffering", "encoding", "errors", "newline"), "dup": (), "detach": (),
    "fileno": (), "settimeout": ("value",), "gettimeout": (), "setblocking": ("flag",),
    "getblocking": (), "shutdown": ("how",), "accept": (), "connect": ("addr",),
    "connect_ex": ("addr",), "close": (), "repr": (), ".suppress_ragged_eofs": (),
    ".do_handshake_on_connect": (),
}
OBJECT_CALLS = {**TLS_CALLS, "=server_side": ("value",)}
SESSION_CALLS = {".id": (), ".time": (), ".timeout": (), ".ticket_lifetime_hint": (), ".has_ticket": (),
                 "=timeout": ("value",), "=id": ("value",), "del timeout": (), **OBJECT_PROTOCOL}
BIO_CALLS = {"read": ("n",), "write": ("data",), "write_eof": (), ".pending": (), ".eof": (),
             "=pending": ("value",), "=eof": ("value",), **OBJECT_PROTOCOL}
# The classes called directly, with any arguments.
CONSTRUCTORS = {"SSLSocket": ("family", "type", "proto", "fileno"), "SSLObject": ("incoming", "outgoing"),
                "SSLSession": (), "MemoryBIO": ("n",)}

# Normalizers for values that differ between any two connections (random or per process).
RANDOM = {
    "get_channel_binding": lambda value: ("bytes", len(value)) if isinstance(value, bytes) else value,
    ".id": lambda value: ("bytes", len(value)) if isinstance(value, bytes) else value,
    ".time": lambda value: ("now", type(value).__name__) if abs(value - time.time()) < 600 else value,
    "fileno": lambda value: "a descriptor" if value >= 0 else value,
    "detach": lambda value: "a descriptor" if isinstance(value, int) and value >= 0 else value,
    "accept": lambda value: value[0],
    "hash": lambda value: type(value).__name__,  # (socket, address): the address has a random port
}


def calls(table):
    """One call on an object of `table`: (name, positional argument names, keyword argument
    names), each argument two times in three one of its plausible values, else any value."""
    def arguments(parameter):
        return st.one_of(st.sampled_from(PLAUSIBLE.get(parameter, ANY)), st.sampled_from(ANY))

    @st.composite
    def call(draw):
        name = draw(st.sampled_from(sorted(table)))
        parameters = table[name]
        # Methods may get too few or too many arguments; the rest take exactly their own.
        called = name.isidentifier() and name not in OPERATIONS
        count = draw(st.integers(0, len(parameters) + 1)) if called else len(parameters)
        positional = [draw(arguments(parameter)) for parameter in (parameters + ("extra",))[:count]]
        keywords = {}
        if called and count < len(parameters) and draw(st.integers(0, 3)) == 0:
            for parameter in parameters[count:] + ("bogus",):
                if draw(st.booleans()):
                    keywords[parameter] = draw(arguments(parameter))
        return name, tuple(positional), tuple(sorted(keywords.items()))
    return call()


def supported(name):
    """Whether this Python's stdlib has the call (3.13 added the chain getters)."""
    return name not in ("get_verified_chain", "get_unverified_chain") or hasattr(stdlib_ssl.SSLObject, name)


def call_lists(tables, max_size=4):
    """Lists of (target, name, positional, keywords): calls on the objects `tables` names."""
    return st.lists(st.one_of(*(calls(table).map(lambda call, target=target: (target,) + call)
                                for target, table in tables.items())), min_size=1, max_size=max_size).filter(
        lambda chosen: all(supported(call[1]) for call in chosen))


# -- differences ---------------------------------------------------------------------------
def documented(call, ours, theirs, earlier):
    """README, "Differences": over MemoryBIOs a read takes every complete record the incoming
    BIO holds, so an end it met after its data (the peer's close_notify) has left that BIO,
    whose ``pending`` is then smaller (and what a ``read`` of it gives lacks those first records),
    and counts as 1 in the SSLObject's pending()."""
    target, name = call[:2]
    if _connects_without_a_hostname(call, ours, earlier):
        return True
    read_before = any(c[1] in ("read", "recv", "recv_into", "recvfrom", "recvfrom_into") for c in earlier)
    if not read_before:
        return False
    if name == "pending":
        return ours[-2:-1] == (("returned", 1),) and theirs[-2:-1] == (("returned", 0),)
    ours_result, theirs_result = ours[-2], theirs[-2]
    if target != "incoming" or not ours_result[0] == theirs_result[0] == "returned":
        return False
    if name == ".pending":
        return ours_result[1] < theirs_result[1]
    if name == "read":  # ("records", ((type, length), ...), bytes of a record still incomplete)
        mine, stdlibs = ours_result[1], theirs_result[1]
        taken = len(stdlibs[1]) - len(mine[1])
        return (mine[0] == stdlibs[0] == "records" and mine[2] == stdlibs[2] and taken > 0
                and stdlibs[1][taken:] == mine[1])
    return False


def _connects_without_a_hostname(call, ours, earlier):
    """README, "Differences": a client socket whose server_hostname was set to None before
    connect() is refused at connect() while check_hostname is on (CPython connects and checks no
    name), as wrap_bio and wrap_socket refuse it in both libraries."""
    cleared = any(c[1] == "=server_hostname" and c[2] == ("None",) for c in earlier)
    return (cleared and call[1] in ("connect", "connect_ex")
            and ours[-2] == ("ValueError", None, "check_hostname requires server_hostname"))


# Differences not fixed yet, each forgiven only where it shows as described. Delete an entry
# once swiftssl gives what the stdlib gives.
def _result(outcome):
    return outcome[-2]


def _messages(ours, theirs, ours_pattern, theirs_pattern, kind=None):
    """Both calls raised `kind` (or any same class), with messages matching the two patterns."""
    ours, theirs = _result(ours), _result(theirs)
    return (len(ours) == len(theirs) == 3 and ours[0] == theirs[0] and kind in (None, ours[0])
            and re.fullmatch(ours_pattern, ours[2]) is not None and re.fullmatch(theirs_pattern, theirs[2]) is not None)


def _unqualified(message):
    """`message` with quoted type names ('_ssl.MemoryBIO') and a clinic-style trailing one
    ("..., not _ssl.SSLSession") stripped of their module."""
    message = re.sub(r"'(\w+\.)+(\w+)'", r"'\2'", message)
    return re.sub(r"\bnot (\w+\.)+(\w+)$", r"not \2", message)


KEPT_DIFFERENCES = {
    # Differences kept on purpose: wording that names swiftssl's own types, and places where the
    # stdlib's answer is an accident of its implementation (README, "Differences").
    # After detach() the descriptor belongs to the caller and may soon name another file:
    # swiftssl's reads, writes and handshakes fail as the detached socket would (OSError EBADF),
    # where the stdlib's keep using the old descriptor number (README, "Differences").
    "TLS after detach()": lambda call, ours, theirs: (
        call[1] in ("read", "recv", "recv_into", "recvfrom", "recvfrom_into", "write", "send", "sendall",
                    "sendto", "sendfile", "do_handshake", "pending")
        and _result(ours)[:2] == ("OSError", 9) and _result(theirs)[:2] != ("OSError", 9)),
    # Messages name types without their module: "cannot pickle 'MemoryBIO' object", "unhashable
    # type: 'SSLSession'", "cannot create 'SSLSession' instances", "a bytes-like object is
    # required, not 'BytesIO'", "recvfrom_into() argument 1 must be read-write bytes-like object,
    # not SSLSession" (the stdlib: '_ssl.MemoryBIO', '_io.BytesIO', _ssl.SSLSession); pickling a
    # session names 'swiftssl._swiftssl.SSLSession'.
    "type names without their module": lambda call, ours, theirs: (
        _result(ours)[:2] == _result(theirs)[:2] and len(_result(ours)) == 3
        and _unqualified(_result(ours)[2]) == _unqualified(_result(theirs)[2])),
    # Setting or deleting a read-only attribute of MemoryBIO or SSLSession: "property 'eof' of
    # 'MemoryBIO' object has no setter" where the stdlib says "attribute 'eof' of
    # '_ssl.MemoryBIO' objects is not writable".
    "read-only attribute messages": lambda call, ours, theirs: _messages(
        ours, theirs, r"property '\w+' of '\w+' object has no (setter|deleter)",
        r"attribute '\w+' of '_ssl\.\w+' objects is not writable", "AttributeError"),
    # MemoryBIO.read/write/write_eof with too many or too few arguments: Python's wording
    # ("write() takes 1 positional arguments but 2 were given") instead of the stdlib's C one
    # ("MemoryBIO.write() takes exactly one argument (2 given)").
    "MemoryBIO argument counts": lambda call, ours, theirs: call[0] in ("bio", "incoming", "outgoing") and _messages(
        ours, theirs, r"(read|write|write_eof)\(\) takes .* but \d+ were given", r".*(argument|arguments).*",
        "TypeError"),
    # Pickling an SSLObject fails on its context first: "cannot pickle 'SSLContext' object"
    # (the stdlib's fails on its '_ssl._SSLSocket').
    "pickling an SSLObject names SSLContext": lambda call, ours, theirs: call[1] in ("copy", "deepcopy", "pickle") and _messages(
        ours, theirs, r"cannot pickle 'SSLContext' object", r"cannot pickle '_ssl\._SSLSocket' object", "TypeError"),
    # The stdlib's SSLSocket calls self._sslobj.<method> where swiftssl checks for None first:
    # after close() (getpeercert) or where there is no TLS (`context =` on an unconnected,
    # listening, unwrapped or closed socket) the stdlib raises AttributeError "'NoneType' object
    # has no attribute ...", swiftssl returns (None) or sets the context.
    "stdlib's AttributeError on a missing _sslobj": lambda call, ours, theirs: (
        _result(ours)[0] == "returned" and _result(theirs)[0] == "AttributeError"
        and _result(theirs)[2].startswith("'NoneType' object has no attribute")),
    # `session` of a TLS 1.2 client whose handshake started but did not finish: the stdlib
    # raises ValueError("i2d() failed"), swiftssl returns an SSLSession.
    "session in mid-handshake": lambda call, ours, theirs: (
        theirs[0] == "getting the target" and _result(theirs) == ("ValueError", None, "i2d() failed")
        and ours[0] != "getting the target"),
    # do_handshake(block=True) of a non-blocking socket that was closed: the stdlib first makes
    # it blocking, and settimeout() of a closed socket raises OSError(EBADF); swiftssl raises
    # AttributeError "'NoneType' object has no attribute 'do_handshake'" (the stdlib's answer
    # with block=False).
    "do_handshake(block=True) after close()": lambda call, ours, theirs: (
        call[1] == "do_handshake" and _result(theirs)[:2] == ("OSError", 9) and _result(ours)[0] == "AttributeError"),
    # The stdlib's quirk, not worth copying: a call on a socket whose connection failed reports
    # errno of an earlier failed system call (a read that would block: BlockingIOError EAGAIN)
    # where swiftssl reports what happened (SSLEOFError, or SSLSyscallError).
    "the stdlib's stale errno": lambda call, ours, theirs: (
        _result(theirs)[:2] == ("BlockingIOError", 11) and _result(ours)[0].startswith("SSL")),
}
