"""Constants and enums (python/swiftssl/_constants.py, _purpose.py) against CPython 3.11's ``ssl``.

The stdlib module of the running interpreter is the oracle: same names, same values, same enum
membership.
"""

import enum
import json
import ssl
import sys

import pytest

import swiftssl

from child_support import run_under, system_interpreter_where

# DESIGN.md section 1 names these explicitly.
APP_ENGINE_CONSTANTS = ["PROTOCOL_SSLv23", "PROTOCOL_TLS", "PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1",
                        "PROTOCOL_TLSv1_2", "PROTOCOL_TLS_CLIENT", "PROTOCOL_TLS_SERVER", "CERT_NONE",
                        "CERT_OPTIONAL", "CERT_REQUIRED"]

ENUMS = ["VerifyMode", "VerifyFlags", "TLSVersion", "_SSLMethod", "Options", "AlertDescription",
         "SSLErrorNumber"]


def stdlib_constant_names():
    """Every public all-caps int constant of the stdlib module (PROTOCOL_*, OP_*, CERT_*, ...),
    except the socket constants ssl.py merely imports for itself."""
    return sorted(name for name in dir(ssl)
                  if name.isupper() and not name.startswith("_")
                  and name not in ("SOCK_STREAM", "SOL_SOCKET", "SO_TYPE")
                  and isinstance(getattr(ssl, name), int) and not isinstance(getattr(ssl, name), bool))


@pytest.mark.parametrize("name", APP_ENGINE_CONSTANTS)
def test_app_engine_constants(name):
    assert getattr(swiftssl, name) == getattr(ssl, name)
    assert type(getattr(swiftssl, name)).__name__ == type(getattr(ssl, name)).__name__


def test_protocol_tls_is_protocol_sslv23():
    assert swiftssl.PROTOCOL_TLS is swiftssl.PROTOCOL_SSLv23
    assert swiftssl.PROTOCOL_TLS.name == ssl.PROTOCOL_TLS.name


@pytest.mark.parametrize("name", stdlib_constant_names())
def test_every_stdlib_int_constant_exists_with_its_value(name):
    assert hasattr(swiftssl, name), f"swiftssl lacks ssl.{name}"
    ours, theirs = getattr(swiftssl, name), getattr(ssl, name)
    assert int(ours) == int(theirs)
    if isinstance(theirs, enum.Enum):
        assert type(ours).__name__ == type(theirs).__name__
        assert ours.name == theirs.name


@pytest.mark.parametrize("name", ENUMS)
def test_enums_have_the_same_members(name):
    ours, theirs = getattr(swiftssl, name), getattr(ssl, name)
    assert issubclass(ours, enum.Enum)
    # Every member of the running interpreter's enum, with its value; swiftssl may name more
    # (3.12's OP_LEGACY_SERVER_CONNECT and OP_ENABLE_KTLS exist on 3.11 too).
    ours_members = {k: int(v) for k, v in ours.__members__.items()}
    assert {k: ours_members.get(k) for k in theirs.__members__} == \
        {k: int(v) for k, v in theirs.__members__.items()}
    assert issubclass(ours, enum.IntFlag) == issubclass(theirs, enum.IntFlag)


@pytest.mark.parametrize("name", ["HAS_SNI", "HAS_ECDH", "HAS_ALPN", "HAS_NPN", "HAS_NEVER_CHECK_COMMON_NAME",
                                  "HAS_SSLv2", "HAS_SSLv3", "HAS_TLSv1", "HAS_TLSv1_1", "HAS_TLSv1_2",
                                  "HAS_TLSv1_3", "CHANNEL_BINDING_TYPES", "OPENSSL_VERSION",
                                  "OPENSSL_VERSION_NUMBER", "OPENSSL_VERSION_INFO", "_DEFAULT_CIPHERS",
                                  "PEM_HEADER", "PEM_FOOTER"])
def test_flags_and_version_information(name):
    """Both modules run on the same libssl.so.3, so even the version information must agree."""
    assert getattr(swiftssl, name) == getattr(ssl, name)


def test_purpose_values():
    for member in ("SERVER_AUTH", "CLIENT_AUTH"):
        ours, theirs = getattr(swiftssl.Purpose, member), getattr(ssl.Purpose, member)
        assert tuple(ours) == tuple(theirs)
        assert (ours.nid, ours.shortname, ours.longname, ours.oid) == \
            (theirs.nid, theirs.shortname, theirs.longname, theirs.oid)


def test_context_properties_return_the_enums():
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    oracle = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert type(context.verify_mode) is swiftssl.VerifyMode and context.verify_mode == oracle.verify_mode
    assert type(context.protocol) is swiftssl._SSLMethod and context.protocol == oracle.protocol
    assert type(context.minimum_version) is swiftssl.TLSVersion
    assert context.minimum_version == oracle.minimum_version
    assert context.maximum_version == oracle.maximum_version
    assert type(context.verify_flags) is swiftssl.VerifyFlags and context.verify_flags == oracle.verify_flags
    assert type(context.options) is swiftssl.Options
    assert context.options == oracle.options


def test_has_pha_is_there_on_every_version_as_314_has_it():
    """3.14's ssl (and _ssl) name HAS_PHA, which its test_ssl.py and http.client read: without
    it 3.14's test_ssl.py could not even be imported with swiftssl as ssl."""
    from swiftssl import _ssl
    assert swiftssl.HAS_PHA is True and _ssl.HAS_PHA is True and "HAS_PHA" in swiftssl.__all__


ENUM_SHAPES = """
    import json, pickle, ssl, swiftssl
    NAMES = ("VerifyMode", "VerifyFlags", "AlertDescription", "SSLErrorNumber", "_SSLMethod", "TLSVersion")

    def shape(module, name):
        enum = getattr(module, name)
        return {"attributes": sorted(key for key in vars(enum) if not key.startswith("_member")),
                "members": [[member.name, int(member)] for member in enum],
                "pickled": all(pickle.loads(pickle.dumps(member)) is member for member in enum)}

    print(json.dumps({module.__name__: {name: shape(module, name) for name in NAMES}
                      for module in (swiftssl, ssl)}))
"""


@pytest.mark.parametrize("interpreter", ["this", "system"])
def test_enums_are_made_as_each_releases_ssl_makes_them(interpreter, tmp_path):
    """With each release's own enum module (ssl.py's _convert_): Debian 12's 3.11.2, for one,
    gives _convert_'s enums a __reduce_ex__ by name, and its test_ssl compares."""
    if interpreter == "system":
        interpreter = system_interpreter_where("print(True)")
        if interpreter is None:
            pytest.skip("no system interpreter of 3.11 or later")
    else:
        interpreter = sys.executable
    completed = run_under(interpreter, ENUM_SHAPES, tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout)
    assert report["swiftssl"] == report["ssl"]
