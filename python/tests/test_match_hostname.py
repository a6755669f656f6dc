"""``swiftssl.match_hostname`` (python/swiftssl/_legacy.py over Sources/SwiftSSL/HostnameMatcher.swift).

CPython 3.11's ``ssl.match_hostname`` is the oracle: for every case the outcome must be the same:
success, or the same exception class and the same message. The cases are CPython's own (the calls
``test.test_ssl.BasicSocketTests.test_match_hostname`` makes), a hand-written table, and a
differential fuzz. The one intended difference (U-label hostnames are matched by their A-label,
DESIGN.md section 1) is tested on its own.

CPython 3.12 removed ``ssl.match_hostname`` (and its test). So the oracle is the interpreter's own
stdlib where it still has the function (3.11), and there every case is also checked against
python/tests/data/match_hostname_expected.json, 3.11's recorded outcomes; on 3.12+ that table is
the oracle. The case lists live in match_hostname_cases.py, which the recorder
(python/tests/data/record_expectations.py, run with Python 3.11) reads too. Fuzzing against a live
oracle is possible on 3.11 only; 3.12+ replays the recorded fuzz corpus and fuzzes invariants.
"""

import copy
import importlib
import re
import ssl
import warnings

import pytest
from hypothesis import given, settings, strategies

import match_hostname_cases as cases
import swiftssl
from match_hostname_cases import (EMPTY_CERTIFICATES, MALFORMED, MALFORMED_HOSTNAME,
                                  NON_STR_HOSTNAME_CERT, NON_STR_HOSTNAMES, REAL_PEER_CERT,
                                  REAL_PEER_HOSTNAMES, TABLE, cn, san)
from tls_support import outcome, without_location

EXPECTATIONS = cases.load_expectations()

# The interpreter's own stdlib is the oracle where it still has match_hostname (up to 3.11).
LIVE_ORACLE = hasattr(ssl, "match_hostname")
needs_live_oracle = pytest.mark.skipif(
    not LIVE_ORACLE, reason="compares with the live stdlib ssl.match_hostname, which exists only up to "
                            "Python 3.11 (3.12+ uses the recorded table instead)")


def recorded_outcome(cert, hostname):
    key = cases.case_key(cert, hostname)
    if key not in EXPECTATIONS["outcomes"]:
        pytest.fail(f"case not in {cases.EXPECTATIONS_PATH}; re-run python/tests/data/record_expectations.py "
                    f"with Python 3.11: {key}")
    return EXPECTATIONS["outcomes"][key]


def live_outcome(cert, hostname):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.11 deprecates it
        return cases.describe_stdlib_outcome(lambda: ssl.match_hostname(cert, hostname))


def expected_outcome(cert, hostname, recorded=True):
    """CPython 3.11's outcome, as match_hostname_cases.describe_stdlib_outcome describes it: the live
    stdlib's where it exists, asserted equal to the recorded one (so the table cannot drift), else the
    recorded one. ``recorded=False`` for cases outside the table (live oracle only)."""
    table = recorded_outcome(cert, hostname) if recorded else None
    if not LIVE_ORACLE:
        return table
    live = live_outcome(cert, hostname)
    if recorded:
        assert live == table, ("the recorded table disagrees with this interpreter's stdlib; re-run "
                               "python/tests/data/record_expectations.py", cert, hostname, live, table)
    return live


def stdlib_class(expected):
    return getattr(importlib.import_module(expected["module"]), expected["class"])


def both(cert, hostname, recorded=True):
    expected = expected_outcome(cert, hostname, recorded)
    actual = outcome(lambda: swiftssl.match_hostname(cert, hostname))
    return expected, actual


def assert_same(cert, hostname, recorded=True):
    expected, actual = both(cert, hostname, recorded)
    assert actual["ok"] == expected["ok"], (cert, hostname, expected, actual)
    if expected["ok"]:
        assert actual["value"] is None, (cert, hostname, actual)
    else:
        assert actual["class"] == expected["class"], (cert, hostname, expected, actual)
        assert actual["message"] == without_location(expected["message"]), (cert, hostname)
        assert actual["error"].args == tuple(expected["args"]), (cert, hostname)
        assert isinstance(actual["error"], stdlib_class(expected))
    return expected


# -- the recorded table itself -------------------------------------------------------------------

def test_table_holds_exactly_the_hand_written_cases():
    """A case added to match_hostname_cases.py needs a re-run of the recorder (and one removed, too)."""
    used = {cases.case_key(*case) for case in cases.hand_written_cases()}
    recorded = {cases.case_key(*case) for case in EXPECTATIONS["hand_written_cases"]}
    assert used == recorded, ("re-run python/tests/data/record_expectations.py with Python 3.11",
                              used - recorded, recorded - used)
    assert EXPECTATIONS["recorded_with"]["python"].startswith("3.11.")
    assert len(EXPECTATIONS["fuzz_cases"]) >= 250


@needs_live_oracle
def test_whole_table_agrees_with_the_live_stdlib():
    disagreements = []
    for (cert_repr, hostname_repr), expected in EXPECTATIONS["outcomes"].items():
        cert, hostname = cases.parse_case(cert_repr, hostname_repr)
        live = live_outcome(cert, hostname)
        if live != expected:
            disagreements.append((cert_repr, hostname_repr, live, expected))
    assert disagreements == []


# -- CPython's own cases -----------------------------------------------------------------------

CPYTHON_CASES = EXPECTATIONS["cpython_cases"]
LIVE_CPYTHON_CASES = cases.record_cpython_cases(ssl)  # a list, or why this interpreter cannot


@pytest.mark.skipif(isinstance(LIVE_CPYTHON_CASES, str), reason=str(LIVE_CPYTHON_CASES))
def test_recorded_cpython_cases_are_what_test_ssl_calls():
    assert LIVE_CPYTHON_CASES == CPYTHON_CASES


def test_cpython_cases_were_recorded():
    assert len(CPYTHON_CASES) >= 60
    assert ({"subject": ((("commonName", "example.com"),),)}, "example.com") in CPYTHON_CASES


@pytest.mark.parametrize("index", range(len(CPYTHON_CASES)))
def test_cpython_case(index):
    cert, hostname = CPYTHON_CASES[index]
    assert_same(cert, hostname)


# -- a hand-written table ---------------------------------------------------------------------

@pytest.mark.parametrize("cert,hostname", TABLE, ids=[repr(h) for _, h in TABLE])
def test_table_case(cert, hostname):
    assert_same(cert, hostname)


@pytest.mark.parametrize("cert", [cert for _, cert in EMPTY_CERTIFICATES],
                         ids=[name for name, _ in EMPTY_CERTIFICATES])
def test_empty_certificate_is_value_error_with_cpython_message(cert):
    expected = assert_same(cert, "example.com")
    assert expected["class"] == "ValueError"


@pytest.mark.parametrize("hostname", [hostname for _, hostname in NON_STR_HOSTNAMES],
                         ids=[name for name, _ in NON_STR_HOSTNAMES])
def test_non_str_hostname_fails_like_cpython(hostname):
    expected, actual = both(NON_STR_HOSTNAME_CERT, hostname)
    assert not expected["ok"] and not actual["ok"]
    assert (actual["class"], actual["message"]) == (expected["class"], expected["message"])


@pytest.mark.parametrize("cert", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_certificate_dicts_fail_with_the_same_class(cert):
    """Shapes getpeercert() never returns: the exception class must match CPython's (its message
    is whatever Python's tuple unpacking said, which swiftssl does not imitate)."""
    expected, actual = both(cert, MALFORMED_HOSTNAME)
    assert expected["ok"] == actual["ok"]
    if not expected["ok"]:
        assert actual["class"] == expected["class"], (expected, actual)


def test_mismatch_messages_are_cpython_messages():
    expected = assert_same(san(("DNS", "a.example"), ("DNS", "b.example")), "c.example")
    assert expected["args"] == ["hostname 'c.example' doesn't match either of 'a.example', 'b.example'"]
    expected = assert_same(cn("a.example"), "c.example")
    assert expected["args"] == ["hostname 'c.example' doesn't match 'a.example'"]
    expected = assert_same({"subject": ()}, "c.example")
    assert expected["args"] == ["no appropriate commonName or subjectAltName fields were found"]


def test_u_label_hostname_is_matched_by_its_a_label():
    """DESIGN.md: a U-label hostname is matched by its A-label (CPython 3.11 would not match)."""
    cert = san(("DNS", "xn--bcher-kva.example"))
    swiftssl.match_hostname(cert, "bücher.example")
    swiftssl.match_hostname(san(("DNS", "*.xn--bcher-kva.example")), "www.bücher.example")
    with pytest.raises(swiftssl.CertificateError):
        swiftssl.match_hostname(cert, "bucher.example")
    stdlib = expected_outcome(cert, "bücher.example")  # the stdlib difference this test documents
    assert not stdlib["ok"] and stdlib_class(stdlib) is ssl.CertificateError


def test_certificate_error_is_the_verification_error_and_a_value_error():
    assert swiftssl.CertificateError is swiftssl.SSLCertVerificationError
    assert issubclass(swiftssl.CertificateError, ValueError)
    assert issubclass(swiftssl.CertificateError, ssl.CertificateError)
    with pytest.raises(ValueError) as caught:
        swiftssl.match_hostname(san(("DNS", "a.example")), "b.example")
    assert type(caught.value) is swiftssl.CertificateError


def test_real_peer_certificate_from_a_handshake(root_ca, server_cert, stdlib_server):
    """match_hostname on the dict getpeercert() returns, as the App Engine client does. The table
    holds the part match_hostname reads (subject, subjectAltName); on 3.11 the whole dict is also
    compared with the live stdlib."""
    with stdlib_server(lambda tls: tls.recv(1)) as server:
        context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
        context.check_hostname = False
        with context.wrap_socket(server.connect()) as tls:
            cert = tls.getpeercert()
            tls.sendall(b".")
    assert {key: cert[key] for key in ("subject", "subjectAltName")} == REAL_PEER_CERT
    assert len(cert) > len(REAL_PEER_CERT)  # notBefore, serialNumber, ...: not what matching reads
    for hostname in REAL_PEER_HOSTNAMES:
        assert_same(REAL_PEER_CERT, hostname)
        if LIVE_ORACLE:
            assert_same(cert, hostname, recorded=False)
            assert live_outcome(cert, hostname) == live_outcome(REAL_PEER_CERT, hostname)
    swiftssl.match_hostname(cert, "localhost")
    with pytest.raises(swiftssl.CertificateError):
        swiftssl.match_hostname(cert, "other.example")


# -- differential fuzzing ----------------------------------------------------------------------

LABELS = strategies.sampled_from(cases.FUZZ_LABELS)
DNS_NAMES = strategies.lists(LABELS, min_size=1, max_size=4).map(".".join)
ADDRESSES = strategies.sampled_from(cases.FUZZ_ADDRESSES)
ENTRIES = strategies.one_of(
    strategies.tuples(strategies.just("DNS"), DNS_NAMES),
    strategies.tuples(strategies.just("IP Address"), ADDRESSES),
    strategies.tuples(strategies.sampled_from(cases.FUZZ_OTHER_KINDS), DNS_NAMES),
)
HOSTNAMES = strategies.one_of(DNS_NAMES, ADDRESSES)
FUZZ_CERTIFICATES = strategies.builds(cases.fuzz_certificate, strategies.lists(ENTRIES, max_size=4),
                                      strategies.lists(DNS_NAMES, max_size=2))


@needs_live_oracle
@settings(max_examples=400, deadline=None)
@given(cert=FUZZ_CERTIFICATES, hostname=HOSTNAMES)
def test_fuzzed_certificates_match_like_cpython(cert, hostname):
    assert_same(cert, hostname, recorded=False)


def test_recorded_fuzz_corpus_matches_like_cpython():
    """The recorder's seeded draw from the same alphabet, against 3.11's recorded outcomes (and, on
    3.11, the live stdlib): what stands in for differential fuzzing on 3.12+."""
    failures = []
    for cert, hostname in EXPECTATIONS["fuzz_cases"]:
        try:
            assert_same(cert, hostname)
        except AssertionError as error:
            failures.append((cert, hostname, str(error)[:300]))
    assert failures == []


WILDCARD_MESSAGES = re.compile(
    r"(too many wildcards in certificate DNS name: |wildcard can only be present in the leftmost label: "
    r"|sole wildcard without additional labels are not support: "
    r"|partial wildcards in leftmost label are not supported: )(?P<name>'.*')\.\Z", re.DOTALL)


@settings(max_examples=400, deadline=None)
@given(cert=FUZZ_CERTIFICATES, hostname=HOSTNAMES)
def test_fuzzed_certificates_keep_the_invariants(cert, hostname):
    """What needs no oracle, on every version: None or CertificateError (or the ValueError of an
    iPAddress entry that is no address), the cert left alone, case-insensitive, and an error message
    in one of CPython's forms naming the right entries."""
    original = copy.deepcopy(cert)
    result = outcome(lambda: swiftssl.match_hostname(cert, hostname))
    assert cert == original
    assert outcome(lambda: swiftssl.match_hostname(cert, hostname.upper()))["ok"] == result["ok"]
    if result["ok"]:
        assert result["value"] is None
        return
    error = result["error"]
    (message,) = error.args
    if type(error) is ValueError:
        # As 3.11's _ipaddress_match: an iPAddress entry that is no address, met while matching an
        # IP hostname, escapes as _inet_paton's ValueError.
        addresses = [value for key, value in cert.get("subjectAltName", ()) if key == "IP Address"]
        assert message in {template.format(value.rstrip()) for value in addresses for template in (
            "{!r} is not a quad-dotted IPv4 address.", "{!r} is neither an IPv4 nor an IP6 address.")}, message
        return
    assert type(error) is swiftssl.CertificateError
    candidates = [value for key, value in cert.get("subjectAltName", ()) if key in ("DNS", "IP Address")]
    if not candidates:
        candidates = [value for rdn in cert["subject"] for key, value in rdn if key == "commonName"]
    wildcard = WILDCARD_MESSAGES.match(message)
    if wildcard:
        assert wildcard.group("name") in {repr(name) for name in candidates}, message
    elif not candidates:
        assert message == "no appropriate commonName or subjectAltName fields were found"
    elif len(candidates) == 1:
        assert message == f"hostname {hostname!r} doesn't match {candidates[0]!r}"
    else:
        assert message == f"hostname {hostname!r} doesn't match either of {', '.join(map(repr, candidates))}"
