"""``Purpose``: the extended-key-usage OIDs CPython's ``create_default_context`` accepts."""

from collections import namedtuple as _namedtuple
import enum as _enum

from . import _swiftssl

_txt2obj = _swiftssl._txt2obj
_nid2obj = _swiftssl._nid2obj


class _ASN1Object(_namedtuple("_ASN1Object", "nid shortname longname oid")):
    """An OID with OpenSSL's names, as CPython's ``ssl._ASN1Object``: ``_ASN1Object(oid)``,
    ``_ASN1Object.fromnid(nid)``, ``_ASN1Object.fromname(name)`` (looked up by the core)."""

    __slots__ = ()

    def __new__(cls, oid):
        return super().__new__(cls, *_txt2obj(oid, False))

    @classmethod
    def fromnid(cls, nid):
        return super().__new__(cls, *_nid2obj(nid))

    @classmethod
    def fromname(cls, name):
        return super().__new__(cls, *_txt2obj(name, True))


class Purpose(_ASN1Object, _enum.Enum):
    """What a context's certificates are for: verifying servers or clients."""

    SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
    CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
