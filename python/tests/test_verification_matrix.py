"""Certificate and hostname verification against CPython's stdlib ``ssl`` as the oracle.

For each case a server certificate is made at test time (cryptography, see tls_support.py), a
stdlib ``ssl`` server presents it on loopback, and three clients connect with the same trust and
hostname: stdlib ``ssl`` (the oracle), swiftssl's ``create_default_context`` and swiftssl's
module-level ``wrap_socket(cert_reqs=CERT_REQUIRED, ca_certs=..., server_hostname=...)``. Both
swiftssl clients must give the oracle's outcome: success, or the same exception class, errno,
``verify_code``, ``verify_message``, library, reason and message text (without the location
suffix, which is ``(_ssl.c:NNNN)`` in CPython and ``(swiftssl)`` here).
"""

import datetime
import functools
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

import swiftssl
from tls_support import (CertificateAuthority, IssuedCertificate, LoopbackServer, comparable,
                         issue_with_openssl_cli, outcome, self_signed, stdlib_oracle)

DAY = datetime.timedelta(days=1)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


@functools.lru_cache(maxsize=None)
def authorities():
    """One trusted root (with an intermediate) and one untrusted root, per test session."""
    root = CertificateAuthority("matrix root")
    return {
        "root": root,
        "intermediate": root.intermediate("matrix intermediate"),
        "expired-intermediate": root.intermediate(
            "matrix expired intermediate", not_before=_now() - 30 * DAY, not_after=_now() - DAY),
        "not-a-ca": root.intermediate("matrix CA:FALSE intermediate", ca_flag=False),
        "stranger": CertificateAuthority("matrix untrusted root"),
        "pathlen-0": root.intermediate("matrix pathlen:0 intermediate", path_length=0),
        "constrained": root.intermediate("matrix name-constrained intermediate", extensions=[
            x509.NameConstraints(permitted_subtrees=[x509.DNSName("allowed.test")], excluded_subtrees=None)]),
    }


def below_pathlen_0():
    """root → intermediate (pathlen:0) → second intermediate → leaf: one CA too many."""
    return authorities()["pathlen-0"].intermediate("matrix intermediate under pathlen:0")


@functools.lru_cache(maxsize=None)
def second_intermediate():
    """root → matrix intermediate → this: a chain with two intermediates."""
    return authorities()["intermediate"].intermediate("matrix second intermediate")


def reversed_intermediates(issued):
    """The leaf first (TLS requires it: the server's certificate file starts with its own
    certificate) and then its intermediates in reverse order, the root's child first."""
    return IssuedCertificate(issued.certificate, issued.key, list(reversed(issued.intermediates)))


def leaf(authority="root", *names, **options):
    return authorities()[authority].issue(*names, **options)


def without_intermediates(issued):
    """The same leaf and key, but the server will send the leaf alone."""
    return IssuedCertificate(issued.certificate, issued.key, [])


# name: (make the server certificate, hostname the client asks for[, address family])
CASES = {
    "valid": (lambda: leaf("root", "localhost"), "localhost"),
    "valid-uppercase-hostname": (lambda: leaf("root", "localhost"), "LOCALHOST"),
    "trailing-dot-hostname": (lambda: leaf("root", "localhost"), "localhost."),
    "expired": (lambda: leaf("root", "localhost", not_before=_now() - 30 * DAY, not_after=_now() - DAY),
                "localhost"),
    "not-yet-valid": (lambda: leaf("root", "localhost", not_before=_now() + DAY,
                                   not_after=_now() + 30 * DAY), "localhost"),
    "self-signed": (lambda: self_signed("localhost"), "localhost"),
    "unknown-ca": (lambda: leaf("stranger", "localhost"), "localhost"),
    "wrong-host": (lambda: leaf("root", "other.example"), "localhost"),
    "wildcard": (lambda: leaf("root", "*.example.test"), "www.example.test"),
    "wildcard-two-labels-deep": (lambda: leaf("root", "*.example.test"), "a.b.example.test"),
    "wildcard-does-not-cover-apex": (lambda: leaf("root", "*.example.test"), "example.test"),
    "partial-wildcard": (lambda: leaf("root", "w*.example.test"), "www.example.test"),
    "wildcard-not-leftmost": (lambda: leaf("root", "www.*.example.test"), "www.a.example.test"),
    "wildcard-over-tld": (lambda: leaf("root", "*.test"), "example.test"),
    "wildcard-idna-label": (lambda: leaf("root", "*.example.test"), "xn--bcher-kva.example.test"),
    "u-label-hostname": (lambda: leaf("root", "xn--bcher-kva.example"), "bücher.example"),
    "commonname-only": (lambda: leaf("root", common_name="localhost", san=False), "localhost"),
    "commonname-ignored-with-dns-san": (lambda: leaf("root", "other.example", common_name="localhost"),
                                        "localhost"),
    "nul-byte-in-dns-san": (lambda: leaf("root", "localhost\0.evil.test"), "localhost"),
    "nul-byte-in-commonname": (lambda: leaf("root", common_name="localhost\0.evil.test", san=False), "localhost"),
    "nul-byte-in-commonname-full-name": (lambda: leaf("root", common_name="localhost\0.evil.test", san=False),
                                         "localhost.evil.test"),
    "nul-byte-in-dns-san-full-name": (lambda: leaf("root", "localhost\0.evil.test"), "localhost.evil.test"),
    "ipv4-san": (lambda: leaf("root", "127.0.0.1"), "127.0.0.1"),
    "ipv4-mismatch": (lambda: leaf("root", "localhost", "10.0.0.1"), "127.0.0.1"),
    "ipv4-as-dns-name": (lambda: leaf("root", x509.DNSName("127.0.0.1")), "127.0.0.1"),
    "ipv4-hostname-vs-dns-only-cert": (lambda: leaf("root", "localhost"), "127.0.0.1"),
    "ipv6-san": (lambda: leaf("root", "::1"), "::1", socket.AF_INET6),
    "ipv6-san-long-form": (lambda: leaf("root", "::1"), "0:0:0:0:0:0:0:1", socket.AF_INET6),
    "ipv6-mismatch": (lambda: leaf("root", "::2", "localhost"), "::1", socket.AF_INET6),
    "chain-with-intermediate": (lambda: leaf("intermediate", "localhost"), "localhost"),
    "intermediate-not-sent": (lambda: without_intermediates(leaf("intermediate", "localhost")), "localhost"),
    "expired-intermediate": (lambda: leaf("expired-intermediate", "localhost"), "localhost"),
    "intermediate-is-not-a-ca": (lambda: leaf("not-a-ca", "localhost"), "localhost"),
    "two-intermediates-in-order": (lambda: second_intermediate().issue("localhost"), "localhost"),
    "pathlen-0-violated": (lambda: below_pathlen_0().issue("localhost"), "localhost"),
    "pathlen-0-respected": (lambda: leaf("pathlen-0", "localhost"), "localhost"),
    "name-constraints-exclude-leaf": (lambda: leaf("constrained", "localhost"), "localhost"),
    "name-constraints-permit-leaf": (lambda: leaf("constrained", "www.allowed.test"), "www.allowed.test"),
    "reversed-intermediates": (lambda: reversed_intermediates(second_intermediate().issue("localhost")),
                               "localhost"),
    "weak-sha1-signature": (lambda: issue_with_openssl_cli(authorities()["root"], "localhost", digest="sha1"),
                            "localhost"),
    "sha256-signature-by-openssl-cli": (lambda: issue_with_openssl_cli(authorities()["root"], "localhost",
                                                                       digest="sha256"), "localhost"),
    "client-auth-only-key-usage": (
        lambda: leaf("root", "localhost", extended_key_usage=[ExtendedKeyUsageOID.CLIENT_AUTH]), "localhost"),
    "weak-rsa-1024-key": (lambda: leaf("root", "localhost", key_type="rsa1024"), "localhost"),
    "rsa-2048-key": (lambda: leaf("root", "localhost", key_type="rsa"), "localhost"),
}


@functools.lru_cache(maxsize=None)
def server_certificate(case):
    return CASES[case][0]()


def run_case(case, tmp_path):
    _, hostname, *rest = CASES[case]
    return run_clients(server_certificate(case), hostname, tmp_path, family=rest[0] if rest else socket.AF_INET,
                       weak_key=case.startswith("weak"))


def run_clients(certificate, hostname, tmp_path, family=socket.AF_INET, trust=None, weak_key=False):
    """The outcomes of the oracle and of both swiftssl clients against one stdlib server
    presenting ``certificate``; the clients trust ``trust`` (PEM), by default the matrix root."""
    trust = trust or authorities()["root"].cert_pem
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if weak_key:
        server_context.set_ciphers("DEFAULT@SECLEVEL=0")  # let the server present the weak key
    server_context.load_cert_chain(*certificate.write(tmp_path))

    def handshake(raw):
        return server_context.wrap_socket(raw, server_side=True)

    def handler(tls):
        tls.recv(1)

    def exchange(tls):
        with tls:
            tls.sendall(b".")
            return tls.version()

    clients = {
        "stdlib": lambda raw: ssl.create_default_context(cadata=trust.decode()).wrap_socket(
            raw, server_hostname=hostname),
        "swiftssl-context": lambda raw: swiftssl.create_default_context(cadata=trust.decode()).wrap_socket(
            raw, server_hostname=hostname),
        "swiftssl-wrap_socket": lambda raw: swiftssl.wrap_socket(
            raw, cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=trust, server_hostname=hostname),
    }
    results = {}
    with LoopbackServer(handshake, handler, connections=len(clients), family=family) as server:
        for name, connect in clients.items():
            raw = server.connect()
            results[name] = outcome(lambda: exchange(connect(raw)))
            raw.close()
    return results


# What the oracle says on this machine (CPython 3.11 + OpenSSL 3.0): None for success, else the
# verify_code. Checked too, so that a case that stopped testing what its name says is noticed.
ORACLE = {
    "valid": None, "valid-uppercase-hostname": None, "trailing-dot-hostname": 62, "expired": 10,
    "not-yet-valid": 9, "self-signed": 18, "unknown-ca": 20, "wrong-host": 62, "wildcard": None,
    "wildcard-two-labels-deep": 62, "wildcard-does-not-cover-apex": 62, "partial-wildcard": 62,
    "wildcard-not-leftmost": 62, "wildcard-over-tld": 62, "wildcard-idna-label": None,
    "u-label-hostname": None, "commonname-only": None, "commonname-ignored-with-dns-san": 62,
    "nul-byte-in-dns-san": 62, "ipv4-san": None, "ipv4-mismatch": 64, "ipv4-as-dns-name": 64,
    "ipv4-hostname-vs-dns-only-cert": 64, "ipv6-san": None, "ipv6-san-long-form": None,
    "ipv6-mismatch": 64, "chain-with-intermediate": None, "intermediate-not-sent": 20,
    "expired-intermediate": 10, "intermediate-is-not-a-ca": 79, "client-auth-only-key-usage": 26,
    "weak-rsa-1024-key": 66, "rsa-2048-key": None,
    "nul-byte-in-commonname": 62, "nul-byte-in-commonname-full-name": 62, "nul-byte-in-dns-san-full-name": 62,
    "two-intermediates-in-order": None, "pathlen-0-violated": 25, "pathlen-0-respected": None,
    "name-constraints-exclude-leaf": 47, "name-constraints-permit-leaf": None, "reversed-intermediates": None,
    "weak-sha1-signature": 68, "sha256-signature-by-openssl-cli": None,
}


@pytest.mark.parametrize("case", list(CASES))
def test_outcome_matches_stdlib(case, tmp_path):
    results = run_case(case, tmp_path)
    oracle = comparable(results["stdlib"])
    for name in ("swiftssl-context", "swiftssl-wrap_socket"):
        actual = comparable(results[name])
        assert actual == oracle, f"{name} differs from stdlib for {case!r}"
        if not actual["ok"]:
            error, expected_error = results[name]["error"], results["stdlib"]["error"]
            # Also an instance of the stdlib class, so `except ssl.SSLError` catches it.
            assert isinstance(error, type(expected_error))
    if ORACLE[case] is None:
        assert oracle["ok"], oracle
    else:
        assert oracle["class"] == "SSLCertVerificationError" and oracle["verify_code"] == ORACLE[case]


def test_self_signed_certificate_trusted_directly(tmp_path):
    """Trusting the self-signed leaf itself: the oracle and swiftssl agree on the outcome."""
    certificate = self_signed("localhost")
    results = run_clients(certificate, "localhost", tmp_path, trust=certificate.cert_pem)
    oracle = comparable(results["stdlib"])
    assert comparable(results["swiftssl-context"]) == oracle
    assert comparable(results["swiftssl-wrap_socket"]) == oracle


@pytest.mark.parametrize("cert_reqs", ["CERT_NONE", "CERT_OPTIONAL"])
def test_weaker_cert_reqs_on_an_untrusted_server(cert_reqs, tmp_path):
    """CERT_NONE connects to anything; CERT_OPTIONAL still verifies a certificate that is sent."""
    certificate = self_signed("localhost")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(*certificate.write(tmp_path))
    root_path = tmp_path / "root.pem"  # stdlib's wrap_socket takes ca_certs as a path only
    root_path.write_bytes(authorities()["root"].cert_pem)
    results = {}
    with LoopbackServer(lambda raw: server_context.wrap_socket(raw, server_side=True),
                        lambda tls: tls.recv(1), connections=2) as server:
        for module in (stdlib_oracle, swiftssl):
            raw = server.connect()

            def connect():
                tls = module.wrap_socket(raw, cert_reqs=getattr(module, cert_reqs), ca_certs=str(root_path))
                with tls:
                    tls.sendall(b".")
                    return tls.getpeercert()
            results[module.__name__] = comparable(outcome(connect))
            raw.close()
    assert results["swiftssl"] == results["ssl"]
    if cert_reqs == "CERT_NONE":
        assert results["ssl"] == {"ok": True}
    else:
        assert results["ssl"]["verify_code"] == 18
