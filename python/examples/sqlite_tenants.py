"""Per-tenant TLS certificates served straight out of SQLite, chosen by SNI.

What it shows (DESIGN.md section 7), all on loopback in a few seconds:

1. A throwaway PKI made on the spot with ``cryptography``: a root CA, an intermediate CA, and one
   leaf certificate per tenant (``alpha.example`` with an ECDSA P-256 key, ``beta.example`` with
   an RSA-2048 key).
2. Each tenant's certificate chain (leaf + intermediate) and private key, as PEM, stored in a
   SQLite database: a real file in a temporary directory.
3. A TLS server on 127.0.0.1 whose ``sni_callback`` looks the requested name up in SQLite, builds
   that tenant's ``swiftssl.SSLContext`` with ``load_cert_chain(io.BytesIO(chain),
   io.BytesIO(key))`` and switches the connection to it (``sslsock.context = tenant_context``).
   Keys go from the database row to OpenSSL in memory: nothing but the database touches the disk.
4. A client per tenant using the App Engine-style ``swiftssl.wrap_socket(...)`` with the root CA
   given as a file-like object, then ``swiftssl.match_hostname``, exchanging one line.

Run it with ``bash scripts/demo`` (which sets everything up), or directly with an interpreter
that has swiftssl and cryptography installed. Exit status 0 means every check passed.
"""

import datetime
import io
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time

try:
    import swiftssl
except ImportError as error:
    sys.exit(f"sqlite_tenants: swiftssl is not importable ({error}); run `bash scripts/demo`")
try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError as error:
    sys.exit(f"sqlite_tenants: the demo needs `cryptography` ({error}); "
             "run `bash scripts/demo` or `pip install cryptography`")

TENANTS = {"alpha.example": "ecdsa-p256", "beta.example": "rsa-2048"}
UNKNOWN_TENANT = "gamma.example"
TIMEOUT = 10.0


class DemoFailure(Exception):
    """A check of the demo did not hold; the message says which."""


# -- 1. a throwaway PKI ------------------------------------------------------------------------
def _name(common_name, organization="swiftssl demo"):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _certificate(subject, subject_key, issuer, issuer_key, *, ca, path_length=None, hostname=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = (
            builder
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def make_pki():
    """Returns the root CA's PEM and, per tenant, (chain PEM, key PEM)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("swiftssl demo root CA")
    root = _certificate(root_name, root_key, root_name, root_key, ca=True, path_length=1)
    intermediate_key = ec.generate_private_key(ec.SECP256R1())
    intermediate_name = _name("swiftssl demo tenants CA")
    intermediate = _certificate(intermediate_name, intermediate_key, root_name, root_key,
                                ca=True, path_length=0)
    credentials = {}
    for tenant, key_type in TENANTS.items():
        if key_type == "rsa-2048":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            key = ec.generate_private_key(ec.SECP256R1())
        leaf = _certificate(_name(tenant, f"Tenant {tenant.split('.')[0]}"), key,
                            intermediate_name, intermediate_key, ca=False, hostname=tenant)
        credentials[tenant] = (_pem(leaf) + _pem(intermediate), _key_pem(key))
    return _pem(root), credentials


# -- 2. the tenant database --------------------------------------------------------------------
def create_database(path, credentials):
    with sqlite3.connect(path) as database:
        database.execute(
            "CREATE TABLE tenant (hostname TEXT PRIMARY KEY, chain_pem BLOB NOT NULL, key_pem BLOB NOT NULL)")
        database.executemany(
            "INSERT INTO tenant VALUES (?, ?, ?)",
            [(tenant, chain, key) for tenant, (chain, key) in credentials.items()])
    database.close()


# -- 3. the server -----------------------------------------------------------------------------
class TenantServer:
    """Accepts TLS connections and presents the certificate of the tenant named by SNI."""

    def __init__(self, database_path, connections):
        self.database_path = database_path
        self.connections = connections
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.tenants = {}  # hostname -> (SSLContext, SQLite rowid), built on first request
        self.errors = []
        self.refused = []
        self.thread = threading.Thread(target=self._serve, name="tenant-server", daemon=True)

    def _tenant(self, hostname):
        """The tenant's context, built once from its row: PEM bytes in memory, never a file."""
        if hostname not in self.tenants:
            row = self.database.execute(
                "SELECT rowid, chain_pem, key_pem FROM tenant WHERE hostname = ?", (hostname,)).fetchone()
            if row is None:
                return None
            rowid, chain_pem, key_pem = row
            context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(io.BytesIO(chain_pem), io.BytesIO(key_pem))
            self.tenants[hostname] = (context, rowid)
        return self.tenants[hostname]

    def _select_tenant(self, sslsock, server_name, default_context):
        """The SNI callback: switch the connection to the tenant's context, or refuse the name."""
        tenant = self._tenant(server_name) if server_name else None
        if tenant is None:
            self.refused.append(server_name)
            return swiftssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        sslsock.context = tenant[0]
        return None

    def _serve(self):
        # sqlite3 connections belong to the thread that made them: open it here.
        self.database = sqlite3.connect(self.database_path)
        # The default context has no certificate at all: every connection must be switched.
        default_context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
        default_context.sni_callback = self._select_tenant
        try:
            for _ in range(self.connections):
                connection, _address = self.listener.accept()
                connection.settimeout(TIMEOUT)
                refused_before = len(self.refused)
                try:
                    with default_context.wrap_socket(connection, server_side=True) as tls:
                        self._answer(tls)
                except (swiftssl.SSLError, OSError) as error:
                    if len(self.refused) == refused_before:  # a refused name is expected to fail
                        self.errors.append(f"server: {type(error).__name__}: {error}")
        except Exception as error:  # reported by the main thread
            self.errors.append(f"server: {type(error).__name__}: {error}")
        finally:
            self.database.close()
            self.listener.close()

    def _answer(self, tls):
        request = _read_line(tls)
        # Which tenant's context is the connection on now? (`sslsock.context` reads back the switch.)
        served = [(hostname, rowid) for hostname, (context, rowid) in self.tenants.items()
                  if context is tls.context]
        if not served:
            raise DemoFailure("the connection is not on a tenant's context after the SNI callback")
        hostname, rowid = served[0]
        tls.sendall(f"{hostname} answers {request!r}; its key came from SQLite row {rowid}\n".encode())


def _read_line(tls):
    data = b""
    while not data.endswith(b"\n"):
        chunk = tls.recv(1024)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


# -- 4. the clients ----------------------------------------------------------------------------
def visit(port, tenant, ca_pem):
    """Connects as a client of ``tenant``, verifies chain and name, returns what it saw."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    with swiftssl.wrap_socket(sock, cert_reqs=swiftssl.CERT_REQUIRED, ca_certs=io.BytesIO(ca_pem),
                              server_hostname=tenant) as tls:
        certificate = tls.getpeercert()
        swiftssl.match_hostname(certificate, tenant)
        tls.sendall(f"hello from a client of {tenant}\n".encode())
        answer = _read_line(tls)
        subject = dict(item for rdn in certificate["subject"] for item in rdn)
        return tls.version(), tls.cipher(), subject, answer


def main():
    started = time.monotonic()
    print(f"swiftssl {swiftssl.__version__} ({swiftssl.OPENSSL_VERSION}) on Python {sys.version.split()[0]}")
    ca_pem, credentials = make_pki()
    with tempfile.TemporaryDirectory(prefix="swiftssl-demo-") as directory:
        database_path = os.path.join(directory, "tenants.db")
        create_database(database_path, credentials)
        print(f"stored {len(credentials)} tenants (certificate chain + private key PEM) in {database_path}")

        server = TenantServer(database_path, connections=len(TENANTS) + 1)
        server.thread.start()
        print(f"TLS server on 127.0.0.1:{server.port}, certificate chosen by SNI from SQLite\n")
        failures = []
        for tenant in TENANTS:
            try:
                version, cipher, subject, answer = visit(server.port, tenant, ca_pem)
            except Exception as error:
                failures.append(f"{tenant}: {type(error).__name__}: {error}")
                continue
            print(f"{tenant}")
            print(f"  protocol      {version}")
            print(f"  cipher        {cipher[0]} ({cipher[2]} bits)")
            print(f"  peer subject  {', '.join(f'{k}={v}' for k, v in subject.items())}")
            print(f"  server said   {answer}")
            if subject.get("commonName") != tenant:
                failures.append(f"{tenant}: SNI switching failed, the server presented {subject}")
            if "came from SQLite" not in answer:
                failures.append(f"{tenant}: unexpected answer {answer!r}")

        # A name with no row must be refused during the handshake, not served a wrong certificate.
        try:
            visit(server.port, UNKNOWN_TENANT, ca_pem)
            failures.append(f"{UNKNOWN_TENANT}: an unknown tenant was served")
        except (swiftssl.SSLError, OSError) as error:
            print(f"{UNKNOWN_TENANT} (no row in the database)\n  refused       {type(error).__name__}: {error}")
            if getattr(error, "reason", None) != "TLSV1_UNRECOGNIZED_NAME":
                failures.append(f"{UNKNOWN_TENANT}: refused, but not with unrecognized_name: {error}")

        server.thread.join(TIMEOUT)
        if server.thread.is_alive():
            failures.append("the server thread did not finish")
        failures.extend(server.errors)
        leftovers = sorted(name for name in os.listdir(directory) if name != "tenants.db")
        if leftovers:
            failures.append(f"files other than the database were written: {leftovers}")
        else:
            print(f"\nfiles in {directory}: tenants.db only (no certificate or key file was ever written)")

    if failures:
        print("\nDEMO FAILED:", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print(f"demo OK: {len(TENANTS)} tenants served by SNI from SQLite in {time.monotonic() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
