"""``swiftssl.match_hostname`` (python/swiftssl/_legacy.py over Sources/SwiftSSL/HostnameMatcher.swift).

CPython 3.11's ``ssl.match_hostname`` is the oracle: for every case both run, and the outcome
must be the same: success, or the same exception class and the same message. The cases are
CPython's own (recorded by running ``test.test_ssl.BasicSocketTests.test_match_hostname`` from
this interpreter's ``Lib/test/test_ssl.py`` against a recording ``ssl``), a hand-written table,
and a differential fuzz. The one intended difference (U-label hostnames are matched by their
A-label, DESIGN.md section 1) is tested on its own.
"""

import copy
import ssl
import types
import unittest

import pytest
from hypothesis import given, settings, strategies

import swiftssl
from tls_support import needs_stdlib_legacy_api, outcome

pytestmark = needs_stdlib_legacy_api


def both(cert, hostname):
    expected = outcome(lambda: ssl.match_hostname(cert, hostname))
    actual = outcome(lambda: swiftssl.match_hostname(cert, hostname))
    return expected, actual


def assert_same(cert, hostname):
    expected, actual = both(cert, hostname)
    assert actual["ok"] == expected["ok"], (cert, hostname, expected, actual)
    if not expected["ok"]:
        assert actual["class"] == expected["class"], (cert, hostname, expected, actual)
        assert actual["message"] == expected["message"], (cert, hostname)
        assert actual["error"].args == expected["error"].args, (cert, hostname)
        assert isinstance(actual["error"], type(expected["error"]))
    return expected


# -- CPython's own cases -----------------------------------------------------------------------

def record_cpython_cases():
    """Runs CPython's test_match_hostname with a recording ``ssl``; returns its (cert, hostname)s,
    or None when this interpreter ships without its test suite (Debian's python3 without
    python3-test, for instance)."""
    if not hasattr(ssl, "match_hostname"):
        return None
    try:
        from test import test_ssl
    except ImportError:
        return None

    calls = []
    recorder = types.ModuleType("ssl")
    recorder.__getattr__ = lambda name: getattr(ssl, name)

    def match_hostname(cert, hostname):
        calls.append((copy.deepcopy(cert), hostname))
        return ssl.match_hostname(cert, hostname)
    recorder.match_hostname = match_hostname
    original = test_ssl.ssl
    test_ssl.ssl = recorder
    try:
        result = unittest.TestResult()
        test_ssl.BasicSocketTests("test_match_hostname").run(result)
    finally:
        test_ssl.ssl = original
    assert result.wasSuccessful(), result.failures + result.errors
    return calls


CPYTHON_CASES = record_cpython_cases()
needs_cpython_tests = pytest.mark.skipif(
    CPYTHON_CASES is None, reason="this interpreter has no Lib/test/test_ssl.py (install its test package)")
CPYTHON_CASES = CPYTHON_CASES or []


@needs_cpython_tests
def test_cpython_cases_were_recorded():
    assert len(CPYTHON_CASES) >= 60
    assert ({"subject": ((("commonName", "example.com"),),)}, "example.com") in CPYTHON_CASES


@pytest.mark.parametrize("index", range(len(CPYTHON_CASES)))
def test_cpython_case(index):
    cert, hostname = CPYTHON_CASES[index]
    assert_same(cert, hostname)


# -- a hand-written table ---------------------------------------------------------------------

def san(*entries, subject=()):
    return {"subject": subject, "subjectAltName": tuple(entries)}


def cn(*names):
    return {"subject": tuple((("commonName", name),) for name in names)}


TABLE = [
    # wildcards
    (san(("DNS", "*.example.com")), "foo.example.com"),
    (san(("DNS", "*.example.com")), "FOO.EXAMPLE.COM"),
    (san(("DNS", "*.EXAMPLE.com")), "foo.example.COM"),
    (san(("DNS", "*.example.com")), "example.com"),
    (san(("DNS", "*.example.com")), "a.b.example.com"),
    (san(("DNS", "*.example.com")), ".example.com"),
    (san(("DNS", "*.example.com")), "*.example.com"),
    (san(("DNS", "*")), "localhost"),
    (san(("DNS", "*.com")), "example.com"),
    (san(("DNS", "f*.example.com")), "foo.example.com"),
    (san(("DNS", "*oo.example.com")), "foo.example.com"),
    (san(("DNS", "**.example.com")), "foo.example.com"),
    (san(("DNS", "*.*.example.com")), "a.b.example.com"),
    (san(("DNS", "foo.*.com")), "foo.bar.com"),
    (san(("DNS", "*.xn--bcher-kva.example")), "www.xn--bcher-kva.example"),
    (san(("DNS", "xn--*.example")), "xn--bcher-kva.example"),
    # several names: the message lists them all
    (san(("DNS", "a.example"), ("DNS", "b.example")), "c.example"),
    (san(("DNS", "a.example"), ("DNS", "b.example"), ("IP Address", "10.0.0.1")), "c.example"),
    (san(("DNS", "a.example"), ("DNS", "b.example")), "B.Example"),
    # commonName only when there is no dNSName SAN
    (san(("IP Address", "10.0.0.1"), subject=((("commonName", "cn.example"),),)), "cn.example"),
    (san(("DNS", "dns.example"), subject=((("commonName", "cn.example"),),)), "cn.example"),
    (san(("email", "a@cn.example"), subject=((("commonName", "cn.example"),),)), "cn.example"),
    (cn("one.example", "two.example"), "two.example"),
    (cn("one.example", "two.example"), "three.example"),
    ({"subject": ((("commonName", "x.example"), ("organizationName", "x.example")),)}, "x.example"),
    ({"subject": ((("organizationName", "x.example"),),)}, "x.example"),
    ({"subject": ()}, "x.example"),
    ({"subjectAltName": ()}, "x.example"),
    ({"issuer": ((("commonName", "x.example"),),)}, "x.example"),
    # IPv4
    (san(("IP Address", "127.0.0.1")), "127.0.0.1"),
    (san(("IP Address", "127.0.0.1")), "127.0.0.2"),
    (san(("IP Address", "127.0.0.1")), "127.1"),
    (san(("IP Address", "127.0.0.1")), "127.000.000.001"),
    (san(("IP Address", "127.0.0.1")), " 127.0.0.1"),
    (san(("DNS", "127.0.0.1")), "127.0.0.1"),
    (san(("IP Address", "10.0.0.1")), "localhost"),
    (cn("127.0.0.1"), "127.0.0.1"),
    (san(("IP Address", "not an address")), "127.0.0.1"),
    # IPv6: compared by value, in CPython's getpeercert format or any other
    (san(("IP Address", "0:0:0:0:0:0:0:1")), "::1"),
    (san(("IP Address", "0:0:0:0:0:0:0:1\n")), "::1"),
    (san(("IP Address", "::1")), "0:0:0:0:0:0:0:1"),
    (san(("IP Address", "2001:DB8:0:0:0:0:ABCD:1")), "2001:db8::abcd:1"),
    (san(("IP Address", "2001:DB8:0:0:0:0:ABCD:1")), "2001:db8::abcd:2"),
    (san(("IP Address", "::ffff:127.0.0.1")), "::ffff:7f00:1"),
    (san(("IP Address", "::ffff:127.0.0.1")), "127.0.0.1"),
    (san(("IP Address", "::1")), "::1%lo"),
    (san(("IP Address", "::1")), "[::1]"),
    # NUL bytes (CVE-2013-4073)
    (san(("DNS", "example.com\x00evil.com")), "example.com"),
    (san(("DNS", "example.com\x00evil.com")), "example.com\x00evil.com"),
    (san(("DNS", "example.com")), "example.com\x00evil.com"),
    (cn("example.com\x00evil.com"), "evil.com"),
    (san(("IP Address", "127.0.0.1")), "127.0.0.1\x00"),
    # odd hostnames and odd entries
    (san(("DNS", "example.com")), ""),
    (san(("DNS", "")), ""),
    (san(("DNS", "example.com")), "example.com."),
    (san(("DNS", "example.com.")), "example.com"),
    (san(("DNS", "example.com"), ("othername", "<unsupported>")), "<unsupported>"),
    (san(("URI", "https://example.com/")), "example.com"),
    (san(("DirName", ((("commonName", "example.com"),),))), "example.com"),
]


@pytest.mark.parametrize("cert,hostname", TABLE, ids=[repr(h) for _, h in TABLE])
def test_table_case(cert, hostname):
    assert_same(cert, hostname)


@pytest.mark.parametrize("cert", [None, {}, (), ""], ids=["None", "empty-dict", "empty-tuple", "empty-str"])
def test_empty_certificate_is_value_error_with_cpython_message(cert):
    expected = assert_same(cert, "example.com")
    assert expected["class"] == "ValueError"


@pytest.mark.parametrize("hostname", [b"example.com", None, 42], ids=["bytes", "None", "int"])
def test_non_str_hostname_fails_like_cpython(hostname):
    expected, actual = both(san(("DNS", "example.com")), hostname)
    assert not expected["ok"] and not actual["ok"]
    assert actual["class"] == expected["class"]


MALFORMED = [
    {"subject": (((("commonName", "x.example"),),),)},          # one nesting level too many
    {"subject": ((("commonName",),),)},                         # attribute without a value
    {"subjectAltName": (("DNS", "x.example", "extra"),)},       # SAN entry of three
    {"subjectAltName": (("DNS",),)},                            # SAN entry of one
    {"subjectAltName": (("DNS", b"x.example"),)},               # bytes value
    {"subjectAltName": 42},                                     # not iterable
]


@pytest.mark.parametrize("cert", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_certificate_dicts_fail_with_the_same_class(cert):
    """Shapes getpeercert() never returns: the exception class must match CPython's (its message
    is whatever Python's tuple unpacking said, which swiftssl does not imitate)."""
    expected, actual = both(cert, "x.example")
    assert expected["ok"] == actual["ok"]
    if not expected["ok"]:
        assert actual["class"] == expected["class"], (expected, actual)


def test_mismatch_messages_are_cpython_messages():
    expected = assert_same(san(("DNS", "a.example"), ("DNS", "b.example")), "c.example")
    assert expected["error"].args == ("hostname 'c.example' doesn't match either of 'a.example', 'b.example'",)
    expected = assert_same(cn("a.example"), "c.example")
    assert expected["error"].args == ("hostname 'c.example' doesn't match 'a.example'",)
    expected = assert_same({"subject": ()}, "c.example")
    assert expected["error"].args == ("no appropriate commonName or subjectAltName fields were found",)


def test_u_label_hostname_is_matched_by_its_a_label():
    """DESIGN.md: a U-label hostname is matched by its A-label (CPython 3.11 would not match)."""
    cert = san(("DNS", "xn--bcher-kva.example"))
    swiftssl.match_hostname(cert, "bücher.example")
    swiftssl.match_hostname(san(("DNS", "*.xn--bcher-kva.example")), "www.bücher.example")
    with pytest.raises(swiftssl.CertificateError):
        swiftssl.match_hostname(cert, "bucher.example")
    with pytest.raises(ssl.CertificateError):
        ssl.match_hostname(cert, "bücher.example")  # the stdlib difference this test documents


def test_certificate_error_is_the_verification_error_and_a_value_error():
    assert swiftssl.CertificateError is swiftssl.SSLCertVerificationError
    assert issubclass(swiftssl.CertificateError, ValueError)
    assert issubclass(swiftssl.CertificateError, ssl.CertificateError)
    with pytest.raises(ValueError) as caught:
        swiftssl.match_hostname(san(("DNS", "a.example")), "b.example")
    assert type(caught.value) is swiftssl.CertificateError


def test_real_peer_certificate_from_a_handshake(root_ca, server_cert, stdlib_server):
    """match_hostname on the dict getpeercert() returns, as the App Engine client does."""
    with stdlib_server(lambda tls: tls.recv(1)) as server:
        context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
        context.check_hostname = False
        with context.wrap_socket(server.connect()) as tls:
            cert = tls.getpeercert()
            tls.sendall(b".")
    for hostname in ("localhost", "LocalHost", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1",
                     "127.0.0.2", "other.example", "localhost.example"):
        assert_same(cert, hostname)
    swiftssl.match_hostname(cert, "localhost")
    with pytest.raises(swiftssl.CertificateError):
        swiftssl.match_hostname(cert, "other.example")


# -- differential fuzzing ----------------------------------------------------------------------

LABELS = strategies.sampled_from(["a", "b", "example", "com", "xn--bcher-kva", "*", "a*", "*b", "w*w",
                                  "", "A", "EXAMPLE", "1", "127", "0", "ff", "::1", "\x00"])
DNS_NAMES = strategies.lists(LABELS, min_size=1, max_size=4).map(".".join)
ADDRESSES = strategies.sampled_from(["127.0.0.1", "10.0.0.1", "0:0:0:0:0:0:0:1", "::1",
                                     "2001:DB8:0:0:0:0:0:1", "2001:db8::1", "1.2.3", "::ffff:10.0.0.1"])
ENTRIES = strategies.one_of(
    strategies.tuples(strategies.just("DNS"), DNS_NAMES),
    strategies.tuples(strategies.just("IP Address"), ADDRESSES),
    strategies.tuples(strategies.sampled_from(["email", "URI", "othername"]), DNS_NAMES),
)
HOSTNAMES = strategies.one_of(DNS_NAMES, ADDRESSES)


@settings(max_examples=400, deadline=None)
@given(entries=strategies.lists(ENTRIES, max_size=4),
       common_names=strategies.lists(DNS_NAMES, max_size=2),
       hostname=HOSTNAMES)
def test_fuzzed_certificates_match_like_cpython(entries, common_names, hostname):
    cert = cn(*common_names)
    if entries:
        cert["subjectAltName"] = tuple(entries)
    assert_same(cert, hostname)
