"""TLS-PSK: CPython 3.13's ``set_psk_client_callback`` and ``set_psk_server_callback``
(python/swiftssl/_context.py over Sources/SwiftSSLPython/PreSharedKeyMethods.swift and
Sources/SwiftSSL/PreSharedKey.swift), on every supported Python version.

Real handshakes throughout: swiftssl on both ends over loopback (CPython's own test_psk
scenarios), against ``openssl s_server``/``s_client``, and against the stdlib where it has PSK
(3.13), whose handling of every kind of bad callback result is the oracle for ours.
"""

import gc
import ssl
import sys
import weakref

import pytest

import swiftssl
from tls_support import LoopbackServer, OpenSSLServer, run_s_client, without_location

PSK = bytes.fromhex("deadbeef")
VERSIONS = ["TLSv1_2", "TLSv1_3"]
stdlib_has_psk = pytest.mark.skipif(not getattr(ssl, "HAS_PSK", False), reason="this stdlib has no TLS-PSK")


def psk_contexts(module, version, client_callback=None, server_callback=None, hint=None):
    """A certificate-less client and server context pinned to `version`, PSK suites only."""
    client = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = module.CERT_NONE
    server = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    for context in (client, server):
        context.minimum_version = context.maximum_version = getattr(module.TLSVersion, version)
        context.set_ciphers("PSK")
    if client_callback is not None:
        client.set_psk_client_callback(client_callback)
    if server_callback is not None:
        server.set_psk_server_callback(server_callback, hint)
    return client, server


def echo_over_loopback(client_context, server_context):
    """Connects `client_context` to a server on `server_context` and echoes a line; returns the
    client's version, or raises the client's error."""
    def serve(tls):
        tls.sendall(tls.recv(64))

    with LoopbackServer(lambda raw: server_context.wrap_socket(raw, server_side=True), serve) as server:
        with client_context.wrap_socket(server.connect()) as tls:
            tls.sendall(b"over a pre-shared key")
            assert tls.recv(64) == b"over a pre-shared key"
            return tls.version()


def memory_handshake(module, client_context, server_context):
    """Both ends' outcomes of a handshake over MemoryBIOs: None, or (class, message) with the
    reason's bracketed name dropped (3.13's table lacks some that swiftssl's has)."""
    bios = [module.MemoryBIO() for _ in range(4)]
    client = client_context.wrap_bio(bios[0], bios[1])
    server = server_context.wrap_bio(bios[2], bios[3], server_side=True)
    ends = {"client": (client, bios[1], bios[2]), "server": (server, bios[3], bios[0])}
    results = {}
    for _ in range(10):
        for name, (end, outgoing, peer_incoming) in ends.items():
            if name not in results:
                try:
                    end.do_handshake()
                    results[name] = None
                except module.SSLWantReadError:
                    pass
                except module.SSLError as error:
                    text = without_location(str(error))
                    results[name] = (type(error).__name__, text.split("] ", 1)[-1])
            peer_incoming.write(outgoing.read())
    return results


@pytest.mark.parametrize("version", VERSIONS)
def test_cpythons_psk_scenarios_over_loopback(version):
    """CPython 3.13's test_psk and test_psk_tls1_3, swiftssl on both ends."""
    seen = []

    def client_callback(hint):
        seen.append(("hint", hint))
        return "客户身份", PSK

    def server_callback(identity):
        seen.append(("identity", identity))
        return PSK

    client, server = psk_contexts(swiftssl, version, client_callback, server_callback, hint="身份暗示")
    assert echo_over_loopback(client, server) == version.replace("_", ".")
    # TLS 1.3 has no hints: the client is told None.
    assert seen == [("hint", "身份暗示" if version == "TLSv1_2" else None), ("identity", "客户身份")]

    client.set_psk_client_callback(lambda hint: (None if version == "TLSv1_2" else "id", bytes.fromhex("cafebabe")))
    with pytest.raises(swiftssl.SSLError):
        echo_over_loopback(client, server)


def test_callbacks_are_refused_on_the_wrong_side_and_bad_arguments_as_cpython_does():
    client = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    server = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    for call, message in [
        (lambda: client.set_psk_server_callback(None), "Cannot add PSK server callback to a PROTOCOL_TLS_CLIENT context"),
        (lambda: server.set_psk_client_callback(len), "Cannot add PSK client callback to a PROTOCOL_TLS_SERVER context"),
    ]:
        with pytest.raises(swiftssl.SSLError) as raised:
            call()
        assert raised.value.errno == 0 and without_location(raised.value.strerror) == message
        assert raised.value.library is None and raised.value.reason is None
    with pytest.raises(TypeError, match="^callback must be callable$"):
        client.set_psk_client_callback(5)
    with pytest.raises(TypeError, match="argument 'identity_hint' must be str or None, not bytes"):
        server.set_psk_server_callback(len, b"hint")
    with pytest.raises(ValueError, match="^embedded null character$"):
        server.set_psk_server_callback(len, "a\0b")
    server.set_psk_server_callback(len, "h" * 256)
    with pytest.raises(ValueError, match="^failed to set identity hint$"):
        server.set_psk_server_callback(len, "h" * 257)
    generic = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS)  # either side: takes both
    generic.set_psk_client_callback(len)
    generic.set_psk_server_callback(callback=len, identity_hint="hint")
    assert swiftssl.HAS_PSK is True


@pytest.mark.parametrize("version", VERSIONS)
def test_against_openssl_s_server(version):
    extra = ["-tls1_2", "-cipher", "PSK", "-psk_hint", "from-openssl"] if version == "TLSv1_2" else ["-tls1_3"]
    with OpenSSLServer("-nocert", "-psk", PSK.hex(), "-psk_identity", "swift-client", "-naccept", "1", *extra) as server:
        hints = []
        client, _ = psk_contexts(swiftssl, version, lambda hint: (hints.append(hint), ("swift-client", PSK))[1])
        with client.wrap_socket(server.connect()) as tls:
            assert tls.version() == version.replace("_", ".")
    assert hints == ["from-openssl" if version == "TLSv1_2" else None]


@pytest.mark.parametrize("version", VERSIONS)
def test_openssl_s_client_against_a_swiftssl_server(version):
    identities = []
    _, server_context = psk_contexts(swiftssl, version, server_callback=lambda i: (identities.append(i), PSK)[1])

    def serve(tls):
        tls.sendall(b"hello over PSK\n")

    with LoopbackServer(lambda raw: server_context.wrap_socket(raw, server_side=True), serve) as server:
        flag = "-tls1_2" if version == "TLSv1_2" else "-tls1_3"
        completed = run_s_client(server.port, flag, "-cipher", "PSK", "-psk", PSK.hex(), "-psk_identity", "openssl")
        server.wait()
    assert b"hello over PSK" in completed.stdout, completed.stdout[-600:]
    assert identities == ["openssl"] and server.errors == []


@stdlib_has_psk
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("client_module, server_module", [(swiftssl, ssl), (ssl, swiftssl)], ids=["to-stdlib", "from-stdlib"])
def test_against_the_stdlib(version, client_module, server_module):
    client, _ = psk_contexts(client_module, version, lambda hint: ("identity", PSK))
    _, server = psk_contexts(server_module, version, server_callback=lambda identity: PSK, hint="hint")
    assert echo_over_loopback(client, server) == version.replace("_", ".")


class BytesSubclass(bytes):
    pass


# What the client callback returns → what sys.unraisablehook gets (None: nothing is reported),
# in 3.13's words; the handshake fails in every case but those marked ok.
CLIENT_RESULTS = [
    ("ok", ("id", PSK), None),
    ("bytes identity ok", (b"id", PSK), None),
    ("none identity", (None, PSK), None),
    ("bytearray identity", (bytearray(b"id"), PSK), ("TypeError", "argument 1 must be read-only bytes-like object, not bytearray")),
    ("int identity", (1, PSK), ("TypeError", "a bytes-like object is required, not 'int'")),
    ("str key", ("id", "key"), ("TypeError", "a bytes-like object is required, not 'str'")),
    ("memoryview key", ("id", memoryview(PSK)), ("TypeError", "argument 2 must be read-only bytes-like object, not memoryview")),
    ("list", ["id", PSK], ("SystemError", "new style getargs format but argument is not a tuple")),
    ("three items", ("id", PSK, 1), ("TypeError", "function takes exactly 2 arguments (3 given)")),
    ("none", None, ("SystemError", "new style getargs format but argument is not a tuple")),
    ("empty key", ("id", b""), None),
    ("key of 513 bytes", ("id", b"k" * 513), None),
    ("identity of 256 bytes", ("i" * 256, PSK), None),
    ("identity with NUL ok", ("a\0b", PSK), None),
    ("surrogate identity", ("\udc80", PSK), ("UnicodeEncodeError", "'utf-8' codec can't encode character '\\udc80' in position 0: surrogates not allowed")),
]
SERVER_RESULTS = [
    ("ok", PSK, None),
    ("bytes subclass ok", BytesSubclass(PSK), None),
    ("none", None, ("TypeError", "expected bytes, NoneType found")),
    ("bytearray", bytearray(PSK), ("TypeError", "expected bytes, bytearray found")),
    ("str", "key", ("TypeError", "expected bytes, str found")),
    ("empty", b"", None),
    ("key of 513 bytes", b"k" * 513, None),
    ("other key", b"other", None),
]


def run_case(module, version, client_result, server_result):
    """The handshake's outcome on both ends and what was reported as unraisable, with the
    callbacks returning the given values."""
    reported = []
    callbacks = [lambda hint: client_result, lambda identity: server_result]
    hook, sys.unraisablehook = sys.unraisablehook, lambda report: reported.append(
        (type(report.exc_value).__name__, str(report.exc_value), report.object in callbacks))
    try:
        contexts = psk_contexts(module, version, *callbacks)
        return memory_handshake(module, *contexts), reported
    finally:
        sys.unraisablehook = hook


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name, result, unraisable", CLIENT_RESULTS, ids=[case[0] for case in CLIENT_RESULTS])
def test_what_the_client_callback_returns(version, name, result, unraisable):
    outcomes, reported = run_case(swiftssl, version, result, PSK)
    succeeds = name.endswith("ok") or (name == "none identity" and version == "TLSv1_2")
    assert (outcomes == {"client": None, "server": None}) == succeeds, outcomes
    # The callback itself is the object reported, as CPython reports it.
    assert reported == ([] if unraisable is None else [(*unraisable, True)])
    if getattr(ssl, "HAS_PSK", False):
        assert (outcomes, reported) == run_case(ssl, version, result, PSK)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name, result, unraisable", SERVER_RESULTS, ids=[case[0] for case in SERVER_RESULTS])
def test_what_the_server_callback_returns(version, name, result, unraisable):
    outcomes, reported = run_case(swiftssl, version, ("id", PSK), result)
    assert (outcomes == {"client": None, "server": None}) == name.endswith("ok"), outcomes
    assert reported == ([] if unraisable is None else [(*unraisable, True)])
    if getattr(ssl, "HAS_PSK", False):
        assert (outcomes, reported) == run_case(ssl, version, ("id", PSK), result)


@pytest.mark.parametrize("side", ["client", "server"])
def test_a_callback_that_raises_is_reported_and_fails_the_handshake(side):
    def fail(_):
        raise RuntimeError("no key for you")

    reported = []
    hook, sys.unraisablehook = sys.unraisablehook, reported.append
    try:
        if side == "client":
            contexts = psk_contexts(swiftssl, "TLSv1_2", fail, lambda identity: PSK)
        else:
            contexts = psk_contexts(swiftssl, "TLSv1_2", lambda hint: ("id", PSK), fail)
        outcomes = memory_handshake(swiftssl, *contexts)
    finally:
        sys.unraisablehook = hook
    assert outcomes[side] is not None
    assert [(type(report.exc_value), str(report.exc_value), report.object) for report in reported] == \
        [(RuntimeError, "no key for you", fail)]


def test_a_context_and_a_callback_that_refers_to_it_are_collected():
    """The callables live in the Python context's attributes, where the cycle collector sees
    them (as CPython's test_sni_callback_refcycle asks of SNI callbacks)."""
    client = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT)
    server = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    client.set_psk_client_callback(lambda hint: (client.protocol, PSK))
    server.set_psk_server_callback(lambda identity: bytes(server.protocol))
    references = [weakref.ref(client), weakref.ref(server)]
    del client, server
    gc.collect()
    assert [reference() for reference in references] == [None, None]


def test_asyncio_streams_over_a_pre_shared_key():
    """asyncio wraps its own (the stdlib's) MemoryBIOs: the callbacks run inside its handshake."""
    import asyncio

    client, server = psk_contexts(swiftssl, "TLSv1_3", lambda hint: ("asyncio", PSK),
                                  lambda identity: PSK if identity == "asyncio" else b"")

    async def exchange():
        async def shout(reader, writer):
            writer.write((await reader.readline()).upper())
            await writer.drain()
            writer.close()

        listener = await asyncio.start_server(shout, "127.0.0.1", 0, ssl=server)
        try:
            port = listener.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client)
            writer.write(b"psk over asyncio\n")
            line = await reader.readline()
            version = writer.get_extra_info("ssl_object").version()
            writer.close()
            return line, version
        finally:
            listener.close()

    assert asyncio.run(asyncio.wait_for(exchange(), 10)) == (b"PSK OVER ASYNCIO\n", "TLSv1.3")


def test_the_frozen_contexts_of_module_level_wrap_socket_refuse_psk_callbacks():
    """Module-level wrap_socket shares cached contexts: a callback set on one would reach every
    connection that shares it, so they refuse it as they refuse every other setter."""
    import socket

    with swiftssl.wrap_socket(socket.socket()) as tls:
        for setter in (tls.context.set_psk_client_callback, tls.context.set_psk_server_callback):
            with pytest.raises(ValueError, match="shared by the wrap_socket cache"):
                setter(len)
        assert tls.context._psk_client_callback is None and tls.context._psk_server_callback is None


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("side", ["client", "server"])
def test_setting_a_callback_to_none_turns_psk_off_again(version, side):
    """set_psk_*_callback(None) removes the hook: with one side's taken away, the PSK-only
    handshake fails where it succeeded with both."""
    client, server = psk_contexts(swiftssl, version, lambda hint: ("id", PSK), lambda identity: PSK)
    assert memory_handshake(swiftssl, client, server) == {"client": None, "server": None}
    if side == "client":
        client.set_psk_client_callback(None)
    else:
        server.set_psk_server_callback(None)
    results = memory_handshake(swiftssl, client, server)
    assert results["client"] is not None or results["server"] is not None, results
    assert all(result is None or result[0] == "SSLError" for result in results.values()), results
