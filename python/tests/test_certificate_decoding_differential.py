"""Decoding a certificate into the getpeercert() dict (Sources/SwiftSSL/CertificateDecoder.swift,
reached through ``_test_decode_cert``) gives what CPython's ``_ssl._test_decode_cert`` gives, for
any certificate: the same dict, or an exception of the same class with the same errno and message.

Certificates are drawn by hypothesis and made with pyca/cryptography (EC P-256 keys made once per
module). What cryptography refuses to write (any tag and content as a name value or general name,
OIDs longer than 63 bytes, odd serial numbers, versions and times, duplicate extensions) is written
as a placeholder and put in place in the DER after signing (``RawElement``); the signature then no
longer matches, which decoding never checks. The second test cuts and corrupts valid certificates'
DER. Each certificate is written as PEM under a tmp directory and both decoders read that file.

The certificates are drawn by certificate_decoding_strategies.py, over the DER helpers and
placeholders of certificate_decoding_der.py; what is compared, and which differences are
forgiven, is here.

CERT_DECODE_EXAMPLES=5000 (with --timeout=0) for a longer search: about 4 minutes here.
"""

import os

import _ssl as stdlib_underscore_ssl
import pytest
from hypothesis import HealthCheck, event, example, given, settings

import swiftssl._ssl
import swiftssl._swiftssl
from certificate_decoding_der import pem
from certificate_decoding_strategies import base_certificates, certificates, mutated_certificates
from differential_support import example_count
from tls_support import without_location

EXAMPLES = example_count("CERT_DECODE_EXAMPLES", 100)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --------------------------------------------------------------------------------------------
# Decoding with both, and comparing
# --------------------------------------------------------------------------------------------


def decoded(decode, path):
    """What `decode(path)` gives: ("decoded", dict) or ("raised", class, errno, message)."""
    try:
        return ("decoded", decode(path))
    except Exception as error:  # the outcome is what the test compares
        return ("raised", type(error).__name__, getattr(error, "errno", None), without_location(str(error)))


def decode_both(der: bytes, directory) -> tuple:
    path = os.path.join(directory, "certificate.pem")
    with open(path, "wb") as handle:
        handle.write(pem(der))
    return (decoded(stdlib_underscore_ssl._test_decode_cert, path),
            decoded(swiftssl._ssl._test_decode_cert, path))


NAME_VALUE_NOT_CONVERTED = "could not convert a certificate name value to UTF-8"

# README, "Differences", "Some error details": where OpenSSL fails without queueing a reason, CPython
# raises SSLError(0, "unknown error") and swiftssl names what failed (errno 0 too). Here: a name value
# OpenSSL cannot convert to UTF-8 (a SEQUENCE), a Registered ID it will not print (over 586 bytes).
DOCUMENTED_DIFFERENCES = {
    "what failed, for an empty error queue": lambda expected, actual, der: (
        expected == ("raised", "SSLError", 0, "unknown error") and actual[:3] == ("raised", "SSLError", 0)
        and actual[3] in (NAME_VALUE_NOT_CONVERTED, "could not print a Registered ID")),
}

# Kept on purpose (README, "Differences", "Some error details"): an attribute type whose OID
# OpenSSL will not print (over 586 bytes). CPython raises SystemError ("<class 'ssl.SSLError'>
# returned a result with an exception set": _ssl.c sets the SSLError twice, its own bug); swiftssl
# raises SSLError("could not name a certificate attribute").
KNOWN_DIFFERENCES = {
    "SystemError for unprintable attribute type": lambda expected, actual, der: (
        expected[:2] == ("raised", "SystemError")
        and actual[:2] == ("raised", "SSLError") and actual[3] == "could not name a certificate attribute"),
}


def assert_same_outcome(expected, actual, der):
    if actual != expected:
        known = [name for name, applies in {**DOCUMENTED_DIFFERENCES, **KNOWN_DIFFERENCES}.items()
                 if applies(expected, actual, der)]
        assert known, f"stdlib: {expected!r}\nswiftssl: {actual!r}\ncertificate: {der.hex()}"
        event(f"known difference: {known[0]}")
    elif expected[0] == "decoded":
        always = {"subject", "issuer", "version", "serialNumber", "notBefore", "notAfter"}
        event("decoded: " + ", ".join(sorted(set(expected[1]) - always)))
    else:
        event(f"raised {expected[1]}: {expected[3][:40]}")


@pytest.fixture(scope="module")
def pem_directory(tmp_path_factory):
    return tmp_path_factory.mktemp("certificates")


def test_both_names_of_swiftssl_decoder_are_one_function():
    assert swiftssl._ssl._test_decode_cert is swiftssl._swiftssl._test_decode_cert


@pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning")  # empty or overlong on purpose
@SETTINGS
@given(der=certificates())
# An empty BIT STRING as a name value (x500UniqueIdentifier): OpenSSL holds no data for it, and
# CPython's dict says None where the bytes would be.
@example(der=bytes.fromhex(
    "3082010f3081b6020101300a06082a8648ce3d040302300c310a3008060355042d030100300417001700300c310a30"
    "08060355042d0301003059301306072a8648ce3d020106082a8648ce3d030107034200043d06c1201a8a7c446b33ed"
    "caf7ee7185014d51dc2ab5e528cec62ab4173eaca54e073027277070141ccee766ebe07a690d8a2f8b3d486cdc5583"
    "1d2341c1bf8ca328302630090603551d1104023000300e06082b060105050701010402300030090603551d1f040230"
    "00300a06082a8648ce3d0403020348003045022100acea2a5066709e2d7aa7e4dda53bc4b6a0075a55ece8ebf39f38"
    "9f02d9fcb4c0022038f3d0eb729a8130a4fb7785065571d7275297f3acf0d0523029517040e059a5"))
def test_any_generated_certificate_decodes_as_in_the_stdlib(der, pem_directory):
    assert_same_outcome(*decode_both(der, pem_directory), der)


@SETTINGS
@given(der=mutated_certificates())
def test_corrupted_certificate_decodes_or_fails_as_in_the_stdlib(der, pem_directory):
    """Both decode it to equal dicts, or both raise the same exception (class, errno, message)."""
    assert_same_outcome(*decode_both(der, pem_directory), der)


def test_a_file_is_decoded_by_its_first_certificate_as_in_the_stdlib(pem_directory):
    everything, bare = base_certificates()
    path = os.path.join(pem_directory, "two.pem")
    with open(path, "wb") as handle:
        handle.write(pem(bare) + pem(everything[:100]))  # a certificate, then one cut short
    expected = decoded(stdlib_underscore_ssl._test_decode_cert, path)
    assert expected[0] == "decoded"
    assert decoded(swiftssl._ssl._test_decode_cert, path) == expected
