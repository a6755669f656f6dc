"""An SSLContext (python/swiftssl/_context.py over Sources/SwiftSSL/TLSContext*.swift) configured
through any sequence of setters and methods behaves as the stdlib's: each step returns or raises
the same (class, errno, message), and afterwards every setting that can be read agrees. No
connection is made; the stdlib is the oracle.

Arguments are drawn as plain data and turned into objects for each module by `Run.resolve`, so a
constant such as CERT_REQUIRED is each module's own and a failing example prints readably. What
README's "Differences" documents is reconciled in `documented`; the few differences kept (range
errors of absurd integers, OpenSSL failing without a reason) are listed in KNOWN_DIFFERENCES,
each forgiven only where it shows as described.
"""

import enum
import functools
import operator
import os
import pathlib
import ssl as stdlib_ssl
import sys
import tempfile
import warnings

import pytest
from hypothesis import event, example, given, settings, strategies as st

from differential_support import Index, described, example_count
import swiftssl


class Named:
    """A module's constant by name (`Named("CERT_NONE")`), several OR-ed together
    (`Named("OP_NO_TLSv1", "OP_NO_TICKET")`), or a member of one of its enums
    (`Named("TLSv1_3", enum="TLSVersion")`)."""

    def __init__(self, *names, enum=None):
        self.names, self.enum = names, enum

    def resolve(self, module):
        if self.enum is not None:
            return getattr(module, self.enum)[self.names[0]]
        return functools.reduce(operator.or_, (getattr(module, name) for name in self.names))

    def __repr__(self):
        return f"Named({', '.join(map(repr, self.names))}{f', enum={self.enum!r}' if self.enum else ''})"


def version(name):
    return Named(name, enum="TLSVersion")


def purpose(name):
    return Named(name, enum="Purpose")


def callback_a(*arguments):
    return None


def callback_b(*arguments):
    return None


CALLBACKS = {"callback_a": callback_a, "callback_b": callback_b}
# Paths a step may name, always under the run's own directory ("<tmp>" in what is compared).
PATHS = {"a.log": "a.log", "b.log": "b.log", "missing": "no-such-directory/x.log",
         "directory": ".", "null": "a.log\0"}
KEYLOG_FILES = ("a.log", "b.log")

PINNED = {stdlib_ssl.PROTOCOL_TLSv1: stdlib_ssl.TLSVersion.TLSv1,
          stdlib_ssl.PROTOCOL_TLSv1_1: stdlib_ssl.TLSVersion.TLSv1_1,
          stdlib_ssl.PROTOCOL_TLSv1_2: stdlib_ssl.TLSVersion.TLSv1_2}
LEGACY = {stdlib_ssl.PROTOCOL_TLSv1, stdlib_ssl.PROTOCOL_TLSv1_1}

# -- what steps are made of --------------------------------------------------------------------
WRONG_TYPES = [None, 1.0, 2.5, "1", "x", b"1", Index(1), Index(2), Index(-1), [], True, False]
INTEGERS = st.one_of(
    st.integers(-4, 4),
    st.sampled_from([0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x2ff, 2**31 - 1, 2**31, -2**31,
                     -2**31 - 1, 2**32, 2**63 - 1, 2**63, -2**63, -2**63 - 1, 2**64 - 1, 2**64,
                     2**100, -2**100]),
    st.integers(-2**70, 2**70))
VALUES = st.one_of(INTEGERS, INTEGERS, st.sampled_from(WRONG_TYPES))  # two in three are ints


def bits(names):
    """OP_* or VERIFY_* constants OR-ed together, single bits, or any value."""
    constants = st.lists(st.sampled_from(names), min_size=1, max_size=4).map(lambda chosen: Named(*chosen))
    return st.one_of(constants, st.sampled_from([1 << bit for bit in range(64)]), VALUES)


CIPHER_PIECES = [
    "ALL", "DEFAULT", "HIGH", "MEDIUM", "LOW", "eNULL", "aNULL", "NULL", "COMPLEMENTOFALL",
    "COMPLEMENTOFDEFAULT", "ECDHE", "ECDH+AESGCM", "DHE+AES", "kRSA", "aRSA", "aECDSA", "PSK", "SRP",
    "AESGCM", "AES256", "CHACHA20", "3DES", "RC4", "CAMELLIA", "ARIA", "SHA1", "SHA256", "MD5", "!SHA1",
    "!aNULL", "-ALL", "+AES", "!ECDHE", "@STRENGTH", "@SECLEVEL=0", "@SECLEVEL=1", "@SECLEVEL=2",
    "@SECLEVEL=3", "@SECLEVEL=5", "@SECLEVEL=9", "AES128-SHA", "AES256-GCM-SHA384", "NULL-MD5",
    "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", "DES-CBC3-SHA", "NULL-SHA256",
    "TLS_AES_128_GCM_SHA256", "bogus", "", "TLSv1.2", "SSLv3",
]
CIPHER_STRINGS = st.one_of(
    st.lists(st.sampled_from(CIPHER_PIECES), max_size=5).flatmap(
        lambda pieces: st.sampled_from([":", ",", " "]).map(lambda separator: separator.join(pieces))),
    st.text(alphabet="ACDEHLMNRSTW+-!@:=0123 ", max_size=12),
    st.sampled_from([b"ALL", None, 42, "ALL\0"]))

STEP = st.one_of(
    st.tuples(st.just("options"), st.sampled_from(["|=", "&=~", "="]),
              bits(sorted(stdlib_ssl.Options.__members__))),
    st.tuples(st.just("verify_flags"), st.sampled_from(["|=", "&=~", "="]),
              bits(sorted(stdlib_ssl.VerifyFlags.__members__))),
    st.tuples(st.just("verify_mode"), st.one_of(
        st.sampled_from(["CERT_NONE", "CERT_OPTIONAL", "CERT_REQUIRED"]).map(Named), VALUES)),
    st.tuples(st.sampled_from(["check_hostname", "post_handshake_auth", "hostname_checks_common_name"]),
              st.sampled_from([True, False, 0, 1, 2, None, "", "no", [], [0]])),
    st.tuples(st.sampled_from(["minimum_version", "maximum_version"]), st.one_of(
        st.sampled_from(sorted(stdlib_ssl.TLSVersion.__members__)).map(version), VALUES)),
    st.tuples(st.just("num_tickets"), VALUES),
    st.tuples(st.sampled_from(["security_level", "protocol"]), st.sampled_from([0, 2, None])),
    st.tuples(st.just("set_ciphers"), CIPHER_STRINGS),
    st.tuples(st.just("set_alpn_protocols"), st.one_of(
        st.lists(st.sampled_from(["h2", "http/1.1", "", "x" * 255, "x" * 256, "\xe9", b"h2", 7]),
                 max_size=4),
        st.sampled_from([42, None, "h2", b"h2", ("h2", "spdy/3")]))),
    st.tuples(st.just("set_ecdh_curve"), st.sampled_from([
        "prime256v1", "secp384r1", "secp521r1", "secp256k1", "brainpoolP256r1", "X25519", "X448",
        "P-256", "RSA", "sha256", "", "bogus", "prime256v1\0", b"prime256v1", b"secp384r1", b"bogus",
        pathlib.PurePosixPath("prime256v1"), pathlib.PurePosixPath("bogus"), 42, None])),
    st.tuples(st.sampled_from(["sni_callback", "set_servername_callback", "_msg_callback"]),
              st.sampled_from([None, "callback_a", "callback_b", 42, "text"])),
    st.tuples(st.just("keylog_filename"), st.sampled_from([
        None, "a.log", "b.log", "missing", "directory", "null", 123, 1.5, ("bytes", "a.log"),
        ("path", "b.log")])),
    # One choice among the others: loading the system's CAs takes tens of milliseconds.
    st.sampled_from([("load_default_certs",), ("load_default_certs", purpose("SERVER_AUTH")),
                     ("load_default_certs", purpose("CLIENT_AUTH")), ("load_default_certs", "x"),
                     ("load_default_certs", None), ("load_default_certs", 1),
                     ("set_default_verify_paths",)]),
    st.tuples(st.just("load_verify_locations"), st.sampled_from(
        ["pem", "der", "intermediate pem", "garbage", "cafile", "missing cafile", "nothing"])),
    st.tuples(st.just("get_ca_certs"), st.booleans()),
)
CONSTRUCTIONS = st.one_of(
    st.sampled_from(["PROTOCOL_TLS", "PROTOCOL_TLS_CLIENT", "PROTOCOL_TLS_SERVER", "PROTOCOL_SSLv23",
                     "PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1", "PROTOCOL_TLSv1_2"]).map(Named),
    st.sampled_from([("create_default_context", purpose("SERVER_AUTH")),
                     ("create_default_context", purpose("CLIENT_AUTH")),
                     ("create_default_context",), ("SSLContext",)]),
    st.sampled_from([0, 1, 6, 15, 18, 99, -1, 2**40, "2", 2.0, Index(16), None]))


# -- running them ------------------------------------------------------------------------------
class Run:
    """One module's context, driven step by step, with a temporary directory of its own."""

    def __init__(self, module, directory, authorities):
        self.module, self.directory, self.authorities = module, directory, authorities
        self.context = None
        self.store_counts = self.ca_certificates = None

    def resolve(self, value):
        if isinstance(value, Named):
            return value.resolve(self.module)
        if isinstance(value, tuple) and value[:1] in (("bytes",), ("path",)):
            path = os.path.join(self.directory, PATHS[value[1]])
            return os.fsencode(path) if value[0] == "bytes" else pathlib.Path(path)
        if isinstance(value, str) and value in PATHS:
            return os.path.join(self.directory, PATHS[value])
        return CALLBACKS.get(value, value) if isinstance(value, str) else value

    def plain(self, value):
        """`value` in terms both runs share: enums by class name and value, the run's directory
        as "<tmp>", a callback by its name."""
        if isinstance(value, enum.Enum):
            return type(value).__name__, self.plain(value.value)
        if isinstance(value, bool):
            return "bool", value
        if isinstance(value, dict):
            return {key: self.plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value).__name__, [self.plain(item) for item in value]
        if isinstance(value, (str, bytes, os.PathLike)):
            return type(value).__name__, os.fsdecode(value).replace(self.directory, "<tmp>")
        if callable(value):
            names = [name for name, callback in CALLBACKS.items() if callback is value]
            return names[0] if names else "another callable"
        return value

    def outcome(self, function, *arguments):
        try:
            with warnings.catch_warnings():
                # PROTOCOL_*, OP_NO_* and TLSVersion deprecations: the stdlib warns where swiftssl
                # does not (README, "Differences"); not what this test compares.
                warnings.simplefilter("ignore")
                return "returned", self.plain(function(*arguments))
        except Exception as error:  # noqa: BLE001 -- any exception is an outcome to compare
            kind, number, message = described(error)
            return kind, number, message.replace(self.directory, "<tmp>")

    def construct(self, how):
        def make():
            if isinstance(how, tuple) and how[0] == "create_default_context":
                self.context = self.module.create_default_context(*map(self.resolve, how[1:]))
            elif how == ("SSLContext",):
                self.context = self.module.SSLContext()
            else:
                self.context = self.module.SSLContext(self.resolve(how))
        return self.outcome(make)

    def step(self, name, *arguments):
        context = self.context
        argument = self.resolve(arguments[-1]) if arguments else None
        if name in ("options", "verify_flags"):
            def update():
                if arguments[0] == "|=":
                    setattr(context, name, getattr(context, name) | argument)
                elif arguments[0] == "&=~":
                    setattr(context, name, getattr(context, name) & ~argument)
                else:
                    setattr(context, name, argument)
            return self.outcome(update)
        if name == "load_verify_locations":
            return self.outcome(self.load_verify_locations, arguments[0])
        if not callable(getattr(type(context), name, None)):  # an attribute
            return self.outcome(setattr, context, name, argument)
        return self.outcome(getattr(context, name), *([argument] if arguments else []))

    def load_verify_locations(self, what):
        root, intermediate = self.authorities.pems
        arguments = {
            "pem": {"cadata": root.decode()},
            "intermediate pem": {"cadata": intermediate.decode()},
            "der": {"cadata": stdlib_ssl.PEM_cert_to_DER_cert(root.decode())},
            "garbage": {"cadata": "not a certificate"},
            "cafile": {"cafile": os.path.join(self.directory, "ca.pem")},
            "missing cafile": {"cafile": os.path.join(self.directory, "missing.pem")},
            "nothing": {},
        }[what]
        return self.context.load_verify_locations(**arguments)

    def snapshot(self):
        """Every setting that can be read, each as an outcome, and the key log files."""
        context = self.context
        names = ["protocol", "options", "verify_mode", "verify_flags", "check_hostname",
                 "minimum_version", "maximum_version", "post_handshake_auth",
                 "hostname_checks_common_name", "num_tickets", "security_level", "sni_callback",
                 "keylog_filename", "_msg_callback"]
        state = {name: self.outcome(getattr, context, name) for name in names}
        for method in ("get_ciphers", "session_stats", "cert_store_stats"):
            state[method] = self.outcome(getattr(context, method))
        # get_ca_certs decodes every CA (the system's 100+ after load_default_certs): read it
        # again only when the store's counts have changed.
        if state["cert_store_stats"] != self.store_counts:
            self.store_counts = state["cert_store_stats"]
            self.ca_certificates = self.outcome(context.get_ca_certs)
        state["get_ca_certs"] = self.ca_certificates
        for name in KEYLOG_FILES:
            path = pathlib.Path(self.directory, name)
            state[name] = path.read_bytes() if path.exists() else None
        return state


def documented(ours, theirs, protocol):
    """`ours` (swiftssl's snapshot) with what README's "Differences" documents replaced by the
    stdlib's values, where it shows exactly as documented."""
    ours = dict(ours)
    pinned = PINNED.get(protocol)
    if pinned is not None:
        # "Pinned contexts ... report it as both minimum_version and maximum_version"; the
        # stdlib reports MINIMUM_SUPPORTED and MAXIMUM_SUPPORTED.
        for name, stdlib_says in (("minimum_version", -2), ("maximum_version", -1)):
            if ours[name] == ("returned", ("TLSVersion", int(pinned))) and \
                    theirs[name] == ("returned", ("TLSVersion", stdlib_says)):
                ours[name] = theirs[name]
    return ours


# -- differences kept ---------------------------------------------------------------------------
# Each is forgiven only where it shows as described here.
# After a step that differs in a known way the example goes on only if the settings still agree.

def _is_c_int(value, low=-2**31, high=2**31):
    """What CPython's "i" argument parsing takes as it is."""
    return isinstance(value, int) and low <= value < high


KNOWN_DIFFERENCES = {
    # 3.11 parses `options` as a C long (so -1 sets every option), where 3.12+ and swiftssl take
    # an unsigned 64-bit value (README, "Differences").
    "options as a C long on 3.11": lambda name, argument, ours, theirs: (
        name == "options" and hasattr(argument, "__index__")
        and not _is_c_int(operator.index(argument), 0, 2**63)),
    # 3.12 parses `options` as a uint64 that must be an int: its TypeError reads "argument must be
    # int, not X", also for objects with __index__, which swiftssl (like 3.11) takes.
    "options types on 3.12+": lambda name, argument, ours, theirs: (
        name == "options" and sys.version_info >= (3, 12) and theirs[0] == "TypeError"
        and ours[0] in ("TypeError", "returned")),
    # set_ecdh_curve of a name OpenSSL knows that is no curve ("RSA", "sha256"): OpenSSL fails
    # without saying why; CPython says SSLError(0, "unknown error"), swiftssl SSLError(0, "could
    # not set the key exchange group") (README, "Differences").
    "set_ecdh_curve of a name that is no curve": lambda name, argument, ours, theirs: (
        name == "set_ecdh_curve" and ours[0] == "SSLError" and theirs == ("SSLError", 0, "unknown error")),
}


def known_difference(name, argument, ours, theirs):
    """The KNOWN_DIFFERENCES entry that explains `ours` != `theirs` at this step, or None."""
    labels = [label for label, shows in KNOWN_DIFFERENCES.items() if shows(name, argument, ours, theirs)]
    return labels[0] if labels else None


class Authorities:
    """The CA certificates steps load, with a short repr for Hypothesis' falsifying examples."""

    def __init__(self, *pems):
        self.pems = pems

    def __repr__(self):
        return "Authorities(root, intermediate)"


@pytest.fixture(scope="module")
def authorities(root_ca, intermediate_ca):
    return Authorities(root_ca.cert_pem, intermediate_ca.cert_pem)


# CONTEXT_EXAMPLES=3000 for a longer search.
@settings(max_examples=example_count("CONTEXT_EXAMPLES", 150), deadline=None)
@given(construction=CONSTRUCTIONS, steps=st.lists(STEP, max_size=20))
# check_hostname and verify_mode in both orders: True upgrades CERT_NONE to CERT_REQUIRED, and
# CERT_NONE is refused while it is on.
@example(construction=Named("PROTOCOL_TLS_SERVER"), steps=[
    ("check_hostname", True), ("verify_mode", Named("CERT_NONE")), ("verify_mode", Named("CERT_OPTIONAL")),
    ("check_hostname", False), ("verify_mode", Named("CERT_NONE")), ("check_hostname", 1)])
@example(construction=("create_default_context",), steps=[
    ("verify_mode", Named("CERT_NONE")), ("check_hostname", False), ("verify_mode", 0),
    ("load_default_certs",)])
# Versions: pinned contexts refuse both bounds; flexible ones take every TLSVersion.
@example(construction=Named("PROTOCOL_TLSv1_2"), steps=[
    ("minimum_version", version("TLSv1_3")), ("maximum_version", version("MAXIMUM_SUPPORTED"))])
@example(construction=Named("PROTOCOL_TLS_CLIENT"), steps=[
    ("minimum_version", version("MINIMUM_SUPPORTED")), ("maximum_version", version("TLSv1")),
    ("minimum_version", version("MAXIMUM_SUPPORTED")),
    ("options", "&=~", Named("OP_NO_TLSv1_3", "OP_NO_TICKET")), ("options", "|=", Named("OP_NO_TLSv1_3")),
    ("num_tickets", 3), ("sni_callback", "callback_a")])
# Server-only settings, legacy cipher lists, ALPN and key logging.
@example(construction=Named("PROTOCOL_TLSv1"), steps=[
    ("num_tickets", 0), ("set_ciphers", "ALL"), ("set_ciphers", "@SECLEVEL=1:HIGH"),
    ("set_alpn_protocols", ["h2", "x" * 255]), ("set_servername_callback", "callback_b"),
    ("sni_callback", None), ("keylog_filename", "a.log"), ("keylog_filename", None),
    ("_msg_callback", "callback_a")])
def test_any_sequence_of_settings_matches_the_stdlib(authorities, construction, steps):
    with tempfile.TemporaryDirectory() as our_directory, tempfile.TemporaryDirectory() as their_directory:
        ours = Run(swiftssl, our_directory, authorities)
        theirs = Run(stdlib_ssl, their_directory, authorities)
        for run in (ours, theirs):
            pathlib.Path(run.directory, "ca.pem").write_bytes(authorities.pems[0])
        outcomes = ours.construct(construction), theirs.construct(construction)
        argument = construction if isinstance(construction, tuple) else theirs.resolve(construction)
        if outcomes[0] != outcomes[1]:
            label = known_difference("construct", argument, *outcomes)
            assert label, outcomes
            event(f"known difference: {label}")
            return
        if theirs.context is None:
            return
        protocol = theirs.context.protocol
        if protocol in LEGACY:
            # README: PROTOCOL_TLSv1 and PROTOCOL_TLSv1_1 lower the security level to 0 "for
            # that context only", with the cipher list of legacyCipherString
            # (Sources/SwiftSSL/TLSContext.swift). The oracle is given the same.
            theirs.context.set_ciphers("DEFAULT:!aNULL:!eNULL:@SECLEVEL=0")
        for index, step in enumerate([None] + steps):
            outcomes = (ours.step(*step), theirs.step(*step)) if step else (None, None)
            expected = theirs.snapshot()
            found = documented(ours.snapshot(), expected, protocol)
            if step and (outcomes[0], found) != (outcomes[1], expected):
                argument = theirs.resolve(step[-1]) if len(step) > 1 else None
                label = known_difference(step[0], argument, *outcomes)
                if label:
                    event(f"known difference: {label}")
                    if found != expected:
                        return  # the contexts no longer hold the same settings
                    continue
            assert (index, step, outcomes[0], found) == (index, step, outcomes[1], expected)
