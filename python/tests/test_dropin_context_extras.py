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
from certificate_decoding_der import pem_block
from credential_loading_strategies import der_sequence_of_integers, ffdhe2048_prime, ffdhe2048_x942_pem
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


def test_load_dh_params_takes_x942_parameters_and_serves_dhe_with_them(root_ca, tmp_path):
    """An "X9.42 DH PARAMETERS" block (`openssl genpkey -algorithm DHX`) loads as in CPython;
    swiftssl decoded it as PKCS#3 and failed with "[ASN1] nested asn1 error"."""
    parameters = tmp_path / "x942.pem"
    parameters.write_bytes(ffdhe2048_x942_pem())
    stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_SERVER).load_dh_params(str(parameters))
    rsa_cert = root_ca.issue("localhost", common_name="localhost", key_type="rsa")
    server_context = _server_context(rsa_cert, tmp_path)
    server_context.load_dh_params(str(parameters))
    server_context.set_ciphers("DHE+AESGCM")
    server_context.maximum_version = swiftssl.TLSVersion.TLSv1_2
    client = stdlib_ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    cipher, errors = _handshake(server_context, client)
    assert errors == [] and cipher[0].startswith("DHE-")


FFDHE2048_DER = der_sequence_of_integers(ffdhe2048_prime(), 2)  # PKCS#3: p, g
DH_FILES_THAT_FAIL = {
    "DER cut in half": lambda root_ca: pem_block("DH PARAMETERS", FFDHE2048_DER[:130]),
    "DER one byte short": lambda root_ca: pem_block("DH PARAMETERS", FFDHE2048_DER[:-1]),
    "an empty block": lambda root_ca: pem_block("DH PARAMETERS", b""),
    "an empty SEQUENCE": lambda root_ca: pem_block("DH PARAMETERS", b"\x30\x00"),
    "one INTEGER": lambda root_ca: pem_block("DH PARAMETERS", b"\x30\x03\x02\x01\x05"),
    "PKCS#3 labelled X9.42": lambda root_ca: pem_block("X9.42 DH PARAMETERS", FFDHE2048_DER),
    "a certificate's DER": lambda root_ca: pem_block("DH PARAMETERS", stdlib_ssl.PEM_cert_to_DER_cert(
        root_ca.cert_pem.decode())),
    "no block": lambda root_ca: b"text\n",
}


@pytest.mark.parametrize("case", sorted(DH_FILES_THAT_FAIL))
def test_load_dh_params_fails_as_cpython_fails(case, root_ca, tmp_path):
    """Parameters that do not decode are CPython's "[PEM] ASN1 lib" (errno ERR_R_ASN1_LIB), an
    empty block its "unknown error" (errno 0): swiftssl reported the ASN.1 decoder's own entry
    ("[ASN1] nested asn1 error", "[ASN1: FIELD_MISSING]") and "no DH parameters in <path>"."""
    path = tmp_path / "dh.pem"
    path.write_bytes(DH_FILES_THAT_FAIL[case](root_ca))

    def attempt(module):
        with pytest.raises(module.SSLError) as raised:
            module.SSLContext(module.PROTOCOL_TLS_SERVER).load_dh_params(str(path))
        error = raised.value
        return error.errno, error.library, error.reason, str(error).split(" (")[0]
    assert attempt(swiftssl) == attempt(stdlib_ssl)


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

