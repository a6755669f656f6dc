"""The two clients the SSLSocket tests (test_socket*.py) connect with: swiftssl's and, as the
oracle, the stdlib's, each verifying the server against the session's root CA."""

import ssl

import swiftssl


def swift_client(server, root_ca, hostname="localhost", timeout=10.0, **wrap_options):
    context = swiftssl.create_default_context(cadata=root_ca.cert_pem.decode())
    return context.wrap_socket(server.connect(timeout), server_hostname=hostname, **wrap_options)


def stdlib_client(server, root_ca, hostname="localhost", timeout=10.0):
    context = ssl.create_default_context(cadata=root_ca.cert_pem.decode())
    return context.wrap_socket(server.connect(timeout), server_hostname=hostname)
