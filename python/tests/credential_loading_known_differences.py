"""What test_credential_loading_differential.py forgives: what swiftssl does differently on purpose
or has not matched yet (README, "Differences", names each), one function per difference that
recognises a differing step, and ``known_difference``, which finds the one that explains a step.
Remove a function once it no longer applies. A step one of them explains ends the comparison of
its example, since the two contexts may hold different things from there on.
"""

import os
import sys
from typing import NamedTuple

from credential_loading_workspace import Path


def failed(result, name=None, message=None):
    return result != "returned" and (name is None or result[0] == name) and \
        (message is None or message in result[2])


class DifferingStep(NamedTuple):
    name: str
    arguments: list  # the prepared arguments: Path, Cadata, Password, str or None
    ours: tuple
    theirs: tuple
    earlier: list  # (step, the stdlib's result) for the example's steps before this one

    def data(self, index):
        argument = self.arguments[index]
        return argument.data or b"" if isinstance(argument, Path) else b""


def nul_byte_in_a_file(step):
    """A file holding a NUL byte: OpenSSL reads CPython's files with fgets(), so a line ends at its
    first NUL (one starting with NUL ends the file); swiftssl reads the whole file into memory."""
    return any(b"\0" in step.data(index) for index in range(len(step.arguments)))


def cadata_all_or_nothing(step):
    """cadata with a broken part after good certificates: both raise OpenSSL's error ("[PEM:
    BAD_END_LINE] bad end line", "[ASN1: NOT_ENOUGH_DATA] not enough data"), but CPython keeps
    the certificates it read before it, and swiftssl loads none: the same outcome, a different
    trust store (README, "Differences")."""
    return step.name == "load_verify_locations" and step.arguments[2] is not None and \
        failed(step.ours[0], "SSLError") and step.ours[:2] == step.theirs[:2] and \
        step.ours[2][0]["x509"] < step.theirs[2][0]["x509"]


def cadata_stray_bytes_refused_as_3_12_refuses_them(step):
    """A few stray bytes after cadata's last DER certificate: 3.11 takes them for the end of the
    list; swiftssl refuses them with OpenSSL's "[ASN1: HEADER_TOO_LONG] header too long", as
    3.12 and later do (README, "Differences"). CPython loads cadata first, so 3.11 then goes on
    to a cafile or capath given with it, which may fail in its turn."""
    cafile_or_capath = step.arguments[0] is not None or step.arguments[1] is not None
    return sys.version_info < (3, 12) and step.name == "load_verify_locations" and \
        step.arguments[2] is not None and (step.theirs[0] == "returned" or cafile_or_capath) and \
        failed(step.ours[0], "SSLError", "HEADER_TOO_LONG")


def cafile_read_as_der(step):
    """A CA file without PEM: CPython's "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl
    found"; swiftssl reads it as DER (success, or "[ASN1] nested asn1 error: cafile does not
    contain a certificate")."""
    return step.name == "load_verify_locations" and step.data(0) and b"-----BEGIN" not in step.data(0) \
        and failed(step.theirs[0], "SSLError", "NO_CERTIFICATE_OR_CRL_FOUND")


def key_file_read_before_the_chain_is_parsed(step):
    """A missing (or directory) key file with a bad chain: swiftssl's FileNotFoundError, where
    CPython first fails on the chain ("[SSL] PEM lib")."""
    return step.name == "load_cert_chain" and failed(step.theirs[0], "SSLError") \
        and failed(step.ours[0]) and step.ours[0][0] in ("FileNotFoundError", "IsADirectoryError")


def chain_pem_errors(step):
    """A PEM error after the chain's first certificate (a cut or broken block): CPython raises
    OpenSSL's ("[PEM: BAD_END_LINE] bad end line", or "unknown error" when OpenSSL queued none, as
    for a BEGIN line alone before a certificate); swiftssl says "[SSL] PEM lib", or when OpenSSL
    queued no error takes the chain read so far and goes on (to success, or to the key's error)."""
    return step.name == "load_cert_chain" and (
        failed(step.ours[0], "SSLError", "[SSL] PEM lib") or step.ours[0] == "returned"
        or failed(step.ours[0], "SSLError") and failed(step.theirs[0], "SSLError", "unknown error")) and (
        failed(step.theirs[0], "SSLError", "[PEM") or failed(step.theirs[0], "SSLError", "unknown error"))


def failed_load_cert_chain_changes_nothing(step):
    """OpenSSL keeps one certificate and key per key type (EC, RSA). CPython's load_cert_chain
    installs the first certificate before it reads the rest of the chain and the key, so a call
    that fails has already replaced that type's certificate and dropped a key that does not match
    it: a server may be left with nothing to present, and a later call may fail or succeed
    because of what stayed. swiftssl installs nothing until everything has been read."""
    return step.name == "load_cert_chain" and (
        failed(step.theirs[0]) and step.ours[:3] == step.theirs[:3]
        or any(name == "load_cert_chain" and failed(result) for (name, *_), result in step.earlier))


def extra_system_bundle(step):
    """swiftssl's set_default_verify_paths (and so load_default_certs) also loads
    /etc/ca-certificates.crt when it exists (TLSContext.appEngineBundle); CPython's does not.
    There is no such file where this test was written."""
    return step.name in ("load_default_certs", "set_default_verify_paths") and os.path.exists(APP_ENGINE_BUNDLE)


APP_ENGINE_BUNDLE = "/etc/ca-certificates.crt"
# The narrow explanations first, so that the events name them; the broad ones last.
KNOWN_DIFFERENCES = [cadata_all_or_nothing, cadata_stray_bytes_refused_as_3_12_refuses_them, cafile_read_as_der,
                     key_file_read_before_the_chain_is_parsed,
                     chain_pem_errors, extra_system_bundle,
                     nul_byte_in_a_file, failed_load_cert_chain_changes_nothing]


def known_difference(step: DifferingStep):
    """The name of the known difference explaining why swiftssl's step differs, or None."""
    return next((explains.__name__ for explains in KNOWN_DIFFERENCES if explains(step)), None)
