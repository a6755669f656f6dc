"""SSLContext beyond the first slice: cert_store_stats, get_ca_certs, CRLs with verify_flags,
load_dh_params, set_ecdh_curve, num_tickets, keylog_filename, session_stats, with the stdlib
as the oracle where it helps."""

import datetime
import os
import ssl as stdlib_ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

import swiftssl
from tls_support import LoopbackServer


def _dh_parameters_file():
    """CPython's own test DH parameters (Lib/test/certdata/ffdh3072.pem), when installed."""
    import test
    path = os.path.join(os.path.dirname(test.__file__), "certdata", "ffdh3072.pem")
    if not os.path.exists(path):
        pytest.skip("this interpreter ships no Lib/test/certdata/ffdh3072.pem")
    return path


def _server_context(server_cert, tmp_path):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_cert.write(tmp_path, "server"))
    return context


def _handshake(server_context, client_context, hostname="localhost"):
    """One loopback connection; returns (client cipher, server errors)."""
    with LoopbackServer(lambda raw: server_context.wrap_socket(raw, server_side=True),
                        lambda tls: tls.sendall(b"ok")) as server:
        with client_context.wrap_socket(server.connect(), server_hostname=hostname) as tls:
            assert tls.recv(2) == b"ok"
            cipher = tls.cipher()
    return cipher, server.errors


@pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])
def test_cert_store_stats_and_get_ca_certs(module, root_ca, server_cert, tmp_path):
    context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    assert context.cert_store_stats() == {"x509": 0, "crl": 0, "x509_ca": 0}
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(server_cert.cert_pem)
    context.load_verify_locations(str(leaf))            # trusted, but not a CA
    assert context.cert_store_stats() == {"x509": 1, "crl": 0, "x509_ca": 0}
    assert context.get_ca_certs() == []
    context.load_verify_locations(cadata=root_ca.cert_pem.decode())
    assert context.cert_store_stats() == {"x509": 2, "crl": 0, "x509_ca": 1}
    [ca] = context.get_ca_certs()
    assert ("commonName", "swiftssl test root") in [pair for rdn in ca["subject"] for pair in rdn]
    assert context.get_ca_certs(True) == [root_ca.certificate.public_bytes(serialization.Encoding.DER)]


def _crl_pem(ca, revoked_serials):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.name)
               .last_update(now - datetime.timedelta(minutes=5))
               .next_update(now + datetime.timedelta(days=1)))
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("revoked", [False, True], ids=["not-revoked", "revoked"])
def test_crl_from_load_verify_locations_checks_the_leaf(revoked, root_ca, server_cert, tmp_path):
    crl = tmp_path / "root.crl"
    crl.write_bytes(_crl_pem(root_ca, [server_cert.certificate.serial_number] if revoked else []))
    results = {}
    for module in (swiftssl, stdlib_ssl):
        client = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(cadata=root_ca.cert_pem.decode())
        client.load_verify_locations(str(crl))          # a CA file holding only a CRL
        assert client.cert_store_stats()["crl"] == 1
        client.verify_flags |= module.VERIFY_CRL_CHECK_LEAF
        try:
            _handshake(_server_context(server_cert, tmp_path), client)
            results[module.__name__] = "ok"
        except module.SSLCertVerificationError as error:
            results[module.__name__] = error.verify_message
    assert results["swiftssl"] == results["ssl"] == ("certificate revoked" if revoked else "ok")


def test_crl_check_without_a_crl_fails_like_the_stdlib(root_ca, server_cert, tmp_path):
    client = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cadata=root_ca.cert_pem.decode())
    client.verify_flags |= swiftssl.VERIFY_CRL_CHECK_LEAF
    with pytest.raises(swiftssl.SSLCertVerificationError, match="unable to get certificate CRL"):
        _handshake(_server_context(server_cert, tmp_path), client)


def test_load_dh_params_enables_dhe(root_ca, tmp_path):
    # DHE suites authenticate with RSA: an RSA leaf for this one.
    rsa_cert = root_ca.issue("localhost", common_name="localhost", key_type="rsa")
    server_context = _server_context(rsa_cert, tmp_path)
    server_context.load_dh_params(_dh_parameters_file())
    server_context.set_ciphers("DHE+AESGCM")
    server_context.maximum_version = swiftssl.TLSVersion.TLSv1_2
    client = stdlib_ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    cipher, errors = _handshake(server_context, client)
    assert errors == [] and cipher[0].startswith("DHE-")


def test_load_dh_params_errors(server_cert, tmp_path):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_dh_params(os.fsencode(_dh_parameters_file()))
    with pytest.raises(TypeError):
        context.load_dh_params(None)
    with pytest.raises(FileNotFoundError):
        context.load_dh_params(str(tmp_path / "missing.pem"))
    not_parameters = tmp_path / "cert.pem"
    not_parameters.write_bytes(server_cert.combined_pem)
    with pytest.raises(swiftssl.SSLError) as raised:
        context.load_dh_params(str(not_parameters))
    assert (raised.value.library, raised.value.reason) == ("PEM", "NO_START_LINE")


def test_set_ecdh_curve(root_ca, server_cert, tmp_path):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.set_ecdh_curve("prime256v1")
    context.set_ecdh_curve(b"secp384r1")
    with pytest.raises(ValueError, match="unknown elliptic curve name"):
        context.set_ecdh_curve("foo")
    with pytest.raises(TypeError):
        context.set_ecdh_curve(1)
    # A server limited to one curve still talks to the stdlib over TLS 1.2 ECDHE.
    server_context = _server_context(server_cert, tmp_path)
    server_context.set_ecdh_curve("secp384r1")
    client = stdlib_ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    client.maximum_version = stdlib_ssl.TLSVersion.TLSv1_2
    cipher, errors = _handshake(server_context, client)
    assert errors == [] and cipher[0].startswith("ECDHE-")


def test_num_tickets():
    server = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    assert server.num_tickets == 2
    server.num_tickets = 1
    assert server.num_tickets == 1
    with pytest.raises(ValueError, match="non-negative"):
        server.num_tickets = -1
    with pytest.raises(TypeError):
        server.num_tickets = None
    client = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    assert client.num_tickets == 2
    with pytest.raises(ValueError, match="not a server context"):
        client.num_tickets = 1


def test_session_stats_count_accepts(root_ca, server_cert, tmp_path):
    server_context = _server_context(server_cert, tmp_path)
    assert set(server_context.session_stats()) == set(
        stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_SERVER).session_stats())
    client = stdlib_ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    _handshake(server_context, client)
    assert server_context.session_stats()["accept"] == 1


def _keylog_lines(path):
    with open(path) as handle:
        return handle.read().splitlines()


def test_keylog_filename_logs_like_the_stdlib(root_ca, server_cert, tmp_path):
    counts = {}
    for module in (swiftssl, stdlib_ssl):
        path = tmp_path / f"{module.__name__}.keylog"
        client = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(cadata=root_ca.cert_pem.decode())
        assert client.keylog_filename is None
        client.keylog_filename = str(path)
        assert client.keylog_filename == str(path)
        assert _keylog_lines(path) == ["# TLS secrets log file, generated by OpenSSL / Python"]
        _handshake(_server_context(server_cert, tmp_path), client)
        lines = _keylog_lines(path)
        counts[module.__name__] = len(lines)
        labels = {line.split()[0] for line in lines[1:]}
        assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in labels and "CLIENT_TRAFFIC_SECRET_0" in labels
        client.keylog_filename = None
        assert client.keylog_filename is None
    assert counts["swiftssl"] == counts["ssl"] == 6


def test_keylog_filename_errors(tmp_path):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(IsADirectoryError):
        context.keylog_filename = str(tmp_path)
    with pytest.raises(TypeError):
        context.keylog_filename = 1


def test_sslkeylogfile_environment(monkeypatch, tmp_path):
    path = tmp_path / "env.keylog"
    monkeypatch.setenv("SSLKEYLOGFILE", str(path))
    context = swiftssl.create_default_context()
    assert context.keylog_filename == str(path) and path.exists()


def test_msg_callback_sees_the_handshake_like_the_stdlib(root_ca, server_cert, tmp_path):
    seen = {}
    for module in (swiftssl, stdlib_ssl):
        messages = []

        def observe(connection, direction, version, content_type, msg_type, data, module=module):
            assert isinstance(connection, module.SSLSocket) and isinstance(data, bytes)
            messages.append((direction, version, content_type, msg_type))

        client = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(cadata=root_ca.cert_pem.decode())
        client.maximum_version = module.TLSVersion.TLSv1_2
        assert client._msg_callback is None
        client._msg_callback = observe
        assert client._msg_callback is observe
        with pytest.raises(TypeError):
            client._msg_callback = object()
        _handshake(_server_context(server_cert, tmp_path), client)
        seen[module.__name__] = [(d, int(v), int(c), int(m)) for d, v, c, m in messages]
        assert ("read", module.TLSVersion.TLSv1_2, module._TLSContentType.HANDSHAKE,
                module._TLSMessageType.SERVER_KEY_EXCHANGE) in messages
    assert seen["swiftssl"] == seen["ssl"]


def test_sni_callback_cycle_is_collected():
    import gc
    import weakref
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)

    def callback(sock, server_name, ctx, cycle=context):
        pass

    context.sni_callback = callback
    reference = weakref.ref(context)
    del context, callback
    gc.collect()
    assert reference() is None


def test_sni_callback_switches_context_and_can_be_removed(root_ca, server_cert, tmp_path):
    other = root_ca.issue("other.example", common_name="other.example")
    other_context = _server_context(other, tmp_path)      # each loads its files before the
    server_context = _server_context(server_cert, tmp_path)  # next one overwrites them
    names = []

    def pick(sock, server_name, ctx):
        names.append(server_name)
        sock.context = other_context

    server_context.sni_callback = pick
    client = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cadata=root_ca.cert_pem.decode())
    _, errors = _handshake(server_context, client, hostname="other.example")
    assert errors == [] and names == ["other.example"]
    server_context.sni_callback = None
    _, errors = _handshake(server_context, client, hostname="localhost")
    assert errors == [] and names == ["other.example"]


# -- differences test_context_differential.py found, each pinned here ------------------------------
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
