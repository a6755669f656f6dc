"""``MemoryBIO`` (Sources/SwiftSSLPython/MemoryBufferMethods.swift over
Sources/SwiftSSL/TLSMemoryBuffer.swift) behaves as the stdlib's for any sequence of operations:
the same bytes in the same pieces, the same ``pending`` and ``eof``, the same exceptions."""

import ssl as stdlib_ssl

import pytest
from hypothesis import given, settings, strategies as st

import swiftssl

OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("write"), st.binary(max_size=300)),
    st.tuples(st.just("write_large"), st.integers(min_value=1, max_value=300_000)),
    st.tuples(st.just("read"), st.one_of(st.none(), st.integers(min_value=-2, max_value=400_000))),
    st.tuples(st.just("write_eof"), st.none()),
), max_size=25)


def _outcome(bio, operation, argument):
    try:
        if operation == "write":
            result = bio.write(argument)
        elif operation == "write_large":
            result = bio.write(bytes(range(256)) * (argument // 256) + b"x" * (argument % 256))
        elif operation == "read":
            result = bio.read() if argument is None else bio.read(argument)
        else:
            result = bio.write_eof()
    except Exception as error:  # the kind is what must match (SSLError from both modules)
        result = ("raised", type(error).__name__)
    return result, bio.pending, bio.eof


@settings(max_examples=150, deadline=None)
@given(OPERATIONS)
def test_any_sequence_of_operations_matches_the_stdlib(operations):
    ours, theirs = swiftssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
    for operation, argument in operations:
        assert _outcome(ours, operation, argument) == _outcome(theirs, operation, argument), operation


def test_a_large_read_returns_exact_bytes():
    # Sized to what is buffered, not to the size asked for, and not zero-padded.
    bio = swiftssl.MemoryBIO()
    payload = bytes(range(256)) * 1024 + b"tail"
    bio.write(payload)
    assert bio.read(10) == payload[:10]
    rest = bio.read(1 << 30)
    assert type(rest) is bytes and rest == payload[10:]
    assert bio.read() == b"" and bio.pending == 0


@pytest.mark.parametrize("library", [swiftssl, stdlib_ssl], ids=["swiftssl", "ssl"])
def test_memorybio_cannot_be_subclassed(library):
    """As CPython's: swiftssl's took a subclass and then never called its read() or write()
    (connections use the native buffer), so an override was silently ignored."""
    with pytest.raises(TypeError, match="is not an acceptable base type"):
        type("LoggingBIO", (library.MemoryBIO,), {"write": lambda self, data: 0})
