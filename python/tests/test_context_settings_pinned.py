"""SSLContext settings and module functions where test_context_differential.py's search once
found swiftssl and the stdlib apart: each case pinned, run on both libraries and compared."""

import ssl as stdlib_ssl

import pytest

import swiftssl


def _described(call):
    """(class, errno, str, filename) of what `call()` raised, or ("returned", value)."""
    try:
        return ("returned", call())
    except Exception as error:  # the description is what is compared
        message = str(error).replace(" (_ssl.c:", " (").split(" (")[0]
        return (type(error).__name__, getattr(error, "errno", None), message, getattr(error, "filename", None))


def _both(call):
    """`call(module)` described for each library: (swiftssl's, the stdlib's)."""
    return _described(lambda: call(swiftssl)), _described(lambda: call(stdlib_ssl))


def _client(module):
    return module.SSLContext(module.PROTOCOL_TLS_CLIENT)


def _server(module):
    return module.SSLContext(module.PROTOCOL_TLS_SERVER)


def _assigned(make, name, value):
    def call(module):
        context = make(module)
        setattr(context, name, value(module) if callable(value) else value)
        return int(getattr(context, name))
    return call


def _legacy_md5_description(module):
    context = _client(module)
    context.set_ciphers("NULL-MD5:@SECLEVEL=0")
    return [cipher["description"] for cipher in context.get_ciphers() if cipher["name"] == "NULL-MD5"]


SETTINGS_LIKE_THE_STDLIB = {
    # get_ciphers(): every key CPython's dicts have, and the description's padding kept.
    "get_ciphers": lambda module: _client(module).get_ciphers(),
    "get_ciphers of a legacy suite": _legacy_md5_description,
    # SSLError(message) with no errno, as CPython raises these two.
    "set_ciphers nothing": lambda module: _client(module).set_ciphers("bogus"),
    "ALPN name too long": lambda module: _client(module).set_alpn_protocols(["x" * 256]),
    # ALPN names are checked one by one in order, as bytes(name, "ascii").
    "ALPN non-ASCII": lambda module: _client(module).set_alpn_protocols(["h2", "\xe9"]),
    "ALPN not str": lambda module: _client(module).set_alpn_protocols([b"h2"]),
    "ALPN long then not str": lambda module: _client(module).set_alpn_protocols(["x" * 256, 7]),
    # The argument clinic's message.
    "set_ciphers(bytes)": lambda module: _client(module).set_ciphers(b"ALL"),
    "set_ciphers(None)": lambda module: _client(module).set_ciphers(None),
    "cadata without a certificate": lambda module: _client(module).load_verify_locations(cadata="no cert"),
    # Version bounds: a pinned context refuses before the value is looked at; %x of negatives.
    "pinned maximum_version = 0": _assigned(lambda m: m.SSLContext(m.PROTOCOL_TLSv1_2), "maximum_version", 0),
    "maximum_version = -3": _assigned(_client, "maximum_version", -3),
    "maximum_version = 2**32": _assigned(_client, "maximum_version", 2**32),
    "maximum_version = MINIMUM_SUPPORTED": _assigned(
        _client, "maximum_version", lambda m: m.TLSVersion.MINIMUM_SUPPORTED),
    "minimum_version = 'x'": _assigned(_client, "minimum_version", "x"),
    # Integers are integers: no str or float.
    "SSLContext('2')": lambda module: module.SSLContext("2").protocol,
    "SSLContext(2.0)": lambda module: module.SSLContext(2.0).protocol,
    "verify_mode = '1'": _assigned(_client, "verify_mode", "1"),
    "verify_mode = 1.0": _assigned(_server, "verify_mode", 1.0),
    "num_tickets = 2.5": _assigned(_server, "num_tickets", 2.5),
    "SSLContext(2**31)": lambda module: module.SSLContext(2**31),
    "verify_mode = 2**31": _assigned(_client, "verify_mode", 2**31),
    "verify_mode = -2**31 - 1": _assigned(_client, "verify_mode", -2**31 - 1),
    "verify_mode = 2**63": _assigned(_client, "verify_mode", 2**63),
    "num_tickets = 2**64": _assigned(_server, "num_tickets", 2**64),
    "minimum_version = 2**63": _assigned(_client, "minimum_version", 2**63),
    "verify_flags = -1": _assigned(_client, "verify_flags", -1),
    "verify_flags = 2**64 + 5": _assigned(_client, "verify_flags", 2**64 + 5),
    "security_level = 0": _assigned(_client, "security_level", 0),
    # set_ecdh_curve: a NUL is refused; the name is shown as given.
    "set_ecdh_curve NUL": lambda module: _server(module).set_ecdh_curve("prime256v1\0"),
    "set_ecdh_curve bytes": lambda module: _server(module).set_ecdh_curve(b"bogus"),
    "set_servername_callback(42) on a client context": lambda module: _client(module).set_servername_callback(42),
    # Found by a search over module-level functions and argument types.
    "create_default_context(None)": lambda module: module.create_default_context(None),
    "create_default_context(0)": lambda module: module.create_default_context(0),
    "_create_unverified_context(purpose=None)": lambda module: module._create_unverified_context(purpose=None),
    "wrap_bio(None, None)": lambda module: _client(module).wrap_bio(None, None),
    "wrap_bio(MemoryBIO(), 42)": lambda module: _server(module).wrap_bio(module.MemoryBIO(), 42, server_side=True),
    "server_hostname with a NUL": lambda module: _client(module).wrap_bio(
        module.MemoryBIO(), module.MemoryBIO(), server_hostname="a\0b"),
    "MemoryBIO().read(None)": lambda module: module.MemoryBIO().read(None),
    "MemoryBIO().read(2**40)": lambda module: module.MemoryBIO().read(2**40),
    "RAND_bytes(None)": lambda module: module.RAND_bytes(None),
    "RAND_bytes(2**31)": lambda module: module.RAND_bytes(2**31),
    "RAND_bytes(-2**31 - 1)": lambda module: module.RAND_bytes(-2**31 - 1),
    "DER_cert_to_PEM_cert(b'')": lambda module: module.DER_cert_to_PEM_cert(b""),
    "capath of a wrong type": lambda module: _client(module).load_verify_locations(capath=bytearray(b"x")),
    "cadata with a lone surrogate": lambda module: _client(module).load_verify_locations(cadata="\udce3"),
}


@pytest.mark.parametrize("case", SETTINGS_LIKE_THE_STDLIB)
def test_a_setting_behaves_like_the_stdlibs(case):
    ours, theirs = _both(SETTINGS_LIKE_THE_STDLIB[case])
    assert ours == theirs


@pytest.mark.parametrize("protocol", ["PROTOCOL_TLS", "PROTOCOL_TLSv1_2"])
def test_minimum_version_sslv3_clears_op_no_sslv3_as_ssl_py_does(protocol):
    def call(module):
        context = module.SSLContext(getattr(module, protocol))
        try:
            context.minimum_version = module.TLSVersion.SSLv3
        except ValueError:
            pass
        return bool(context.options & module.OP_NO_SSLv3)
    assert _both(call) == (("returned", False), ("returned", False))


def test_a_keylog_filename_with_a_nul_is_refused_and_opens_nothing(tmp_path):
    """fopen() would stop at the NUL and open "a.log": the name given is not the file opened."""
    for module in (swiftssl, stdlib_ssl):
        directory = tmp_path / module.__name__
        directory.mkdir()
        with pytest.raises(ValueError, match="embedded null byte"):
            _client(module).keylog_filename = str(directory / "a.log") + "\0"
        assert list(directory.iterdir()) == []


def test_a_failed_keylog_filename_names_the_file_and_leaves_none_set(tmp_path):
    def call(module):
        directory = tmp_path / module.__name__
        directory.mkdir()
        context = _client(module)
        context.keylog_filename = str(directory / "b.log")
        try:
            context.keylog_filename = str(directory)
        except OSError as error:
            return type(error).__name__, error.errno, error.filename == str(directory), context.keylog_filename
    assert _both(call) == (("returned", ("IsADirectoryError", 21, True, None)),) * 2


def test_a_refused_sni_callback_leaves_none_set():
    def call(module):
        context = _server(module)
        context.sni_callback = print
        try:
            context.sni_callback = 42
        except TypeError as error:
            return str(error), context.sni_callback
    assert _both(call) == (("returned", ("not a callable object", None)),) * 2


def test_set_servername_callback_wraps_the_callback_as_ssl_py_does():
    def call(module):
        context = _server(module)
        context.set_servername_callback(print)
        return context.sni_callback is print, callable(context.sni_callback)
    assert _both(call) == (("returned", (False, True)),) * 2
