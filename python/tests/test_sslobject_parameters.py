"""``wrap_bio`` checks its parameters as ``wrap_socket`` does, before anything else: a server end
takes neither a ``server_hostname`` nor a ``session`` (ValueError). CPython added these checks
to ``SSLObject._create`` with the fix for CVE-2026-19553; 3.11.7's took a hostname on a server
end silently, and a session from another context failed on the context first. Compared with an
interpreter that has the fix where one is installed (Debian 12's python3.11 backports it).
"""

import json
import os

import pytest

import swiftssl

from child_support import run_under, system_interpreter_where
from memory_pair_support import memory_handshake

SERVER_HOSTNAME = "server_hostname can only be specified in client mode"
SESSION = "session can only be specified in client mode"

# For each library: a TLS 1.2 session from a memory handshake, then server-side wrap_bio calls
# with a hostname, a session, or both, on a server and on a client context; what each raised.
PROGRAM = """
    import json, os, sys, warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    import ssl, swiftssl
    sys.path.insert(0, os.environ["TESTS_DIRECTORY"])
    from memory_pair_support import memory_handshake

    def outcome(call):
        try:
            call()
        except Exception as error:
            return [type(error).__name__, str(error)]
        return ["returned"]

    report = {}
    for module in (swiftssl, ssl):
        server = module.SSLContext(module.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(os.environ["CHAIN"], os.environ["KEY"])
        client = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(os.environ["CA"])
        client.maximum_version = module.TLSVersion.TLSv1_2
        session = memory_handshake(client, server, module.MemoryBIO)[0].session
        calls = {}
        for context_name, context in (("server context", server), ("client context", client)):
            for label, arguments in (("hostname", {"server_hostname": "localhost"}),
                                     ("session", {"session": session}),
                                     ("both", {"server_hostname": "localhost", "session": session})):
                calls[f"{context_name}, {label}"] = outcome(lambda: context.wrap_bio(
                    module.MemoryBIO(), module.MemoryBIO(), server_side=True, **arguments))
        report[module.__name__] = calls
    print(json.dumps(report))
"""


@pytest.fixture
def environment(tmp_path, server_cert, root_ca):
    chain, key = server_cert.write(tmp_path, "server")
    (tmp_path / "ca.pem").write_bytes(root_ca.cert_pem)
    return {"CHAIN": chain, "KEY": key, "CA": str(tmp_path / "ca.pem"),
            "TESTS_DIRECTORY": os.path.dirname(os.path.abspath(__file__))}


def test_a_server_end_takes_no_hostname_and_no_session(server_cert, root_ca):
    server = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(server_cert.chain_pem, server_cert.key_pem)  # PEM content, in memory
    client = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cadata=root_ca.cert_pem.decode())
    client.maximum_version = swiftssl.TLSVersion.TLSv1_2
    session = memory_handshake(client, server, swiftssl.MemoryBIO)[0].session
    assert session is not None
    for context in (server, client):  # whatever the context, as wrap_socket
        for arguments, message in (({"server_hostname": "localhost"}, SERVER_HOSTNAME),
                                   ({"session": session}, SESSION),
                                   ({"server_hostname": "localhost", "session": session}, SERVER_HOSTNAME)):
            with pytest.raises(ValueError, match=message):
                context.wrap_bio(swiftssl.MemoryBIO(), swiftssl.MemoryBIO(), server_side=True, **arguments)


def test_wrap_bio_refuses_what_a_fixed_stdlib_refuses(tmp_path, environment):
    interpreter = system_interpreter_where("""
        import ssl
        try:  # 3.11.7's takes it silently
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).wrap_bio(
                ssl.MemoryBIO(), ssl.MemoryBIO(), server_side=True, server_hostname="x")
        except ValueError:
            print(True)
        """)
    if interpreter is None:
        pytest.skip("no interpreter whose ssl has the CVE-2026-19553 checks in SSLObject._create")
    completed = run_under(interpreter, PROGRAM, tmp_path, **environment)
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout)
    assert report["swiftssl"] == report["ssl"]
    assert report["ssl"]["client context, session"] == ["ValueError", SESSION]
