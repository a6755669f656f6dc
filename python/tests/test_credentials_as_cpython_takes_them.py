"""Paths and cadata as CPython takes them (Sources/SwiftSSLPython/CredentialArguments.swift,
Sources/SwiftSSL/TLSContextTrustStore.swift): file names that are not UTF-8, cadata's order
and tails, NULs, and OpenSSL's reasons as errno. Most were found by
test_credential_loading_differential.py and are pinned here with fixed inputs; each runs on both
libraries or compares with the stdlib.
"""

import os
import ssl
import sys

import pytest

import swiftssl
from tls_support import CertificateAuthority, comparable, outcome


CADATA_AFTER_A_CERTIFICATE = {
    # A few stray bytes: OpenSSL's "[ASN1: HEADER_TOO_LONG]" in 3.12 and later, as in swiftssl on
    # every version; 3.11 took them for the end of the list ("EOF ASN1 file, not an error").
    "stray zero": b"\x00", "stray SEQUENCE tag": b"\x30", "a header cut short": b"\x30\x82",
    "nine 0xff": b"\xff" * 9, "a second certificate, then a stray byte": "second+\x01",
    # Anything else is OpenSSL's error on every version, once a certificate was read.
    "twenty zeros": b"\x00" * 20, "half a certificate": "half", "a small SEQUENCE": b"\x30\x03\x02\x01\x05",
    "PEM, then a bad block": "\n-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n",
}
STRAY_BYTES = ["stray zero", "stray SEQUENCE tag", "a header cut short", "nine 0xff",
               "a second certificate, then a stray byte"]


@pytest.mark.parametrize("case", list(CADATA_AFTER_A_CERTIFICATE))
def test_cadata_after_its_first_certificate_reads_as_cpython_reads_it(case, root_ca):
    """What follows the first certificate of cadata: OpenSSL's error (library, reason, errno and
    text), as CPython 3.12 and later report it. (On error CPython keeps what it read before;
    swiftssl keeps nothing: README, "Differences".)"""
    other = CertificateAuthority("other")
    first_der = ssl.PEM_cert_to_DER_cert(root_ca.cert_pem.decode())
    second_der = ssl.PEM_cert_to_DER_cert(other.cert_pem.decode())
    tail = CADATA_AFTER_A_CERTIFICATE[case]
    if isinstance(tail, str) and tail.startswith("\n"):
        cadata = root_ca.cert_pem.decode() + tail
    else:
        tail = {"second+\x01": second_der + b"\x01", "half": second_der[: len(second_der) // 2]}.get(tail, tail)
        cadata = first_der + tail

    def load(module):
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        result = comparable(outcome(lambda: context.load_verify_locations(cadata=cadata)))
        return result if not result.get("ok") else context.cert_store_stats()["x509"]

    ours, theirs = load(swiftssl), load(ssl)
    if case in STRAY_BYTES and sys.version_info < (3, 12):
        assert isinstance(theirs, int), theirs  # 3.11 loaded the certificates and ignored the rest
        assert (ours["class"], ours["library"], ours["reason"]) == ("SSLError", "ASN1", "HEADER_TOO_LONG"), ours
    else:
        assert ours == theirs


@pytest.mark.parametrize("content", [b"", ""], ids=["bytes", "str"])
def test_empty_cadata_is_value_error_like_stdlib(content):
    expected = outcome(lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=content))
    actual = outcome(lambda: swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=content))
    assert (actual["class"], actual["message"]) == (expected["class"], expected["message"])


@pytest.mark.parametrize("form", ["str", "bytes", "PathLike"])
def test_a_file_name_that_is_not_utf8_opens_that_file(form, server_cert, tmp_path):
    """os.fsdecode turns b"\\xff" into "\\udcff": such a name must open the file it names (it
    used to raise UnicodeEncodeError, or for bytes open "\\ufffd" instead)."""
    import pathlib
    name = os.path.join(os.fsencode(tmp_path), b"chain-\xff.pem")
    with open(name, "wb") as file:
        file.write(server_cert.combined_pem)
    # A file at the name a U+FFFD substitution would give: it must not be the one opened.
    (tmp_path / "chain-\ufffd.pem").write_bytes(b"not this one")
    argument = {"str": os.fsdecode(name), "bytes": name, "PathLike": pathlib.Path(os.fsdecode(name))}[form]
    for module in (swiftssl, ssl):
        module.SSLContext(module.PROTOCOL_TLS_SERVER).load_cert_chain(argument)
        module.SSLContext(module.PROTOCOL_TLS_CLIENT).load_verify_locations(argument)


def test_cadata_is_loaded_before_cafile_as_in_cpython(root_ca, tmp_path):
    """A missing cafile with good cadata: CPython has loaded cadata by the time it fails."""
    missing = str(tmp_path / "missing.pem")
    stats = []
    for module in (swiftssl, ssl):
        context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        with pytest.raises(FileNotFoundError):
            context.load_verify_locations(missing, cadata=root_ca.cert_pem.decode())
        stats.append(context.cert_store_stats())
    assert stats[0] == stats[1] == {"x509": 1, "crl": 0, "x509_ca": 1}


@pytest.mark.parametrize("module", [swiftssl, ssl], ids=["swiftssl", "stdlib"])
def test_cadata_str_must_be_ascii(module, root_ca):
    context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    with pytest.raises(TypeError, match="cadata should be an ASCII string or a bytes-like object"):
        context.load_verify_locations(cadata=root_ca.cert_pem.decode() + "\xe9")
    assert context.cert_store_stats()["x509"] == 0


@pytest.mark.parametrize("module", [swiftssl, ssl], ids=["swiftssl", "stdlib"])
def test_a_nul_in_capath_or_a_dh_params_path_is_value_error(module, tmp_path):
    with pytest.raises(ValueError, match="embedded null byte"):
        module.SSLContext(module.PROTOCOL_TLS_CLIENT).load_verify_locations(capath=str(tmp_path) + "/x\0")
    with pytest.raises(ValueError, match="embedded null byte"):
        module.SSLContext(module.PROTOCOL_TLS_SERVER).load_dh_params(str(tmp_path) + "/x\0")


@pytest.mark.parametrize("module", [swiftssl, ssl], ids=["swiftssl", "stdlib"])
def test_load_dh_params_oserrors_name_the_file(module, tmp_path):
    context = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(FileNotFoundError) as raised:
        context.load_dh_params(missing)
    assert raised.value.filename == missing and missing in str(raised.value)
    with pytest.raises(IsADirectoryError) as raised:
        context.load_dh_params(str(tmp_path))
    assert raised.value.filename == str(tmp_path)


def test_a_chain_may_start_with_a_trusted_certificate_block_as_in_cpython(server_cert, tmp_path):
    """`openssl x509 -trustout` writes TRUSTED CERTIFICATE; OpenSSL's chain reader takes it first."""
    import subprocess
    certificate_path, key_path = server_cert.write(tmp_path, "server")
    trusted = subprocess.run(["openssl", "x509", "-in", certificate_path, "-trustout", "-addtrust", "serverAuth"],
                             check=True, capture_output=True).stdout
    assert trusted.startswith(b"-----BEGIN TRUSTED CERTIFICATE-----")
    chain = tmp_path / "trusted-chain.pem"
    chain.write_bytes(trusted)
    for module in (swiftssl, ssl):
        module.SSLContext(module.PROTOCOL_TLS_SERVER).load_cert_chain(chain, key_path)
    # Only the first block: CPython's reader takes later ones as CERTIFICATE only.
    chain.write_bytes(server_cert.cert_pem + trusted)
    outcomes = [outcome(lambda: module.SSLContext(module.PROTOCOL_TLS_SERVER).load_cert_chain(chain, key_path))
                for module in (swiftssl, ssl)]
    assert outcomes[0]["ok"] == outcomes[1]["ok"]


def test_loading_errors_carry_openssls_reason_as_errno_like_cpython(tmp_path):
    """CPython's _setSSLError: errno is the reason number of the error the message names (here
    [SSL] PEM lib, [X509: NO_CERTIFICATE_OR_CRL_FOUND]), 0 when OpenSSL named none."""
    garbage, empty = tmp_path / "garbage.pem", tmp_path / "empty.pem"
    garbage.write_bytes(b"not PEM\n")
    empty.write_bytes(b"")
    calls = [lambda m: m.SSLContext(m.PROTOCOL_TLS_SERVER).load_cert_chain(garbage),
             lambda m: m.SSLContext(m.PROTOCOL_TLS_CLIENT).load_verify_locations(empty),
             lambda m: m.SSLContext(m.PROTOCOL_TLS_SERVER).set_ecdh_curve("RSA")]
    for call in calls:
        numbers = []
        for module in (swiftssl, ssl):
            with pytest.raises(ssl.SSLError) as raised:
                call(module)
            numbers.append(raised.value.errno)
        assert numbers[0] == numbers[1]


def test_capath_and_dh_params_names_that_are_not_utf8_name_those_files(tmp_path):
    """Both used to fail to encode such a name (UnicodeEncodeError); CPython opens the file."""
    directory = os.path.join(os.fsencode(tmp_path), b"cas-\xff")
    os.mkdir(directory)
    dh_file = os.path.join(os.fsencode(tmp_path), b"dh-\xff.pem")
    with open(dh_file, "wb") as file:
        file.write(b"no parameters here\n")
    for module in (swiftssl, ssl):
        for capath in (directory, os.fsdecode(directory)):
            module.SSLContext(module.PROTOCOL_TLS_CLIENT).load_verify_locations(capath=capath)
        for name in (dh_file, os.fsdecode(dh_file)):
            with pytest.raises(ssl.SSLError, match="NO_START_LINE"):  # opened, and read
                module.SSLContext(module.PROTOCOL_TLS_SERVER).load_dh_params(name)
