"""atheris target: certificates, keys, CAs and passwords from memory.

Input layout (make_seeds.py writes seeds in it): byte 0 picks the operation, byte 1 the Python
form of the content (bytes, bytearray, memoryview, str, or a file-like object), byte 2 is the
password length, then the password, then the content. Content that does not contain
``-----BEGIN`` is always passed as a file-like object, so fuzzed bytes are never taken as a path.

Operations: load_cert_chain(content) with and without a password (as bytes, str, or a callback
returning bytes, str or junk), load_cert_chain(certfile, keyfile) with the content split in two,
load_verify_locations(cadata=str/bytes, cafile=file-like), and the certificate decoder behind
getpeercert() (``_swiftssl._test_decode_cert``).
"""

import io

from _harness import import_swiftssl, run

swiftssl = import_swiftssl()

EXPECTED = (swiftssl.SSLError, OSError, ValueError, TypeError)
PEM_MARKER = b"-----BEGIN"


def as_form(blob: bytes, form: int):
    """``blob`` as one of the Python forms credential arguments accept."""
    if PEM_MARKER not in blob:
        return io.StringIO(blob.decode("latin-1")) if form % 2 else io.BytesIO(blob)
    return [bytes, bytearray, memoryview, lambda b: b.decode("latin-1"), io.BytesIO,
            lambda b: io.StringIO(b.decode("latin-1"))][form % 6](blob)


def as_password(password: bytes, form: int):
    choice = form // 8 % 6
    if choice == 0:
        return password
    if choice == 1:
        return password.decode("latin-1")
    if choice == 2:
        return bytearray(password)
    if choice == 3:
        return lambda: password
    if choice == 4:
        return lambda: password.decode("latin-1")
    return lambda: len(password)  # a callback returning junk: TypeError


def test_one_input(data: bytes) -> None:
    if len(data) < 3:
        return
    operation, form, password_length = data[0], data[1], data[2]
    password = data[3:3 + password_length]
    blob = data[3 + password_length:]
    try:
        operation %= 8
        if operation in (0, 1, 2, 6):
            context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
            if operation == 0:
                context.load_cert_chain(as_form(blob, form))
            elif operation == 1:
                context.load_cert_chain(as_form(blob, form), password=as_password(password, form))
            elif operation == 2:
                middle = len(blob) // 2
                context.load_cert_chain(as_form(blob[:middle], form), as_form(blob[middle:], form // 2),
                                        password=as_password(password, form))
            else:
                context.load_cert_chain(io.BytesIO(blob), password=as_password(password, form))
        elif operation in (3, 4, 5):
            context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
            if operation == 3:
                context.load_verify_locations(cadata=blob.decode("latin-1"))
            elif operation == 4:
                context.load_verify_locations(cadata=[bytes, bytearray, memoryview][form % 3](blob))
            else:
                context.load_verify_locations(cafile=as_form(blob, form))
            context.get_ca_certs()
            context.get_ca_certs(binary_form=True)
        else:
            decoded = swiftssl._swiftssl._test_decode_cert(as_form(blob, form))
            assert isinstance(decoded, dict)
    except EXPECTED:
        pass


if __name__ == "__main__":
    run(test_one_input)
