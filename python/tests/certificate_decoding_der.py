"""What test_certificate_decoding_differential.py builds certificates with at the byte level:
DER, just enough to put raw elements in place of placeholders and to find elements to corrupt,
and the placeholders for what pyca/cryptography will not write (``RawElement``, ``Placeholders``).
"""

import base64
import datetime
from dataclasses import dataclass

from cryptography.x509.oid import ObjectIdentifier

UTC = datetime.timezone.utc

# --------------------------------------------------------------------------------------------
# DER, just enough to put raw elements in place of placeholders and to find elements to corrupt
# --------------------------------------------------------------------------------------------


def encode_length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def encode_element(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + encode_length(len(content)) + content


def split(der: bytes, strict: bool = True) -> list:
    """The (tag, content, offset of the content, encoding) of each element `der` is a sequence of.
    Malformed DER raises ValueError, or with strict=False ends the list."""
    elements, offset = [], 0
    while offset < len(der):
        tag, start = der[offset], offset + 2
        size = der[offset + 1] if start <= len(der) else None
        if size is not None and size & 0x80:  # the long form: 0x80 + the number of length bytes
            count = size & 0x7F
            size = int.from_bytes(der[start:start + count], "big") if 0 < count <= 4 else None
            start += count
        if size is None or tag & 0x1F == 0x1F or start + size > len(der):
            if strict:
                raise ValueError(f"no DER element at {offset}")
            break
        elements.append((tag, der[start:start + size], start, der[offset:start + size]))
        offset = start + size
    return elements


def holds_der(tag: int) -> bool:
    """Constructed, or an OCTET STRING (an extension's value)."""
    return bool(tag & 0x20) or tag == 0x04


def substitute(der: bytes, replacements: dict) -> bytes:
    """`der` with each element whose (tag, content) is a key of `replacements` replaced by that
    key's encoded element, at any depth, and the lengths around it recomputed."""
    result = []
    for tag, content, _, encoded in split(der):
        if (tag, content) in replacements:
            encoded = replacements[tag, content]
        elif holds_der(tag) and parses(content):
            inner = substitute(content, replacements)
            if inner != content:
                encoded = encode_element(tag, inner)
        result.append(encoded)
    return b"".join(result)


def with_version(der: bytes, version):
    """`der` with the TBSCertificate's [0] version replaced by an INTEGER of content `version`,
    or left out (v1's encoding) for None."""
    [(certificate_tag, certificate, _, _)] = split(der)
    (tbs_tag, tbs, _, _), *signature = split(certificate)
    fields = [encoded for tag, _, _, encoded in split(tbs) if tag != 0xA0]
    if version is not None:
        fields.insert(0, encode_element(0xA0, encode_element(0x02, version)))
    tbs = encode_element(tbs_tag, b"".join(fields))
    return encode_element(certificate_tag, tbs + b"".join(encoded for _, _, _, encoded in signature))


def parses(der: bytes) -> bool:
    try:
        split(der)
    except ValueError:
        return False
    return True


def element_positions(der: bytes, base: int = 0, strict: bool = True) -> list:
    """(offset of the tag, of the content, of the end) of every element in pre-order, descending
    into those whose content is DER; strict=False lists the top level as far as it parses."""
    positions = []
    for tag, content, start, encoded in split(der, strict=strict):
        header = len(encoded) - len(content)
        positions.append((base + start - header, base + start, base + start + len(content)))
        if holds_der(tag) and parses(content):
            positions += element_positions(content, base + start)
    return positions


def rewrite(der: bytes, index: int, replacement: bytes) -> bytes:
    """`der` with its `index`-th element (as element_positions counts) replaced by `replacement`,
    and the lengths of the elements around it recomputed."""
    remaining = index

    def walk(der):
        nonlocal remaining
        result = []
        for tag, content, _, encoded in split(der):
            if remaining == 0:
                encoded = replacement
            remaining -= 1
            if remaining >= 0 and holds_der(tag) and parses(content):
                inner = walk(content)
                if inner != content:
                    encoded = encode_element(tag, inner)
            result.append(encoded)
        return b"".join(result)

    return walk(der)


def oid_content(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    content = bytearray()
    for value in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [value & 0x7F]
        while value := value >> 7:
            chunk.append(0x80 | value & 0x7F)
        content += bytes(reversed(chunk))
    return bytes(content)


def oid_text_of_length(length: int) -> str:
    """A dotted OID exactly `length` (>= 5) characters long, of one-byte arcs so that the longest
    stay under OpenSSL's limit (586 bytes): CPython names attribute types into a 256-byte buffer
    first, and prints Registered IDs into a 2048-byte one ("<INVALID>" past it)."""
    text = "2.999" if length != 6 else "2.9999"
    while length - len(text) > 5:
        text += ".100"
    return text + ("." + "1" * (length - len(text) - 1) if length > len(text) else "")


def integer_content(value: int) -> bytes:
    """The content of a DER INTEGER (minimal two's complement)."""
    return value.to_bytes((value + (value < 0)).bit_length() // 8 + 1, "big", signed=True)


def pem_block(label: str, der: bytes) -> bytes:
    """`der` as a PEM block labelled `label`, base64 in lines of 64 as OpenSSL writes them."""
    body = base64.b64encode(der)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return b"".join([b"-----BEGIN %s-----\n" % label.encode(), *(line + b"\n" for line in lines),
                     b"-----END %s-----\n" % label.encode()])


def pem(der: bytes) -> bytes:
    return pem_block("CERTIFICATE", der)


# --------------------------------------------------------------------------------------------
# Placeholders for what cryptography will not write
# --------------------------------------------------------------------------------------------

MARK = "\x1e"  # in every placeholder text and in no drawn text
PLACEHOLDER_ARC = "1.3.6.1.4.1.55555.4242"
PLACEHOLDER_SERIAL = int.from_bytes(f"{MARK}serial{MARK}".encode(), "big")
PLACEHOLDER_TIMES = (datetime.datetime(1950, 1, 1, tzinfo=UTC),  # cryptography's earliest and latest:
                     datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))  # drawn dates lie between


@dataclass(frozen=True)
class RawElement:
    """A DER element written in place of a placeholder after signing: any tag, any content."""
    tag: int
    content: bytes

    def __repr__(self):
        return f"RawElement(0x{self.tag:02X}, {self.content!r})"


class Placeholders:
    """The stand-ins one certificate uses, each mapped to the element to put in its place."""

    def __init__(self):
        self.replacements = {}

    def text(self, raw: RawElement, tag: int) -> str:
        """A unique text; cryptography writes it as an element of `tag` (0x0C UTF8String, 0x82 dNSName)."""
        token = f"{MARK}{len(self.replacements)}{MARK}"
        self.replacements[tag, token.encode()] = encode_element(raw.tag, raw.content)
        return token

    def oid(self, raw: RawElement) -> ObjectIdentifier:
        oid = ObjectIdentifier(f"{PLACEHOLDER_ARC}.{len(self.replacements)}")
        self.replacements[0x06, oid_content(oid.dotted_string)] = encode_element(raw.tag, raw.content)
        return oid

    def serial(self, raw: RawElement) -> int:
        self.replacements[0x02, PLACEHOLDER_SERIAL.to_bytes(8, "big")] = encode_element(raw.tag, raw.content)
        return PLACEHOLDER_SERIAL

    def time(self, raw: RawElement, which: int) -> datetime.datetime:
        placeholder = PLACEHOLDER_TIMES[which]
        tag, text = (0x17, "%y%m%d%H%M%SZ") if placeholder.year < 2050 else (0x18, "%Y%m%d%H%M%SZ")
        self.replacements[tag, placeholder.strftime(text).encode()] = encode_element(raw.tag, raw.content)
        return placeholder
