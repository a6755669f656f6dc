"""Test support: certificates and keys made at test time (CertificateAuthority, self_signed).

Provenance of every certificate and key used by the suite: they are generated in memory by
:class:`CertificateAuthority` below with pyca/cryptography (EC P-256 keys unless a test asks for
RSA, SHA-256 signatures, validity around "now"), nothing is committed to the repository. The one
exception to "in memory": :func:`issue_with_openssl_cli` signs a leaf with the ``openssl`` command
line (SHA-1, which cryptography no longer signs with) in a temporary directory it removes. PEM files
are written only under pytest's ``tmp_path`` when a test needs a path (openssl subprocesses, path
arguments).

Tests import these names from ``tls_support``, which re-exports them.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from peer_support import NETWORK_TIMEOUT


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def new_private_key(key_type: str = "ec"):
    """A fresh key: ``"ec"`` (P-256), ``"rsa"`` (2048 bits) or ``"rsa1024"`` (weak, on purpose)."""
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "rsa1024":
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)
    raise ValueError(key_type)


def general_name(value) -> x509.GeneralName:
    """``"1.2.3.4"``/``"::1"`` → iPAddress, any other str → dNSName; GeneralName objects pass through."""
    if isinstance(value, x509.GeneralName):
        return value
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def _name(common_name: str | None, organization: str = "swiftssl tests") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)]
    if common_name is not None:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def key_pem(key, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM of ``key``, encrypted with ``password`` (best available PBE) when given."""
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def cert_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass
class IssuedCertificate:
    """A leaf certificate, its key, and the intermediates a server must send with it."""

    certificate: x509.Certificate
    key: object
    intermediates: list = field(default_factory=list)

    @property
    def cert_pem(self) -> bytes:
        """The leaf alone."""
        return cert_pem(self.certificate)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)

    def encrypted_key_pem(self, password: bytes) -> bytes:
        return key_pem(self.key, password)

    @property
    def chain_pem(self) -> bytes:
        """The leaf followed by its intermediates (what a server sends)."""
        return self.cert_pem + b"".join(cert_pem(c) for c in self.intermediates)

    @property
    def combined_pem(self) -> bytes:
        """Leaf, chain and key in one PEM blob, the App Engine ``certfile`` style."""
        return self.chain_pem + self.key_pem

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def write(self, directory, stem: str = "server") -> tuple[str, str]:
        """Writes ``<stem>.crt`` (chain) and ``<stem>.key`` under ``directory`` (a tmp_path)."""
        certificate_path = os.path.join(directory, f"{stem}.crt")
        key_path = os.path.join(directory, f"{stem}.key")
        with open(certificate_path, "wb") as handle:
            handle.write(self.chain_pem)
        with open(key_path, "wb") as handle:
            handle.write(self.key_pem)
        return certificate_path, key_path


class CertificateAuthority:
    """A CA made on the spot (root, or intermediate when ``parent`` is given).

    Roots are self-signed with basicConstraints CA:TRUE and keyCertSign; intermediates are
    signed by their parent. ``issue`` makes leaves with subjectAltName from its arguments,
    serverAuth+clientAuth extended key usage, and validity from one day ago to thirty days ahead
    unless told otherwise.
    """

    def __init__(self, name: str = "swiftssl test root", parent: "CertificateAuthority | None" = None,
                 key_type: str = "ec", ca_flag: bool = True, not_before=None, not_after=None,
                 path_length: int | None = None, extensions=()):
        self.key = new_private_key(key_type)
        self.parent = parent
        self.name = _name(name)
        issuer_name = parent.name if parent else self.name
        signing_key = parent.key if parent else self.key
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(issuer_name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - datetime.timedelta(days=1))
            .not_valid_after(not_after or now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca_flag, path_length=path_length), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
        )
        for extension in extensions:  # e.g. NameConstraints (critical, as RFC 5280 asks)
            builder = builder.add_extension(extension, critical=True)
        if ca_flag:
            builder = builder.add_extension(
                x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True,
                              crl_sign=True, encipher_only=False, decipher_only=False),
                critical=True)
        if parent:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()), critical=False)
        self.certificate = builder.sign(signing_key, hashes.SHA256())

    @property
    def cert_pem(self) -> bytes:
        return cert_pem(self.certificate)

    @property
    def chain_to_root(self) -> list:
        """This CA's certificate and its ancestors' except the root's (intermediates to send)."""
        chain, authority = [], self
        while authority.parent is not None:
            chain.append(authority.certificate)
            authority = authority.parent
        return chain

    def intermediate(self, name: str = "swiftssl test intermediate", **options) -> "CertificateAuthority":
        return CertificateAuthority(name, parent=self, **options)

    def issue(self, *names, common_name: str | None = None, not_before=None, not_after=None,
              key_type: str = "ec", subject: x509.Name | None = None, extended_key_usage=None,
              extensions=(), san: bool = True) -> IssuedCertificate:
        """A leaf for ``names`` (DNS names, IP address strings or GeneralName objects)."""
        key = new_private_key(key_type)
        now = _now()
        usages = extended_key_usage or [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject or _name(common_name))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - datetime.timedelta(days=1))
            .not_valid_after(not_after or now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                           critical=False)
        )
        if san and names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([general_name(n) for n in names]), critical=False)
        for extension in extensions:
            builder = builder.add_extension(extension, critical=False)
        certificate = builder.sign(self.key, hashes.SHA256())
        return IssuedCertificate(certificate, key, self.chain_to_root)


def self_signed(*names, common_name: str = "self-signed", key_type: str = "ec") -> IssuedCertificate:
    """A leaf that signs itself (subject == issuer, CA:FALSE), trusted by nobody."""
    key = new_private_key(key_type)
    name = _name(common_name)
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([general_name(n) for n in names]), critical=False)
    return IssuedCertificate(builder.sign(key, hashes.SHA256()), key, [])


def issue_with_openssl_cli(authority: CertificateAuthority, *names: str, digest: str = "sha1",
                           key_type: str = "ec") -> IssuedCertificate:
    """A leaf for DNS ``names`` signed by ``authority`` with ``digest`` by the ``openssl x509``
    command line: for digests pyca/cryptography no longer signs with (SHA-1 since 48.0).
    The files live in a temporary directory removed before returning."""
    import tempfile
    key = new_private_key(key_type)
    with tempfile.TemporaryDirectory() as directory:
        def path(name):
            return os.path.join(directory, name)
        with open(path("ca.pem"), "wb") as handle:
            handle.write(authority.cert_pem)
        with open(path("ca.key"), "wb") as handle:
            handle.write(key_pem(authority.key))
        csr = (x509.CertificateSigningRequestBuilder().subject_name(_name(None))
               .sign(key, hashes.SHA256()))
        with open(path("leaf.csr"), "wb") as handle:
            handle.write(csr.public_bytes(serialization.Encoding.PEM))
        with open(path("leaf.ext"), "w") as handle:
            handle.write("basicConstraints=critical,CA:FALSE\n"
                         "extendedKeyUsage=serverAuth,clientAuth\n"
                         "authorityKeyIdentifier=keyid\n"
                         f"subjectAltName={','.join('DNS:' + n for n in names)}\n")
        subprocess.run(["openssl", "x509", "-req", "-in", path("leaf.csr"), "-CA", path("ca.pem"),
                        "-CAkey", path("ca.key"), "-set_serial", str(x509.random_serial_number()),
                        "-days", "30", f"-{digest}", "-extfile", path("leaf.ext"), "-out", path("leaf.pem")],
                       check=True, capture_output=True, timeout=NETWORK_TIMEOUT)
        with open(path("leaf.pem"), "rb") as handle:
            certificate = x509.load_pem_x509_certificate(handle.read())
    return IssuedCertificate(certificate, key, authority.chain_to_root)
