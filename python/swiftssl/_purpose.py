"""``Purpose``: the extended-key-usage OIDs CPython's ``create_default_context`` accepts."""

from collections import namedtuple as _namedtuple
import enum as _enum


class _ASN1Object(_namedtuple("_ASN1Object", "nid shortname longname oid")):
    """An OID with OpenSSL's names, as CPython's ``ssl._ASN1Object``."""

    __slots__ = ()


class Purpose(_ASN1Object, _enum.Enum):
    """What a context's certificates are for: verifying servers or clients."""

    SERVER_AUTH = (129, "serverAuth", "TLS Web Server Authentication", "1.3.6.1.5.5.7.3.1")
    CLIENT_AUTH = (130, "clientAuth", "TLS Web Client Authentication", "1.3.6.1.5.5.7.3.2")
