"""Certificate: one X.509 certificate of a peer's chain (``get_verified_chain()`` and
``get_unverified_chain()`` of the native connection, as ``_ssl.Certificate`` in CPython)."""

from . import _swiftssl
from ._certificates import DER_cert_to_PEM_cert

ENCODING_PEM = 1
ENCODING_DER = 2

# Short names of subject attributes, for the RFC 2253 text of repr().
_SHORT_NAMES = {
    "commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
    "localityName": "L", "stateOrProvinceName": "ST", "countryName": "C",
    "streetAddress": "STREET", "domainComponent": "DC", "userId": "UID",
}


class Certificate:
    """An X.509 certificate; compares and hashes by its DER encoding."""

    __slots__ = ("_der", "__weakref__")

    def __init__(self, *args, **kwargs):
        raise TypeError(f"cannot create '{type(self).__module__}.{type(self).__name__}' instances")

    @classmethod
    def _from_der(cls, der):
        self = object.__new__(cls)
        self._der = bytes(der)
        return self

    def get_info(self):
        """The certificate as a ``getpeercert()``-style dict."""
        return _swiftssl._test_decode_cert(DER_cert_to_PEM_cert(self._der))

    def public_bytes(self, format=ENCODING_PEM):
        """The certificate as PEM text (``ENCODING_PEM``) or DER bytes (``ENCODING_DER``)."""
        if format == ENCODING_PEM:
            return DER_cert_to_PEM_cert(self._der)
        if format == ENCODING_DER:
            return self._der
        raise ValueError("Unsupported format")

    def __eq__(self, other):
        if not isinstance(other, Certificate):
            return NotImplemented
        return self._der == other._der

    def __hash__(self):
        return hash(self._der)

    def __repr__(self):
        subject = self.get_info().get("subject", ())
        parts = []
        for relative_name in reversed(subject):
            parts.append("+".join(f"{_SHORT_NAMES.get(key, key)}={value}" for key, value in relative_name))
        return f"<Certificate '{','.join(parts)}'>"


def _der_list(chain):
    """A native chain (Certificate objects, or None) as 3.13's list of DER bytes."""
    return [] if chain is None else [certificate.public_bytes(ENCODING_DER) for certificate in chain]


_swiftssl._register_certificate_class(Certificate._from_der)
