"""What test_credential_loading_differential.py draws: the pieces its files are made of
(certificates, keys in several encodings, encrypted ones, a CRL, DH parameters, their DER forms,
wrong labels, bad base64), the recipes people follow when they write such files, and the
Hypothesis strategies for file contents, path arguments, passwords, ``cadata`` and the loading
steps themselves.

Key material is made with pyca/cryptography (tls_support.py) when ``make_pieces`` runs (once per
module of the test); the DH group is RFC 7919's ffdhe2048, computed from its definition below.
"""

import datetime
import string
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dh
from hypothesis import strategies as st

from certificate_decoding_der import encode_element, integer_content, pem_block
from tls_support import CertificateAuthority, self_signed

PASSWORD, OTHER_PASSWORD = "secret", "pässwort"  # the second is UTF-8 encoded by both libraries


def ffdhe2048_prime() -> int:
    """RFC 7919's ffdhe2048 prime, p = 2^2048 - 2^1984 + (floor(2^1918 * e) + 560316) * 2^64 - 1."""
    guard, total, term, k = 64, 0, 1 << (1918 + 64), 0
    while term:  # 2^1918 * e as the sum of 2^1918 / k!, with guard bits for the rounding
        total, k = total + term, k + 1
        term //= k
    return 2**2048 - 2**1984 + ((total >> guard) + 560316) * 2**64 - 1


def der_sequence_of_integers(*values: int) -> bytes:
    """DER for SEQUENCE { INTEGER ... } of non-negative integers."""
    return encode_element(0x30, b"".join(encode_element(0x02, integer_content(value)) for value in values))


def ffdhe2048_pem() -> bytes:
    """RFC 7919's ffdhe2048 group, g = 2, as PKCS#3 PEM: byte for byte what ``openssl genpkey
    -genparam -algorithm DH -pkeyopt group:ffdhe2048`` prints."""
    return pem_block("DH PARAMETERS", der_sequence_of_integers(ffdhe2048_prime(), 2))


def ffdhe2048_x942_pem() -> bytes:
    """The same group as X9.42 parameters (p, g, q; q = (p - 1) / 2, the prime being safe): the
    "X9.42 DH PARAMETERS" block ``openssl genpkey -genparam -algorithm DHX`` writes."""
    p = ffdhe2048_prime()
    return pem_block("X9.42 DH PARAMETERS", der_sequence_of_integers(p, 2, (p - 1) // 2))


def relabelled(pem: bytes, label: str) -> bytes:
    lines = pem.splitlines(keepends=True)
    return f"-----BEGIN {label}-----\n".encode() + b"".join(lines[1:-1]) + f"-----END {label}-----\n".encode()


def make_pieces() -> dict:
    """Every piece a file can be made of, by name."""
    root = CertificateAuthority("credential loading root")
    other_root = CertificateAuthority("credential loading other root", key_type="rsa")
    intermediate = root.intermediate("credential loading intermediate")
    ec_leaf = intermediate.issue("localhost", common_name="ec.localhost")
    rsa_leaf = root.issue("localhost", common_name="rsa.localhost", key_type="rsa")
    lone = self_signed("lone.localhost")
    now = datetime.datetime.now(datetime.timezone.utc)
    crl = (x509.CertificateRevocationListBuilder().issuer_name(root.name).last_update(now)
           .next_update(now + datetime.timedelta(days=30))
           .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(rsa_leaf.certificate.serial_number)
                                    .revocation_date(now).build())
           .sign(root.key, hashes.SHA256()))
    PEM, DER = serialization.Encoding.PEM, serialization.Encoding.DER
    traditional = serialization.PrivateFormat.TraditionalOpenSSL

    def key(private_key, encoding=PEM, key_format=serialization.PrivateFormat.PKCS8, password=None):
        encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                      else serialization.NoEncryption())
        return private_key.private_bytes(encoding, key_format, encryption)

    pieces = {
        "ec leaf": ec_leaf.cert_pem, "rsa leaf": rsa_leaf.cert_pem, "lone self-signed": lone.cert_pem,
        "intermediate": intermediate.cert_pem, "root": root.cert_pem, "other root": other_root.cert_pem,
        "ec key": key(ec_leaf.key), "ec key (EC PRIVATE KEY)": key(ec_leaf.key, key_format=traditional),
        "rsa key": key(rsa_leaf.key), "rsa key (RSA PRIVATE KEY)": key(rsa_leaf.key, key_format=traditional),
        "lone key": key(lone.key), "root key": key(root.key),
        "ec key, encrypted PKCS#8": key(ec_leaf.key, password=PASSWORD),
        "rsa key, encrypted traditional PEM": key(rsa_leaf.key, key_format=traditional, password=OTHER_PASSWORD),
        "crl": crl.public_bytes(PEM), "dh params": ffdhe2048_pem(), "x942 dh params": ffdhe2048_x942_pem(),
        # 512 bits: below security level 2, so OpenSSL refuses them after parsing.
        "small dh params": dh.generate_parameters(2, 512).parameter_bytes(PEM, serialization.ParameterFormat.PKCS3),
        "ec leaf DER": ec_leaf.der, "root DER": root.certificate.public_bytes(DER),
        "ec key DER": key(ec_leaf.key, DER),
        "root as TRUSTED CERTIFICATE": relabelled(root.cert_pem, "TRUSTED CERTIFICATE"),
        "ec leaf as X509 CERTIFICATE": relabelled(ec_leaf.cert_pem, "X509 CERTIFICATE"),
        "root labelled X509 CRL": relabelled(root.cert_pem, "X509 CRL"),
        "ec leaf labelled PRIVATE KEY": relabelled(ec_leaf.cert_pem, "PRIVATE KEY"),
        "ec key labelled CERTIFICATE": relabelled(key(ec_leaf.key), "CERTIFICATE"),
        "bad base64": b"-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n",
        "BEGIN line alone": b"-----BEGIN CERTIFICATE-----\n",
        "text": b"subject=CN = not a certificate\n",
    }
    assert set(pieces) == set(PIECES)
    return pieces


PIECES = ["ec leaf", "rsa leaf", "lone self-signed", "intermediate", "root", "other root", "ec key",
          "ec key (EC PRIVATE KEY)", "rsa key", "rsa key (RSA PRIVATE KEY)", "lone key", "root key",
          "ec key, encrypted PKCS#8", "rsa key, encrypted traditional PEM", "crl", "dh params",
          "x942 dh params", "small dh params", "ec leaf DER", "root DER", "ec key DER", "root as TRUSTED CERTIFICATE",
          "ec leaf as X509 CERTIFICATE", "root labelled X509 CRL", "ec leaf labelled PRIVATE KEY",
          "ec key labelled CERTIFICATE", "bad base64", "BEGIN line alone", "text"]
ENCRYPTED = {"ec key, encrypted PKCS#8", "rsa key, encrypted traditional PEM"}
# Files as people write them for each argument, so that loads succeed often enough to compare
# what they loaded; half the files are one of these, the other half any pieces.
CHAIN_RECIPES = [("ec leaf", "intermediate", "ec key"), ("ec leaf", "intermediate"), ("ec leaf",),
                 ("rsa leaf", "rsa key (RSA PRIVATE KEY)"), ("rsa leaf",), ("ec key", "ec leaf"),
                 ("ec leaf", "ec key, encrypted PKCS#8"), ("rsa leaf", "rsa key, encrypted traditional PEM"),
                 ("lone self-signed", "lone key"), ("root", "intermediate", "root key")]
KEY_RECIPES = [("ec key",), ("ec key (EC PRIVATE KEY)",), ("rsa key",), ("rsa key (RSA PRIVATE KEY)",),
               ("ec key, encrypted PKCS#8",), ("rsa key, encrypted traditional PEM",), ("root key",)]
CA_RECIPES = [("root",), ("root", "other root"), ("root", "intermediate", "root", "crl"), ("root DER",),
              ("root DER", "root DER", "ec leaf DER"), ("root as TRUSTED CERTIFICATE",), ("ec leaf", "ec key")]
DH_RECIPES = [("dh params",), ("x942 dh params",), ("small dh params",), ("text", "dh params"),
              ("dh params", "root")]


class Content(NamedTuple):
    """A file: pieces (each maybe cut to a percentage of its length) between junk."""
    pieces: tuple
    leading: bytes = b""
    trailing: bytes = b""
    crlf: bool = False

    def render(self, pieces: dict) -> bytes:
        parts = [pieces[name][:len(pieces[name]) * cut // 100] if cut else pieces[name] for name, cut in self.pieces]
        content = self.leading + b"".join(parts) + self.trailing
        return content.replace(b"\n", b"\r\n") if self.crlf else content


JUNK = st.one_of(st.just(b""), st.just(b""), st.just(b""), st.sampled_from([b"\n", b"junk\n", b"\0", b"-----"]),
                 st.text(string.printable, max_size=30).map(str.encode), st.binary(max_size=30))


@st.composite
def contents(draw, recipes, names=tuple(PIECES)):
    if draw(st.booleans()):
        chosen = tuple((name, None) for name in draw(st.sampled_from([r for r in recipes if set(r) <= set(names)])))
    else:
        cuts = st.one_of(st.none(), st.none(), st.none(), st.integers(1, 99))
        chosen = tuple(draw(st.lists(st.tuples(st.sampled_from(names), cuts), max_size=5)))
    return Content(chosen, draw(JUNK), draw(JUNK), draw(st.integers(0, 4)) == 0)


class Location(NamedTuple):
    """A path argument: ``kind`` says what it names (a file holding ``content``, nothing, a
    directory, ...) or which non-path value it is; ``form`` is its type."""
    kind: str
    content: Content = None
    form: str = "str"


VALUES = {"None": None, "int": 3, "list": ["a.pem"]}


@st.composite
def locations(draw, recipes, names=tuple(PIECES), values=tuple(VALUES)):
    kind = draw(st.sampled_from(["file"] * 8 + ["missing", "directory", "non-UTF-8 name", "NUL in name"]
                                + list(values)))
    content = draw(contents(recipes, names)) if kind in ("file", "non-UTF-8 name") else None
    return Location(kind, content, draw(st.sampled_from(["str", "str", "bytes", "PathLike", "bytearray"])))


class Password(NamedTuple):
    """``password=``: none, a value, a callable returning ``value``, or a callable raising."""
    kind: str
    value: object = None


# Both encrypted keys' passwords in several types, wrong ones, and lengths about OpenSSL's limit of
# 1024 bytes ("é" is two bytes in UTF-8).
PASSWORD_VALUES = [PASSWORD, PASSWORD.encode(), bytearray(PASSWORD.encode()), OTHER_PASSWORD,
                   OTHER_PASSWORD.encode(), OTHER_PASSWORD.encode("latin-1"), "wrong", "", "x" * 1024,
                   "x" * 1025, "é" * 512, "é" * 513]
PASSWORDS = st.one_of(
    st.just(Password("none")),
    st.sampled_from(PASSWORD_VALUES + [3, [PASSWORD]]).map(lambda value: Password("value", value)),
    st.sampled_from(PASSWORD_VALUES + [3, None]).map(lambda value: Password("returns", value)),
    st.just(Password("raises")))


@st.composite
def load_cert_chain_steps(draw):
    password = draw(PASSWORDS)
    # With no password, the stdlib lets OpenSSL prompt for one on the terminal (a test run from a
    # shell would wait for it), so encrypted keys only come with a password.
    names = tuple(name for name in PIECES if password.kind != "none" or name not in ENCRYPTED)
    certfile = draw(locations(CHAIN_RECIPES, names))
    return ("load_cert_chain", certfile, draw(st.one_of(st.none(), locations(KEY_RECIPES, names))), password)


class Cadata(NamedTuple):
    form: str  # (non-ASCII) str, bytes, bytearray, (strided) memoryview, or a value's name
    content: Content = None


CADATA = st.one_of(
    st.builds(Cadata, st.sampled_from(["str", "str", "non-ASCII str"]), contents(CA_RECIPES)),
    st.builds(Cadata, st.sampled_from(["bytes", "bytes", "bytearray", "memoryview", "strided memoryview"]),
              contents(CA_RECIPES)),
    st.sampled_from(["int", "list"]).map(Cadata))
OPTIONAL_CADATA = st.one_of(st.none(), CADATA)

STEPS = st.one_of(
    load_cert_chain_steps(), load_cert_chain_steps(),
    st.tuples(st.just("load_verify_locations"), st.none(), st.none(), CADATA),
    st.tuples(st.just("load_verify_locations"), locations(CA_RECIPES), st.none(), st.none()),
    st.tuples(st.just("load_verify_locations"), st.one_of(st.none(), locations(CA_RECIPES)),
              st.one_of(st.none(), locations(CA_RECIPES, values=("int",))), OPTIONAL_CADATA),
    st.tuples(st.just("load_dh_params"), locations(DH_RECIPES)),
    st.tuples(st.just("load_default_certs"), st.sampled_from(["default", "SERVER_AUTH", "CLIENT_AUTH", "int"])),
    st.tuples(st.just("set_default_verify_paths")))
