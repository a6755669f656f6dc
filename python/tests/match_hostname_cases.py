"""Every ``match_hostname(cert, hostname)`` case test_match_hostname.py runs, and the recorded
CPython 3.11 outcomes for them (python/tests/data/match_hostname_expected.json).

CPython 3.12 removed ``ssl.match_hostname``, so on 3.12+ the oracle is that recorded table; on
3.11 the tests run the live stdlib and check that it agrees with the table. The table is made by
python/tests/data/record_expectations.py under Python 3.11 from the lists below.

Only the standard library is imported here (no swiftssl, pytest or hypothesis), so the recorder
can run without the extension built.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import random
import types
import unittest

EXPECTATIONS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                                 "match_hostname_expected.json")


# -- the hand-written cases ---------------------------------------------------------------------

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

# (id, cert): no certificate at all; CPython raises ValueError.
EMPTY_CERTIFICATES = [("None", None), ("empty-dict", {}), ("empty-tuple", ()), ("empty-str", "")]

# (id, hostname): not a str.
NON_STR_HOSTNAME_CERT = san(("DNS", "example.com"))
NON_STR_HOSTNAMES = [("bytes", b"example.com"), ("None", None), ("int", 42)]

# Shapes getpeercert() never returns.
MALFORMED_HOSTNAME = "x.example"
MALFORMED = [
    {"subject": (((("commonName", "x.example"),),),)},          # one nesting level too many
    {"subject": ((("commonName",),),)},                         # attribute without a value
    {"subjectAltName": (("DNS", "x.example", "extra"),)},       # SAN entry of three
    {"subjectAltName": (("DNS",),)},                            # SAN entry of one
    {"subjectAltName": (("DNS", b"x.example"),)},               # bytes value
    {"subjectAltName": 42},                                     # not iterable
]

# CPython's three mismatch messages, spelled out in the test.
MESSAGE_CASES = [
    (san(("DNS", "a.example"), ("DNS", "b.example")), "c.example"),
    (cn("a.example"), "c.example"),
    ({"subject": ()}, "c.example"),
]

# The one intended difference: CPython 3.11 does not match a U-label hostname by its A-label.
U_LABEL_CASES = [(san(("DNS", "xn--bcher-kva.example")), "bücher.example")]

# What match_hostname reads (subject, subjectAltName) of the getpeercert() dict for conftest's
# ``server_cert`` (root_ca.issue("localhost", "127.0.0.1", "::1", common_name="localhost")).
REAL_PEER_CERT = {
    "subject": ((("organizationName", "swiftssl tests"),), (("commonName", "localhost"),)),
    "subjectAltName": (("DNS", "localhost"), ("IP Address", "127.0.0.1"),
                       ("IP Address", "0:0:0:0:0:0:0:1")),
}
REAL_PEER_HOSTNAMES = ["localhost", "LocalHost", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1",
                       "127.0.0.2", "other.example", "localhost.example"]


def hand_written_cases():
    """Every (cert, hostname) above, in a fixed order."""
    cases = list(TABLE)
    cases += [(cert, "example.com") for _, cert in EMPTY_CERTIFICATES]
    cases += [(NON_STR_HOSTNAME_CERT, hostname) for _, hostname in NON_STR_HOSTNAMES]
    cases += [(cert, MALFORMED_HOSTNAME) for cert in MALFORMED]
    cases += MESSAGE_CASES + U_LABEL_CASES
    cases += [(REAL_PEER_CERT, hostname) for hostname in REAL_PEER_HOSTNAMES]
    return cases


# -- the fuzz alphabet (shared by the hypothesis strategies and the recorded corpus) -----------

FUZZ_LABELS = ["a", "b", "example", "com", "xn--bcher-kva", "*", "a*", "*b", "w*w",
               "", "A", "EXAMPLE", "1", "127", "0", "ff", "::1", "\x00"]
FUZZ_ADDRESSES = ["127.0.0.1", "10.0.0.1", "0:0:0:0:0:0:0:1", "::1",
                  "2001:DB8:0:0:0:0:0:1", "2001:db8::1", "1.2.3", "::ffff:10.0.0.1"]
FUZZ_OTHER_KINDS = ["email", "URI", "othername"]


def fuzz_certificate(entries, common_names):
    cert = cn(*common_names)
    if entries:
        cert["subjectAltName"] = tuple(entries)
    return cert


def seeded_fuzz_cases(count, seed):
    """``count`` cases shaped like the hypothesis fuzz test's, from ``random.Random(seed)``.
    Only the recorder calls this; the tests read the cases back from the table."""
    generator = random.Random(seed)

    def dns_name():
        return ".".join(generator.choice(FUZZ_LABELS) for _ in range(generator.randint(1, 4)))

    def entry():
        kind = generator.randrange(3)
        if kind == 0:
            return ("DNS", dns_name())
        if kind == 1:
            return ("IP Address", generator.choice(FUZZ_ADDRESSES))
        return (generator.choice(FUZZ_OTHER_KINDS), dns_name())

    cases = []
    for _ in range(count):
        entries = [entry() for _ in range(generator.randint(0, 4))]
        common_names = [dns_name() for _ in range(generator.randint(0, 2))]
        hostname = dns_name() if generator.randrange(2) else generator.choice(FUZZ_ADDRESSES)
        cases.append((fuzz_certificate(entries, common_names), hostname))
    return cases


# -- CPython's own cases --------------------------------------------------------------------------

def record_cpython_cases(ssl_module):
    """Runs CPython's ``test.test_ssl.BasicSocketTests.test_match_hostname`` against a recording
    ``ssl`` and returns its (cert, hostname)s in call order. Returns a str (the reason) instead
    when this interpreter cannot: no ``ssl.match_hostname`` (3.12+, where that test was removed
    with it), or no ``test`` package (Debian's python3 without python3-test, for instance)."""
    if not hasattr(ssl_module, "match_hostname"):
        return "this interpreter's ssl has no match_hostname (removed in 3.12, with CPython's test of it)"
    try:
        from test import test_ssl
    except ImportError:
        return "this interpreter has no Lib/test/test_ssl.py (install its test package)"
    if not hasattr(test_ssl.BasicSocketTests, "test_match_hostname"):
        return "this interpreter's Lib/test/test_ssl.py has no BasicSocketTests.test_match_hostname"

    calls = []
    recorder = types.ModuleType("ssl")
    recorder.__getattr__ = lambda name: getattr(ssl_module, name)

    def match_hostname(cert, hostname):
        calls.append((copy.deepcopy(cert), hostname))
        return ssl_module.match_hostname(cert, hostname)
    recorder.match_hostname = match_hostname
    original = test_ssl.ssl
    test_ssl.ssl = recorder
    try:
        result = unittest.TestResult()
        test_ssl.BasicSocketTests("test_match_hostname").run(result)
    finally:
        test_ssl.ssl = original
    if not result.wasSuccessful():
        raise AssertionError(result.failures + result.errors)
    return calls


# -- the recorded table -----------------------------------------------------------------------------

def case_key(cert, hostname):
    """How a case is named in the table: the repr of each half (``ast.literal_eval`` reads it back)."""
    return repr(cert), repr(hostname)


def parse_case(cert_repr, hostname_repr):
    return ast.literal_eval(cert_repr), ast.literal_eval(hostname_repr)


def describe_stdlib_outcome(function):
    """What ``function()`` (a stdlib match_hostname call) did, as a JSON value: ``{"ok": true}`` or
    ``{"ok": false, "module": ..., "class": ..., "args": [...], "message": str(error)}``."""
    try:
        value = function()
    except Exception as error:  # the description is the record
        args = list(error.args)
        if json.loads(json.dumps(args)) != args:
            raise TypeError(f"exception arguments that JSON cannot hold: {error!r}")
        return {"ok": False, "module": type(error).__module__, "class": type(error).__name__,
                "args": args, "message": str(error)}
    if value is not None:
        raise AssertionError(f"match_hostname returned {value!r}, not None")
    return {"ok": True}


def load_expectations(path=EXPECTATIONS_PATH):
    """The table as {"recorded_with": {...}, "outcomes": {(cert_repr, hostname_repr): expected},
    "cpython_cases": [(cert, hostname), ...] (CPython's calls, in order), "hand_written_cases":
    [...], "fuzz_cases": [...]} (the last two deduplicated, in first-use order)."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    outcomes, cpython_cases, hand_written_cases, fuzz_cases = {}, [], [], []
    for record in document["outcomes"]:
        key = (record["cert"], record["hostname"])
        if key in outcomes:
            raise ValueError(f"{path}: case recorded twice: {key}")
        outcomes[key] = record["expected"]
        if "cpython" in record["used_by"]:
            cpython_cases.append(parse_case(*key))
        if "hand-written" in record["used_by"]:
            hand_written_cases.append(parse_case(*key))
        if "fuzz" in record["used_by"]:
            fuzz_cases.append(parse_case(*key))
    return {"recorded_with": document["recorded_with"], "outcomes": outcomes,
            "cpython_cases": cpython_cases, "hand_written_cases": hand_written_cases,
            "fuzz_cases": fuzz_cases}
