"""Credential loading from paths (Sources/SwiftSSLPython/CredentialArguments.swift and
ContextMethods.swift over Sources/SwiftSSL/TLSContext.swift, CAFileLoader.swift, PrivateKey.swift)
gives what the stdlib's gives: a few random calls of ``load_cert_chain``, ``load_verify_locations``,
``load_dh_params``, ``load_default_certs`` and ``set_default_verify_paths`` on one context of each
library must end the same way (success, or the same exception class, errno, message, library, reason
and filename), call a password callback as often, and leave the same trust store behind
(``cert_store_stats()``, ``get_ca_certs()`` in both forms). After ``load_cert_chain`` on a server
context, a stdlib client must be sent the same chain (or meet the same handshake error).

The files are random concatenations of fixed pieces (certificates, keys in several encodings,
encrypted ones, a CRL, DH parameters, their DER forms, wrong labels, bad base64), cut short,
with CRLF line ends or junk around them, written under a temporary directory: the stdlib only reads
paths. Key material is made once per module with pyca/cryptography (tls_support.py); the DH group is
RFC 7919's ffdhe2048, computed from its definition below.

What README's "Differences" allows is normalised where it arises (the comments there say which);
the differences kept are under "Known differences" at the end. CREDENTIAL_EXAMPLES sets
the number of examples (100 by default; thousands for a search, with --timeout=0).
"""

import base64
import datetime
import os
import pathlib
import ssl as stdlib_ssl
import string
import textwrap
from typing import NamedTuple
from unittest import mock

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dh
from hypothesis import event, given, settings, strategies as st

import swiftssl
from differential_support import described
from tls_support import CertificateAuthority, self_signed

PASSWORD, OTHER_PASSWORD = "secret", "pässwort"  # the second is UTF-8 encoded by both libraries


def ffdhe2048_pem() -> bytes:
    """RFC 7919's ffdhe2048 group, p = 2^2048 - 2^1984 + (floor(2^1918 * e) + 560316) * 2^64 - 1,
    g = 2, as PKCS#3 PEM: byte for byte what ``openssl genpkey -genparam -algorithm DH -pkeyopt
    group:ffdhe2048`` prints."""
    guard, total, term, k = 64, 0, 1 << (1918 + 64), 0
    while term:  # 2^1918 * e as the sum of 2^1918 / k!, with guard bits for the rounding
        total, k = total + term, k + 1
        term //= k
    p = 2**2048 - 2**1984 + ((total >> guard) + 560316) * 2**64 - 1
    body = b"\x02\x82\x01\x01\x00" + p.to_bytes(256, "big") + b"\x02\x01\x02"
    der = b"\x30\x82" + len(body).to_bytes(2, "big") + body
    lines = "".join(f"{line}\n" for line in textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN DH PARAMETERS-----\n{lines}-----END DH PARAMETERS-----\n".encode()


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
        "crl": crl.public_bytes(PEM), "dh params": ffdhe2048_pem(),
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
          "small dh params", "ec leaf DER", "root DER", "ec key DER", "root as TRUSTED CERTIFICATE",
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
DH_RECIPES = [("dh params",), ("small dh params",), ("text", "dh params"), ("dh params", "root")]


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


class Path(NamedTuple):
    """A Location made real: the path (None for a value) and the bytes written there."""
    kind: str
    form: str
    path: bytes = None
    data: bytes = None


class Workspace:
    """Writes the files of one example under ``directory`` and gives each library its arguments."""

    def __init__(self, directory: pathlib.Path, pieces: dict):
        self.directory, self.pieces, self.written = os.fsencode(directory), pieces, 0
        os.makedirs(os.path.join(self.directory, b"a-directory"), exist_ok=True)

    def write(self, content: Content, name: bytes) -> tuple:
        self.written += 1
        path, data = os.path.join(self.directory, b"%d-%s.pem" % (self.written, name)), content.render(self.pieces)
        with open(path, "wb") as handle:
            handle.write(data)
        return path, data

    def prepare(self, location: Location) -> Path:
        if location.kind in VALUES:
            return Path(location.kind, location.form)
        if location.kind in ("file", "non-UTF-8 name"):
            return Path(location.kind, location.form,
                        *self.write(location.content, b"file" if location.kind == "file" else b"\xff\xfe"))
        name = {"missing": b"absent.pem", "directory": b"a-directory", "NUL in name": b"nul\0.pem"}[location.kind]
        return Path(location.kind, location.form, os.path.join(self.directory, name))

    def prepare_step(self, step):
        name, *arguments = step
        prepared = [self.prepare(argument) if isinstance(argument, Location)
                    else argument._replace(content=argument.content.render(self.pieces))
                    if isinstance(argument, Cadata) and argument.content else argument
                    for argument in arguments]
        return (name, *prepared)


def path_argument(path: Path, module, content_allowed: bool):
    if path.path is None:
        return VALUES[path.kind]
    if path.form == "bytearray" and content_allowed and module is stdlib_ssl:
        # swiftssl takes any bytes-like value without a PEM header as a path (README,
        # "Differences", credentials from memory); the stdlib only takes bytes.
        return path.path
    return {"str": os.fsdecode, "bytes": bytes, "PathLike": lambda raw: pathlib.Path(os.fsdecode(raw)),
            "bytearray": bytearray}[path.form](path.path)


def ascii_text(content: bytes) -> str:
    return bytes(byte if byte < 128 else ord("?") for byte in content).decode("ascii")


def cadata_argument(cadata: Cadata, module):
    if cadata.content is None:
        return VALUES[cadata.form]
    if cadata.form == "str":
        return ascii_text(cadata.content)
    if cadata.form == "non-ASCII str":
        return cadata.content.decode("latin-1")
    if cadata.form == "strided memoryview":
        return memoryview(cadata.content * 2)[::2]  # not contiguous: a BufferError in both
    if module is stdlib_ssl and b"-----BEGIN" in cadata.content:
        # swiftssl reads cadata bytes holding a PEM header as PEM (README, "Differences"): the
        # stdlib's answer for the same text, with bytes it would refuse as non-ASCII made invalid.
        return ascii_text(cadata.content)
    return {"bytes": bytes, "bytearray": bytearray, "memoryview": memoryview}[cadata.form](cadata.content)


class PasswordCallback:
    def __init__(self, password: Password):
        self.password, self.calls = password, 0

    def __call__(self):
        self.calls += 1
        if self.password.kind == "raises":
            raise LookupError("the password vault is locked")
        value = self.password.value
        return bytearray(value) if isinstance(value, bytearray) else value


def outcome(function):
    """What happened, in terms both libraries must agree on."""
    try:
        function()
    except Exception as error:
        name, errno, message = described(error)
        if isinstance(error, TypeError) and type(error).__module__ == "builtins":
            # swiftssl's TypeError names what else it accepts (README, "Differences", credentials
            # from memory): "certfile should be a valid filesystem path, PEM content, or a
            # file-like object, not int" where CPython stops after "path".
            message = message.split(", PEM content, or a file-like object")[0]
        return (name, errno, message, getattr(error, "library", None), getattr(error, "reason", None),
                getattr(error, "filename", None), getattr(error, "filename2", None))
    return "returned"


def call(context, module, step):
    """Runs one prepared step on ``context``: (outcome, password callback calls)."""
    name, *arguments = step
    if name == "load_cert_chain":
        certfile, keyfile, password = arguments
        callback = PasswordCallback(password) if password.kind in ("returns", "raises") else None
        value = bytearray(password.value) if isinstance(password.value, bytearray) else password.value
        return outcome(lambda: context.load_cert_chain(
            path_argument(certfile, module, True), keyfile and path_argument(keyfile, module, True),
            callback or value)), callback and callback.calls
    if name == "load_verify_locations":
        cafile, capath, cadata = arguments
        return outcome(lambda: context.load_verify_locations(
            cafile and path_argument(cafile, module, True), capath and path_argument(capath, module, False),
            cadata and cadata_argument(cadata, module))), None
    if name == "load_dh_params":
        return outcome(lambda: context.load_dh_params(path_argument(arguments[0], module, False))), None
    if name == "load_default_certs":
        purpose = arguments[0]
        if purpose == "default":
            return outcome(context.load_default_certs), None
        purpose = 3 if purpose == "int" else getattr(module.Purpose, purpose)  # each library's own Purpose
        return outcome(lambda: context.load_default_certs(purpose)), None
    return outcome(context.set_default_verify_paths), None


def presented_chain(server_context, module):
    """The DER certificates a stdlib client is sent by a server using ``server_context``."""
    client_context = stdlib_ssl.SSLContext(stdlib_ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = stdlib_ssl.CERT_NONE
    client_in, client_out = stdlib_ssl.MemoryBIO(), stdlib_ssl.MemoryBIO()
    client = client_context.wrap_bio(client_in, client_out)
    server_in, server_out = module.MemoryBIO(), module.MemoryBIO()
    server = server_context.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(3):
        for end, source, destination in ((client, server_out, client_in), (server, client_out, server_in)):
            destination.write(source.read())
            handshake = outcome(end.do_handshake)
            if handshake != "returned" and handshake[0] != "SSLWantReadError":
                return handshake
    return [certificate.public_bytes(stdlib_ssl._ssl.ENCODING_DER)
            for certificate in client._sslobj.get_unverified_chain()]


def run(module, protocol, steps):
    """Per step: (outcome, password callback calls, trust store afterwards, and after
    load_cert_chain on a server context what a client meets: the chain or the handshake's error)."""
    context = module.SSLContext(getattr(module, protocol))
    results = []
    for step in steps:
        result, calls = call(context, module, step)
        chain = None
        if step[0] == "load_cert_chain" and protocol == "PROTOCOL_TLS_SERVER":
            chain = presented_chain(context, module)
        store = context.cert_store_stats(), context.get_ca_certs(), context.get_ca_certs(binary_form=True)
        results.append((result, calls, store, chain))
    return results


def run_both(workspace, protocol, steps, system_bundle):
    """The prepared steps, swiftssl's results and the stdlib's, with SSL_CERT_FILE naming a file
    holding ``system_bundle`` (what load_default_certs and set_default_verify_paths load)."""
    prepared = [workspace.prepare_step(step) for step in steps]
    environment = {"SSL_CERT_FILE": os.fsdecode(workspace.write(system_bundle, b"bundle")[0]),
                   "SSL_CERT_DIR": os.fsdecode(os.path.join(workspace.directory, b"no-such-directory"))}
    with mock.patch.dict(os.environ, environment):  # OpenSSL reads both at each call
        return prepared, run(swiftssl, protocol, prepared), run(stdlib_ssl, protocol, prepared)


# -- Known differences -----------------------------------------------------------------------
# What swiftssl does differently on purpose or has not matched yet (README, "Differences", names
# each). Remove a function once it no longer applies. A step one of them explains ends the
# comparison of its example, since the two contexts may hold different things from there on.

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
    """cadata with a broken or extra part after good certificates: CPython keeps those it read
    and raises OpenSSL's error ("[PEM: BAD_END_LINE] bad end line", "[ASN1: NOT_ENOUGH_DATA] not
    enough data"), or none for one trailing zero byte after DER; swiftssl loads nothing and says
    "no start line: cadata does not contain a certificate" (or "not enough data: ...")."""
    return step.name == "load_verify_locations" and \
        failed(step.ours[0], "SSLError", "cadata does not contain a certificate")


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


def load_dh_params_errors(step):
    """load_dh_params: when OpenSSL fails with no error queued CPython says "unknown error",
    swiftssl "no DH parameters in /tmp/..."; a block whose DER does not decode is CPython's
    "[PEM] ASN1 lib", swiftssl's "[ASN1] nested asn1 error" (it decodes the DER itself)."""
    theirs, ours = step.theirs[0], step.ours[0]
    return step.name == "load_dh_params" and (
        failed(theirs, "SSLError", "unknown error") and failed(ours, "SSLError", "no DH parameters")
        or failed(theirs, "SSLError", "[PEM] ASN1 lib") and failed(ours, "SSLError", "[ASN1]"))


def extra_system_bundle(step):
    """swiftssl's set_default_verify_paths (and so load_default_certs) also loads
    /etc/ca-certificates.crt when it exists (TLSContext.appEngineBundle); CPython's does not.
    There is no such file where this test was written."""
    return step.name in ("load_default_certs", "set_default_verify_paths") and os.path.exists(APP_ENGINE_BUNDLE)


APP_ENGINE_BUNDLE = "/etc/ca-certificates.crt"
# The narrow explanations first, so that the events name them; the broad ones last.
KNOWN_DIFFERENCES = [cadata_all_or_nothing, cafile_read_as_der,
                     key_file_read_before_the_chain_is_parsed,
                     chain_pem_errors, load_dh_params_errors, extra_system_bundle,
                     nul_byte_in_a_file, failed_load_cert_chain_changes_nothing]


def known_difference(step: DifferingStep):
    """The name of the known difference explaining why swiftssl's step differs, or None."""
    return next((explains.__name__ for explains in KNOWN_DIFFERENCES if explains(step)), None)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return Workspace(tmp_path_factory.mktemp("credentials"), make_pieces())


# CREDENTIAL_EXAMPLES=5000 for a longer search (with --timeout=0).
@settings(max_examples=int(os.environ.get("CREDENTIAL_EXAMPLES", 100)), deadline=None)
@given(protocol=st.sampled_from(["PROTOCOL_TLS_SERVER", "PROTOCOL_TLS_CLIENT"]),
       steps=st.lists(STEPS, min_size=1, max_size=4), system_bundle=contents(CA_RECIPES))
def test_credential_loading_matches_the_stdlib(workspace, protocol, steps, system_bundle):
    prepared, ours, theirs = run_both(workspace, protocol, steps, system_bundle)
    earlier = []
    for step, our_step, their_step in zip(prepared, ours, theirs):
        if our_step != their_step:
            known = known_difference(DifferingStep(step[0], step[1:], our_step, their_step, earlier))
            if known:
                event(f"known difference: {known}")
                return
        assert our_step == their_step
        result = their_step[0]
        event(f"{step[0]}: {result if result == 'returned' else result[0] + ' ' + result[2][:50]}")
        earlier.append((step, result))
