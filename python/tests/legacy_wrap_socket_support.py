"""What the tests of module-level ``swiftssl.wrap_socket`` (``test_legacy_wrap_socket*.py``) share:
a stdlib client for a swiftssl server, and the line every connection exchanges.
"""

import ssl

from tls_support import recv_until_eof


def stdlib_client(root_ca, hostname="localhost"):
    context = ssl.create_default_context(cadata=root_ca.cert_pem.decode())

    def connect(server):
        raw = server.connect()
        return context.wrap_socket(raw, server_hostname=hostname)
    return connect


def talk(tls):
    tls.sendall(b"hello swiftssl\n")
    return recv_until_eof(tls)
