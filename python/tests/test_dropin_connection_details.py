"""get_channel_binding('tls-unique'), shared_ciphers(), peer chains and sendfile(), over loopback,
with the stdlib as the other end where it can check the value."""

import ssl as stdlib_ssl

import pytest

import swiftssl
import swiftssl._ssl
from tls_support import LoopbackServer


def _swiftssl_server_context(server_cert, tmp_path):
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*server_cert.write(tmp_path, "server"))
    return context


def _client_context(module, root_ca, maximum=None):
    context = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=root_ca.cert_pem.decode())
    if maximum is not None:
        context.maximum_version = maximum
    return context


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_tls_unique_matches_the_stdlib_peer(version, server_cert, root_ca, tmp_path):
    server_context = _swiftssl_server_context(server_cert, tmp_path)

    def handler(tls):
        binding = tls.get_channel_binding("tls-unique")
        tls.sendall(binding)
        return binding

    client_context = _client_context(stdlib_ssl, root_ca, getattr(stdlib_ssl.TLSVersion, version))
    with LoopbackServer(lambda raw: server_context.wrap_socket(raw, server_side=True), handler) as server:
        with client_context.wrap_socket(server.connect(), server_hostname="localhost") as tls:
            client_binding = tls.get_channel_binding("tls-unique")
            received = tls.recv(64)
    assert server.errors == []
    assert client_binding and received == client_binding == server.results[0]


def test_tls_unique_client_side_and_unknown_types(server_cert, root_ca, tmp_path, stdlib_server):
    def handler(tls):
        tls.sendall(tls.get_channel_binding("tls-unique"))

    with stdlib_server(handler) as server:
        context = _client_context(swiftssl, root_ca)
        with context.wrap_socket(server.connect(), server_hostname="localhost") as tls:
            assert tls.get_channel_binding() == tls.recv(64)
            with pytest.raises(ValueError, match="channel binding type not implemented"):
                tls.get_channel_binding("tls-server-end-point")


def test_shared_ciphers_on_the_server_only(server_cert, root_ca, tmp_path):
    server_context = _swiftssl_server_context(server_cert, tmp_path)
    client_context = _client_context(swiftssl, root_ca)
    with LoopbackServer(lambda raw: server_context.wrap_socket(raw, server_side=True),
                        lambda tls: (tls.shared_ciphers(), tls.cipher())) as server:
        with client_context.wrap_socket(server.connect(), server_hostname="localhost") as tls:
            assert tls.shared_ciphers() is None
    assert server.errors == []
    shared, cipher = server.results[0]
    assert isinstance(shared, list) and cipher in shared
    names = {entry[0] for entry in shared}
    assert names <= {entry["name"] for entry in client_context.get_ciphers()}


def test_verified_and_unverified_chains(chained_cert, root_ca, tmp_path):
    server_context = _swiftssl_server_context(chained_cert, tmp_path)
    client_context = _client_context(swiftssl, root_ca)
    with LoopbackServer(lambda raw: server_context.wrap_socket(raw, server_side=True)) as server:
        with client_context.wrap_socket(server.connect(), server_hostname="localhost") as tls:
            verified = tls._sslobj.get_verified_chain()
            sent = tls._sslobj.get_unverified_chain()
            if hasattr(stdlib_ssl.SSLSocket, "get_verified_chain"):  # 3.13's public getters
                assert tls.get_verified_chain() == [c.public_bytes(swiftssl._ssl.ENCODING_DER) for c in verified]
                assert tls.get_unverified_chain() == [c.public_bytes(swiftssl._ssl.ENCODING_DER) for c in sent]
    leaf, intermediate, root = verified
    assert sent == [leaf, intermediate]
    assert leaf.public_bytes(swiftssl._ssl.ENCODING_DER) == chained_cert.der
    assert root.public_bytes(swiftssl._ssl.ENCODING_PEM) == swiftssl.DER_cert_to_PEM_cert(
        swiftssl.PEM_cert_to_DER_cert(root_ca.cert_pem.decode()))
    assert hash(leaf) == hash(sent[0]) and leaf != root
    assert "CN=chained.localhost" in repr(leaf)
    assert ("commonName", "chained.localhost") in [pair for rdn in leaf.get_info()["subject"] for pair in rdn]


def test_sendfile_goes_through_tls(root_ca, tmp_path, stdlib_server):
    payload = bytes(range(256)) * 400
    source = tmp_path / "payload.bin"
    source.write_bytes(payload)

    def handler(tls):
        received = b""
        while len(received) < len(payload):
            chunk = tls.recv(65536)
            if not chunk:
                break
            received += chunk
        tls.sendall(b"done")
        return received

    # swiftssl sends, the stdlib receives: what it decrypts must be the file (a zero-copy
    # os.sendfile would have put the plaintext on the wire and broken the TLS stream).
    with stdlib_server(handler) as server:
        client_context = _client_context(swiftssl, root_ca)
        with client_context.wrap_socket(server.connect(), server_hostname="localhost") as tls, \
                open(source, "rb") as handle:
            assert tls.sendfile(handle) == len(payload)
            # Wait for the reply: closing with the server's session tickets unread would reset
            # the connection before the server has read everything.
            assert tls.recv(4) == b"done"
        server.wait()
    assert server.errors == []
    assert len(server.results[0]) == len(payload)
    assert server.results[0] == payload


@pytest.mark.parametrize("name", ["SSLSocket", "SSLObject"])
def test_connection_classes_have_no_public_method_this_pythons_stdlib_lacks(name):
    """Libraries tell versions apart by what the classes have (truststore takes a
    ``get_unverified_chain`` on SSLSocket to mean 3.13's, returning DER bytes): swiftssl's have
    exactly the stdlib's public methods, so 3.13's chain getters only on 3.13 and later."""
    ours, theirs = getattr(swiftssl, name), getattr(stdlib_ssl, name)
    public = {attribute for attribute in dir(ours) if not attribute.startswith("_")
              and callable(getattr(ours, attribute))}
    assert public - set(dir(theirs)) == set()
    assert public >= {attribute for attribute in dir(theirs) if not attribute.startswith("_")
                      and callable(getattr(theirs, attribute))}
