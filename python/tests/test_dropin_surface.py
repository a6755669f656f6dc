"""The names of 3.11's ssl and _ssl that CPython's test_ssl.py touches, checked against the
stdlib module of the running interpreter: enums, _ASN1Object, the _ssl stand-in, private helpers,
password callbacks that raise, cadata errors, hostnames with NUL."""

import enum
import ssl as stdlib_ssl
import sys
import warnings

import pytest

import swiftssl
import swiftssl._ssl as swift_underscore_ssl


@pytest.mark.parametrize("name", ["_SSLMethod", "Options", "TLSVersion", "VerifyMode", "VerifyFlags",
                                  "AlertDescription", "SSLErrorNumber", "_TLSContentType",
                                  "_TLSAlertType", "_TLSMessageType"])
def test_enums_have_the_stdlib_members_in_the_stdlib_order(name):
    ours, theirs = getattr(swiftssl, name), getattr(stdlib_ssl, name)
    stdlib_members = [(member.name, member.value) for member in theirs]
    our_members = [(member.name, member.value) for member in ours]
    if name == "Options" and sys.version_info < (3, 12):
        # swiftssl names OP_LEGACY_SERVER_CONNECT and OP_ENABLE_KTLS on every version (README).
        our_members = [m for m in our_members if m[0] not in ("OP_LEGACY_SERVER_CONNECT", "OP_ENABLE_KTLS")]
    assert our_members == stdlib_members
    assert issubclass(ours, enum.IntFlag if issubclass(theirs, enum.IntFlag) else enum.IntEnum)


def test_protocol_names_are_keyed_by_enum_members():
    assert swiftssl._PROTOCOL_NAMES == stdlib_ssl._PROTOCOL_NAMES
    assert all(isinstance(key, swiftssl._SSLMethod) for key in swiftssl._PROTOCOL_NAMES)


def test_asn1_objects_match_the_stdlib():
    for oid in ("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "2.5.4.3"):
        assert tuple(swiftssl._ASN1Object(oid)) == tuple(stdlib_ssl._ASN1Object(oid))
    for nid in (13, 129, 130, 1):
        assert tuple(swiftssl._ASN1Object.fromnid(nid)) == tuple(stdlib_ssl._ASN1Object.fromnid(nid))
    for name in ("serverAuth", "TLS Web Client Authentication", "commonName"):
        assert tuple(swiftssl._ASN1Object.fromname(name)) == tuple(stdlib_ssl._ASN1Object.fromname(name))
    # A name is not an OID; an OID OpenSSL has no NID for is "Unknown object", as in the stdlib.
    for bad in ("serverAuth", "1.2.3.4.5.6.7.8.9.10.11"):
        with pytest.raises(ValueError):
            stdlib_ssl._ASN1Object(bad)
        with pytest.raises(ValueError):
            swiftssl._ASN1Object(bad)
    with pytest.raises(ValueError, match="NID must be positive"):
        swiftssl._ASN1Object.fromnid(-1)
    with pytest.raises(ValueError, match="unknown NID"):
        swiftssl._ASN1Object.fromnid(100000)
    assert swiftssl.Purpose.SERVER_AUTH == swiftssl._ASN1Object("1.3.6.1.5.5.7.3.1")
    assert tuple(swiftssl.Purpose.CLIENT_AUTH) == tuple(stdlib_ssl.Purpose.CLIENT_AUTH)


def test_underscore_ssl_stand_in_has_the_integers_test_ssl_reads():
    for name in ("PROTO_MINIMUM_SUPPORTED", "PROTO_TLSv1_3", "PROTO_MAXIMUM_SUPPORTED", "OP_ALL",
                 "CERT_REQUIRED", "VERIFY_X509_STRICT", "ALERT_DESCRIPTION_UNKNOWN_CA",
                 "SSL_ERROR_EOF", "PROTOCOL_TLS_CLIENT", "ENCODING_PEM", "ENCODING_DER",
                 "HOSTFLAG_NEVER_CHECK_SUBJECT", "HAS_SNI", "OPENSSL_VERSION_INFO"):
        assert getattr(swift_underscore_ssl, name) == getattr(stdlib_ssl._ssl, name), name
    assert swiftssl._ssl is swift_underscore_ssl
    # As in CPython, _ssl._SSLContext is what ssl.SSLContext is built on.
    assert stdlib_ssl.SSLContext.__bases__ == (stdlib_ssl._ssl._SSLContext,)
    assert swiftssl.SSLContext.__bases__ == (swift_underscore_ssl._SSLContext,)
    assert swift_underscore_ssl.SSLError is swiftssl.SSLError
    with pytest.raises(TypeError):
        swift_underscore_ssl.SSLSession()
    with pytest.raises(TypeError):
        swift_underscore_ssl.Certificate()
    decoded = swift_underscore_ssl._test_decode_cert
    assert callable(decoded)


def test_private_helpers_match_the_stdlib():
    for address in ("127.0.0.1", "::1", "2001:db8::1"):
        assert swiftssl._inet_paton(address) == stdlib_ssl._inet_paton(address)
    for bad in ("127.1", "127.0.0.1 whatever", "example.com", "::1::"):
        with pytest.raises(ValueError):
            swiftssl._inet_paton(bad)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data, cryptographic = swiftssl.RAND_pseudo_bytes(16)
    assert len(data) == 16 and cryptographic is True
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    assert swiftssl._OPENSSL_API_VERSION[:2] == stdlib_ssl._OPENSSL_API_VERSION[:2]


def test_password_callback_exception_propagates(server_cert, tmp_path):
    path = tmp_path / "encrypted.pem"
    path.write_bytes(server_cert.chain_pem + server_cert.encrypted_key_pem(b"secret"))

    def refuse():
        raise LookupError("no password today")

    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(LookupError, match="no password today"):
        context.load_cert_chain(str(path), password=refuse)


@pytest.mark.parametrize("cadata, message", [
    ("broken", "no start line: cadata does not contain a certificate"),
    (b"broken", "not enough data: cadata does not contain a certificate"),
])
def test_cadata_errors_read_like_the_stdlib(cadata, message):
    for module in (swiftssl, stdlib_ssl):
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        with pytest.raises(module.SSLError, match=message):
            context.load_verify_locations(cadata=cadata)


def test_server_hostname_with_nul_is_a_type_error():
    context = swiftssl.create_default_context()
    with pytest.raises(TypeError):
        context.wrap_bio(swiftssl.MemoryBIO(), swiftssl.MemoryBIO(), server_hostname="example.org\x00evil.com")
    with pytest.raises(ValueError):
        context.wrap_bio(swiftssl.MemoryBIO(), swiftssl.MemoryBIO(), server_hostname=".example.org")


def test_options_setter_wants_an_integer():
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(TypeError):
        context.options = "abc"


def test_load_default_certs_checks_its_purpose():
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    context.load_default_certs()
    context.load_default_certs(swiftssl.Purpose.CLIENT_AUTH)
    with pytest.raises(TypeError):
        context.load_default_certs(None)
    with pytest.raises(TypeError):
        context.load_default_certs("SERVER_AUTH")


@pytest.mark.parametrize("code", [2, 3, 4, 5, 16, 17, 99, -1])
def test_get_protocol_name_matches_stdlib(code):
    assert swiftssl.get_protocol_name(code) == stdlib_ssl.get_protocol_name(code)


@pytest.mark.parametrize("module", [stdlib_ssl, swiftssl], ids=["stdlib", "swiftssl"])
def test_a_subclass_whose_init_skips_ours_still_has_every_callback_attribute(module):
    """Subclasses that override __init__ without calling it (the stdlib's __init__ does nothing)
    read sni_callback, keylog_filename and _msg_callback as None; swiftssl's used to raise
    AttributeError for sni_callback, which it kept in an attribute its __init__ set."""
    class QuietContext(module.SSLContext):
        def __init__(self, *arguments, **keywords):
            pass

    context = QuietContext(module.PROTOCOL_TLS_SERVER)
    assert (context.sni_callback, context.keylog_filename, context._msg_callback) == (None, None, None)
    context.sni_callback = lambda *_: None
    assert context.sni_callback is not None
