"""Certificates, OpenSSL configuration and contexts shared by the runner and the workers.

The certificates are made on the spot with the ``openssl`` command line (a throwaway CA, one
ECDSA P-256 and one RSA-2048 leaf for ``localhost``/127.0.0.1) in a temporary directory that the
runner removes at the end. Writing them to disk is fine here: they protect nothing, and the
stdlib's ``load_cert_chain`` needs paths.
"""

import importlib
import os
import subprocess

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
HOSTNAME = "localhost"
BULK_CIPHER = "TLS_AES_128_GCM_SHA256"

# Applied to every worker of both libraries through OPENSSL_CONF: TLS 1.3 offers AES-128-GCM only
# (CPython 3.11 has no API for TLS 1.3 suites), the rest is Debian's default policy.
OPENSSL_CONF = f"""openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1.2
CipherString = DEFAULT:@SECLEVEL=2
Ciphersuites = {BULK_CIPHER}
"""


def _openssl(*arguments, directory):
    subprocess.run(("openssl",) + arguments, cwd=directory, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_fixtures(directory):
    """Writes ca.pem, {ecdsa,rsa}.{pem,key}, openssl.cnf and a CA bundle (system + ours)."""
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=swiftssl bench CA", "-days", "30",
             directory=directory)
    with open(os.path.join(directory, "leaf.ext"), "w") as extensions:
        extensions.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                         "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                         "extendedKeyUsage=serverAuth\n")
    for name, key_options in (("ecdsa", ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")),
                              ("rsa", ("-newkey", "rsa:2048"))):
        _openssl("req", *key_options, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", "/CN=localhost", directory=directory)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "30", "-extfile", "leaf.ext",
                 directory=directory)
    with open(os.path.join(directory, "openssl.cnf"), "w") as configuration:
        configuration.write(OPENSSL_CONF)
    with open(SYSTEM_BUNDLE, "rb") as system, open(os.path.join(directory, "ca.pem"), "rb") as ours, \
            open(os.path.join(directory, "bundle.pem"), "wb") as bundle:
        bundle.write(system.read() + ours.read())


def library(name):
    """The module under test: ``swiftssl`` or the stdlib ``ssl``; None for ``tcp`` (no TLS: the
    ceiling rows)."""
    return None if name == "tcp" else importlib.import_module(name)


def _pin(context, lib, version):
    if version == "1.2":
        context.minimum_version = context.maximum_version = lib.TLSVersion.TLSv1_2
    elif version == "1.3":
        context.minimum_version = context.maximum_version = lib.TLSVersion.TLSv1_3


def server_context(lib, directory, key="ecdsa", version="1.3"):
    context = lib.SSLContext(lib.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(directory, f"{key}.pem"), os.path.join(directory, f"{key}.key"))
    _pin(context, lib, version)
    return context


def client_context(lib, directory, version="1.3"):
    """Verifies the chain and the hostname, as a real client does."""
    context = lib.SSLContext(lib.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(os.path.join(directory, "ca.pem"))
    _pin(context, lib, version)
    return context
