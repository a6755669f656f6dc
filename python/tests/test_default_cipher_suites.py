"""New contexts start with the cipher suites and lowest protocol version the interpreter's own
``ssl`` starts with: CPython's build option ``--with-ssl-default-suites``, which sysconfig records
as ``PY_SSL_DEFAULT_CIPHERS`` (1: CPython's list and TLS 1.2 at least, as python.org and pyenv
build; 2: OpenSSL's configured defaults, as Debian, Ubuntu and Fedora build; 0: a string of the
builder's own, in ``PY_SSL_DEFAULT_CIPHER_STRING``). Before, swiftssl always used CPython's list,
so on Debian's own python3 it refused servers that the stdlib reached (TLS 1.2 with CBC suites).

The differential runs under Debian's /usr/bin/python3.11 where it is installed (it is on this
project's machines): swiftssl and that interpreter's stdlib, side by side, in one child.
"""

import json
import os
import ssl
import sys
import textwrap

import pytest

import swiftssl

from child_support import run_under, system_interpreter_where
from peer_support import OpenSSLServer

# CPython's own list (Modules/_ssl.c, PY_SSL_DEFAULT_CIPHERS 1).
CPYTHONS_LIST = "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"

# Prints, as JSON, how each library starts its contexts; with argv[1] a port, also how a
# verifying client of each fares against the server there.
DESCRIBE = """
    import json, os, socket, sys, warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    {prelude}
    import ssl, swiftssl

    def start(module, make):
        context = make(module)
        return {{"minimum": int(context.minimum_version), "maximum": int(context.maximum_version),
                 "ciphers": [cipher["name"] for cipher in context.get_ciphers()],
                 "security_level": context.security_level}}

    def connect(module, port, ca):
        context = module.create_default_context(cafile=ca)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as tls:
                    return [tls.version(), tls.cipher()[0]]
        except (OSError, module.SSLError) as error:
            return [type(error).__name__, getattr(error, "reason", None)]

    makers = {{
        "PROTOCOL_TLS_CLIENT": lambda m: m.SSLContext(m.PROTOCOL_TLS_CLIENT),
        "PROTOCOL_TLS_SERVER": lambda m: m.SSLContext(m.PROTOCOL_TLS_SERVER),
        "PROTOCOL_TLS": lambda m: m.SSLContext(m.PROTOCOL_TLS),
        "create_default_context()": lambda m: m.create_default_context(),
        "create_default_context(CLIENT_AUTH)": lambda m: m.create_default_context(m.Purpose.CLIENT_AUTH),
        "_create_unverified_context()": lambda m: m._create_unverified_context(),
    }}
    report = {{}}
    for name, module in (("swiftssl", swiftssl), ("ssl", ssl)):
        entry = {{context: start(module, make) for context, make in makers.items()}}
        entry["_DEFAULT_CIPHERS"] = module._DEFAULT_CIPHERS
        entry["_RESTRICTED_SERVER_CIPHERS"] = module._RESTRICTED_SERVER_CIPHERS
        if len(sys.argv) > 1:
            entry["connect"] = connect(module, int(sys.argv[1]), sys.argv[2])
        report[name] = entry
    print(json.dumps(report))
"""

# Makes sysconfig answer as an interpreter built with other suites would, before swiftssl loads.
FAKE_BUILD = """
    import sysconfig
    _real = sysconfig.get_config_var
    _fake = json.loads(os.environ["FAKE_CONFIG_VARS"])
    sysconfig.get_config_var = lambda name: _fake[name] if name in _fake else _real(name)
"""


def describe(interpreter, tmp_path, *arguments, prelude="", **environment):
    """Runs DESCRIBE under `interpreter` with only this swiftssl package added to its path."""
    program = textwrap.dedent(DESCRIBE).format(prelude=textwrap.dedent(prelude).strip())
    completed = run_under(interpreter, program, tmp_path, *arguments, **environment)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def openssl_suites_interpreter():
    interpreter = system_interpreter_where(
        "import sysconfig; print(sysconfig.get_config_var('PY_SSL_DEFAULT_CIPHERS') == 2)")
    if interpreter is None:
        pytest.skip("no interpreter built with --with-ssl-default-suites=openssl (Debian's python3.11)")
    return interpreter


@pytest.fixture
def cbc_only_server(tmp_path, server_cert):
    """openssl s_server offering TLS 1.2 with CBC suites only, which OpenSSL's default list has
    and CPython's does not."""
    chain, key = server_cert.write(tmp_path, "cbc-server")
    with OpenSSLServer("-cert", chain, "-key", key, "-tls1_2",
                       "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA", "-www") as server:
        yield server


def test_under_an_interpreter_built_with_openssl_suites_contexts_start_as_its_stdlibs_do(
        openssl_suites_interpreter, tmp_path, cbc_only_server, root_ca):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(root_ca.cert_pem)
    report = describe(openssl_suites_interpreter, tmp_path, cbc_only_server.port, ca)
    assert report["swiftssl"] == report["ssl"]
    assert report["ssl"]["_DEFAULT_CIPHERS"] == "ALL:!COMPLEMENTOFDEFAULT:!eNULL"
    assert report["ssl"]["PROTOCOL_TLS_CLIENT"]["minimum"] == int(swiftssl.TLSVersion.MINIMUM_SUPPORTED)
    # The user-visible part: a server with CBC suites only is reached by both (compared above).
    version, cipher = report["swiftssl"]["connect"]
    assert version == "TLSv1.2" and cipher.endswith("AES128-SHA")


def test_on_this_interpreter_contexts_start_as_its_stdlibs_do(tmp_path, cbc_only_server, root_ca):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(root_ca.cert_pem)
    report = describe(sys.executable, tmp_path, cbc_only_server.port, ca)
    assert report["swiftssl"] == report["ssl"]


def build_like(tmp_path, **config_vars):
    """swiftssl's half of DESCRIBE in this interpreter, its sysconfig answering `config_vars`."""
    return describe(sys.executable, tmp_path, prelude=FAKE_BUILD,
                    FAKE_CONFIG_VARS=json.dumps(config_vars))["swiftssl"]


def test_a_build_with_cpythons_suites_applies_its_list_and_tls_1_2_at_least(tmp_path):
    mine = build_like(tmp_path, PY_SSL_DEFAULT_CIPHERS=1)
    assert mine["_DEFAULT_CIPHERS"] == mine["_RESTRICTED_SERVER_CIPHERS"] == CPYTHONS_LIST
    client = mine["PROTOCOL_TLS_CLIENT"]
    assert client["minimum"] == int(swiftssl.TLSVersion.TLSv1_2)
    assert "ECDHE-ECDSA-AES128-GCM-SHA256" in client["ciphers"]
    assert "ECDHE-ECDSA-AES128-SHA" not in client["ciphers"]


def test_a_build_with_openssl_suites_leaves_ciphers_and_lowest_version_to_openssl(tmp_path):
    mine = build_like(tmp_path, PY_SSL_DEFAULT_CIPHERS=2)
    assert mine["_DEFAULT_CIPHERS"] == mine["_RESTRICTED_SERVER_CIPHERS"] == "ALL:!COMPLEMENTOFDEFAULT:!eNULL"
    client = mine["PROTOCOL_TLS_CLIENT"]
    assert client["minimum"] == int(swiftssl.TLSVersion.MINIMUM_SUPPORTED)
    assert "ECDHE-ECDSA-AES128-SHA" in client["ciphers"]


def test_a_build_with_its_own_cipher_string_applies_it_with_tls_1_2_at_least(tmp_path):
    own = "HIGH:!aNULL:!kRSA:!PSK:!SRP:!CAMELLIA:!ARIA"
    mine = build_like(tmp_path, PY_SSL_DEFAULT_CIPHERS=0,
                      PY_SSL_DEFAULT_CIPHER_STRING=f'"{own}"')  # quoted, as pyconfig.h has it
    stdlib_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    stdlib_context.set_ciphers(own)
    assert mine["_DEFAULT_CIPHERS"] == mine["_RESTRICTED_SERVER_CIPHERS"] == own
    assert mine["PROTOCOL_TLS_CLIENT"]["ciphers"] == [cipher["name"] for cipher in stdlib_context.get_ciphers()]
    assert mine["PROTOCOL_TLS_CLIENT"]["minimum"] == int(swiftssl.TLSVersion.TLSv1_2)


def test_an_interpreter_whose_build_data_cannot_be_read_gets_cpythons_defaults(tmp_path):
    """A frozen application may ship without sysconfig's data: the core still loads."""
    report = describe(sys.executable, tmp_path, prelude="""
    import sysconfig
    def _missing(name):
        raise ModuleNotFoundError("No module named '_sysconfigdata__linux_x86_64-linux-gnu'")
    sysconfig.get_config_var = _missing
    """)
    assert report["swiftssl"]["_DEFAULT_CIPHERS"] == CPYTHONS_LIST
    assert report["swiftssl"]["PROTOCOL_TLS_CLIENT"]["minimum"] == int(swiftssl.TLSVersion.TLSv1_2)
