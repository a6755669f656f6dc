"""``get_server_certificate`` (python/swiftssl/_certificates.py) as CPython 3.11's: the same
signature, the same certificate fetched, verified when ``ca_certs`` is given, and ``timeout``
meaning the socket's (by default the global default timeout; an explicit None blocks)."""

import inspect
import socket
import ssl as stdlib_ssl
import threading

import pytest

import swiftssl

MODULES = pytest.mark.parametrize("module", [swiftssl, stdlib_ssl], ids=["swiftssl", "stdlib"])


def test_the_signature_is_the_stdlibs():
    assert inspect.signature(swiftssl.get_server_certificate) == inspect.signature(stdlib_ssl.get_server_certificate)


@MODULES
def test_the_servers_certificate_is_fetched_and_verified_with_ca_certs(module, stdlib_server, server_cert,
                                                                       root_ca, tmp_path):
    expected = stdlib_ssl.DER_cert_to_PEM_cert(stdlib_ssl.PEM_cert_to_DER_cert(server_cert.cert_pem.decode()))
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(root_ca.cert_pem)
    with stdlib_server(connections=2) as server:
        assert module.get_server_certificate(("127.0.0.1", server.port)) == expected
        assert module.get_server_certificate(("127.0.0.1", server.port), ca_certs=str(ca_file)) == expected
    other_ca = tmp_path / "other.pem"
    other_ca.write_bytes(server_cert.chain_pem)  # the leaf itself is no CA
    with stdlib_server(connections=1) as server:
        with pytest.raises(module.SSLCertVerificationError):
            module.get_server_certificate(("127.0.0.1", server.port), ca_certs=str(other_ca))


@pytest.fixture
def silent_listener():
    """A TCP listener that accepts one connection, says nothing, and closes it after a second."""
    listener = socket.create_server(("127.0.0.1", 0))

    def hold():
        connection, _ = listener.accept()
        with connection:
            threading.Event().wait(1.0)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield listener.getsockname()
    thread.join(5)
    listener.close()


@MODULES
@pytest.mark.parametrize("given", ["default", "None"])
def test_timeout_is_the_sockets(module, given, silent_listener):
    """With a global default of 0.2 s, the default times out; None waits until the server closes."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(0.2)
    try:
        arguments = {} if given == "default" else {"timeout": None}
        with pytest.raises(OSError) as raised:
            module.get_server_certificate(silent_listener, **arguments)
    finally:
        socket.setdefaulttimeout(previous)
    assert isinstance(raised.value, TimeoutError) == (given == "default"), repr(raised.value)
