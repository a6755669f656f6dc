"""What test_certificate_decoding_differential.py draws: the Hypothesis strategies for
certificates made with pyca/cryptography (EC P-256 keys made once per module), what they are made
of (names, general names, extensions, times, versions), and the valid certificates to corrupt
with the strategy for corrupted ones.
"""

import datetime
import functools
import ipaddress
import string

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID, ObjectIdentifier
from hypothesis import strategies as st

from certificate_decoding_der import (MARK, PLACEHOLDER_TIMES, UTC, Placeholders, RawElement, element_positions,
                                      encode_element, encode_length, integer_content, oid_content,
                                      oid_text_of_length, rewrite, substitute, with_version)

KEYS = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

NAME_OIDS = sorted({oid for oid in vars(NameOID).values() if isinstance(oid, ObjectIdentifier)},
                   key=lambda oid: oid.dotted_string)
# OIDs OpenSSL names though they are no attribute types (its long name is what both print).
OTHER_KNOWN_OIDS = [ObjectIdentifier(dotted) for dotted in (
    "2.5.29.17", "1.2.840.113549.1.1.1", "1.3.6.1.5.5.7.48.1", "0.9.2342.19200300.100.1.3",
    "2.5.4.72", "2.16.840.1.113730.1.13", "1.3.6.1.4.1.311.60.2.1.1")]
OTHER_NAME_OIDS = [ObjectIdentifier(dotted) for dotted in (
    "1.3.6.1.4.1.311.20.2.3", "1.3.6.1.5.5.7.8.9", "1.3.6.1.5.5.7.8.8", "1.3.6.1.5.5.7.8.5",
    "1.3.6.1.5.5.7.8.7", "1.3.6.1.5.5.7.8.3", "1.2.3.4")]
ACCESS_METHODS = [AuthorityInformationAccessOID.OCSP, AuthorityInformationAccessOID.CA_ISSUERS,
                  ObjectIdentifier("1.3.6.1.5.5.7.48.5"), ObjectIdentifier("1.3.6.1.5.5.7.48.3")]
STRING_TYPES = [_ASN1Type.UTF8String, _ASN1Type.UTF8String, _ASN1Type.BMPString, _ASN1Type.UniversalString,
                _ASN1Type.T61String, _ASN1Type.IA5String, _ASN1Type.NumericString]
# Tags for raw elements, those OpenSSL accepts there first: for name values the string types it
# converts to UTF-8, BIT STRING and SEQUENCE it stores as they are, then types it refuses.
NAME_VALUE_TAGS = [0x0C, 0x13, 0x14, 0x16, 0x12, 0x1E, 0x1C, 0x03, 0x30] * 3 + [0x17, 0x18, 0x1A, 0x04, 0x02]
GENERAL_NAME_TAGS = [0x82, 0x86, 0x81, 0x87, 0x82, 0x86, 0x81, 0x87, 0x88, 0xA3, 0xA4, 0xA5, 0xA0, 0x83]
ODD_TEXTS = ["", "\x00", "a\x00b", "\U0001f600", "Z\u00fcrich \u4e2d", "\U0010ffff", "\ufeff", "a\nb",
             "\u00e9" * 40]

PRINTABLE = string.ascii_letters + string.digits + " '()+,-./:=?"  # all PrintableString may hold
texts = st.one_of(st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters=MARK), max_size=16),
                  st.sampled_from(ODD_TEXTS))
ascii_texts = st.text(st.characters(max_codepoint=0x7F, blacklist_characters=MARK), max_size=20)
# Bytes for raw contents: anything, and text in each encoding a string type uses, lone surrogates too.
raw_contents = st.one_of(
    st.binary(max_size=24),
    st.builds(lambda text, codec: text.encode(codec, "replace" if codec == "latin-1" else "surrogatepass"),
              st.text(st.characters(blacklist_characters=MARK), max_size=10),
              st.sampled_from(["utf-8", "utf-16-be", "utf-32-be", "latin-1"])))

# Content for constructed raw elements: a few elements (EDIPartyName's [0] and [1], an otherName's
# OID and [0] value, an ORAddress's SEQUENCE), or anything.
constructed_contents = st.one_of(raw_contents, st.lists(
    st.builds(encode_element, st.sampled_from([0x06, 0x0C, 0x13, 0x30, 0xA0, 0xA1]), raw_contents),
    max_size=3).map(b"".join))

unknown_oids = st.builds(
    lambda arcs, rest: ObjectIdentifier(".".join(map(str, [*arcs, *rest]))),
    st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 39)),
              st.tuples(st.just(2), st.integers(40, 2**32))),
    st.lists(st.integers(0, 2**64), max_size=4))
oids = st.one_of(st.sampled_from(NAME_OIDS), st.sampled_from(OTHER_KNOWN_OIDS), unknown_oids)
# Longer than cryptography writes (63 bytes), 1 in 12 times; past 2344 characters OpenSSL cannot print them.
long_oid_contents = st.one_of(st.sampled_from([254, 255, 256, 257, 2046, 2047, 2048, 2049, 2400]),
                              st.integers(5, 2340)).map(oid_text_of_length).map(oid_content)


def oids_or_long(tag):
    """An ObjectIdentifier, or 1 in 12 times a RawElement of `tag` holding a long OID."""
    long_oids = long_oid_contents.map(lambda content: RawElement(tag, content))
    return st.integers(0, 11).flatmap(lambda choice: long_oids if choice == 0 else oids)


@st.composite
def name_attributes(draw, placeholders):
    # BIT STRING values are rare: swiftssl raises for them (KNOWN_DIFFERENCES), hiding the rest.
    kind = draw(st.sampled_from(["text"] * 18 + ["printable"] * 3 + ["raw"] * 3 + ["bits"]))
    if kind == "bits":  # x500UniqueIdentifier, the one BIT STRING cryptography writes: unused bits, bits
        unused, bits = draw(st.integers(0, 7)), draw(st.binary(max_size=8))
        return x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, bytes([unused]) + bits, _ASN1Type.BitString)
    oid = draw(oids_or_long(0x06))
    if isinstance(oid, RawElement):
        oid = placeholders.oid(oid)
    if kind == "raw":
        raw = RawElement(draw(st.sampled_from(NAME_VALUE_TAGS)), draw(raw_contents))
        return x509.NameAttribute(oid, placeholders.text(raw, 0x0C), _ASN1Type.UTF8String, _validate=False)
    if kind == "printable":
        value, string_type = draw(st.text(PRINTABLE, max_size=16)), _ASN1Type.PrintableString
    else:
        value, string_type = draw(texts), draw(st.sampled_from(STRING_TYPES))
        if string_type == _ASN1Type.BMPString and draw(st.integers(0, 9)):  # astral characters, which make
            value = "".join(character for character in value if character < "\U00010000")  # it unparsable
    return x509.NameAttribute(oid, value, string_type, _validate=False)  # empty and overlong values too


@st.composite
def relative_names(draw, placeholders):
    attributes = draw(st.lists(name_attributes(placeholders), min_size=1, max_size=3))
    return x509.RelativeDistinguishedName(list(dict.fromkeys(attributes)))  # no duplicates in a set


def names(placeholders, max_size=5):
    return st.lists(relative_names(placeholders), max_size=max_size).map(x509.Name)


special_addresses = st.sampled_from([ipaddress.ip_address(text) for text in (
    "::", "::1", "::ffff:1.2.3.4", "0.0.0.0", "255.255.255.255", "fe80::1:0:0:1", "2001:db8::")])
networks = st.sampled_from([ipaddress.ip_network(text) for text in ("10.0.0.0/8", "::/0", "2001:db8::/32")])


@st.composite
def general_names(draw, placeholders, uri_weight=1):
    kind = draw(st.sampled_from(["uri"] * uri_weight + ["dns", "raw", "email", "ip", "rid", "dirname",
                                                         "othername"]))
    if kind == "dns":
        return x509.DNSName(draw(ascii_texts))
    if kind == "uri":
        return x509.UniformResourceIdentifier(draw(ascii_texts))
    if kind == "email":
        return x509.RFC822Name(draw(st.from_regex(r"\A[a-z0-9.+_-]{1,10}@[a-z0-9.-]{1,10}\Z")))
    if kind == "ip":
        return x509.IPAddress(draw(st.one_of(st.ip_addresses(), special_addresses, networks)))
    if kind == "rid":
        rid = draw(oids_or_long(0x88))
        if isinstance(rid, RawElement):
            return x509.DNSName(placeholders.text(rid, 0x82))
        return x509.RegisteredID(rid)
    if kind == "dirname":
        return x509.DirectoryName(draw(names(placeholders, max_size=3)))
    if kind == "othername":
        # Past 2047 bytes, CPython's buffer keeps the start of OpenSSL's printed form.
        content = draw(st.one_of(raw_contents, st.integers(2030, 2060).map(lambda size: b"x" * size)))
        value = encode_element(draw(st.sampled_from([0x0C, 0x16, 0x13, 0x1E, 0x02, 0x04, 0x30])), content)
        return x509.OtherName(draw(st.one_of(st.sampled_from(OTHER_NAME_OIDS), unknown_oids)), value)
    tag = 0x86 if uri_weight > 1 and draw(st.booleans()) else draw(st.sampled_from(GENERAL_NAME_TAGS))
    content = draw(constructed_contents if tag & 0x20 else raw_contents)
    return x509.DNSName(placeholders.text(RawElement(tag, content), 0x82))


REASONS = [flag for flag in x509.ReasonFlags
           if flag not in (x509.ReasonFlags.unspecified, x509.ReasonFlags.remove_from_crl)]


@st.composite
def distribution_points(draw, placeholders):
    place = draw(st.sampled_from(["full", "full", "relative", "issuer only"]))
    some_names = st.lists(general_names(placeholders), min_size=1, max_size=2)
    full_name = draw(st.lists(general_names(placeholders, 3), min_size=1, max_size=3)) if place == "full" else None
    relative_name = draw(relative_names(placeholders)) if place == "relative" else None
    reasons = draw(st.none() | st.frozensets(st.sampled_from(REASONS), min_size=1))
    issuer = draw(some_names if place == "issuer only" else st.none() | some_names)
    return x509.DistributionPoint(full_name, relative_name, reasons, issuer)


def subject_alt_names(placeholders):
    return st.lists(general_names(placeholders), max_size=6).map(x509.SubjectAlternativeName)


def authority_information_access(placeholders):
    descriptions = st.builds(x509.AccessDescription, st.sampled_from(ACCESS_METHODS) | unknown_oids,
                             general_names(placeholders, 4))
    return st.lists(descriptions, max_size=6).map(x509.AuthorityInformationAccess)


def crl_distribution_points(placeholders):
    return st.lists(distribution_points(placeholders), max_size=4).map(x509.CRLDistributionPoints)


EXTRA_EXTENSIONS = ["constraints", "usage", "key id", "unknown", "duplicate or malformed"]


@st.composite
def unrelated_extensions(draw, placeholders, kind):
    if kind == "constraints":
        ca = draw(st.booleans())
        return x509.BasicConstraints(ca, draw(st.none() | st.integers(0, 10)) if ca else None)
    if kind == "usage":
        return x509.ExtendedKeyUsage(draw(st.lists(oids, min_size=1, max_size=3, unique=True)))
    if kind == "key id":
        return x509.SubjectKeyIdentifier(draw(st.binary(max_size=20)))
    if kind == "unknown":
        return x509.UnrecognizedExtension(draw(unknown_oids), draw(st.binary(max_size=20)))
    # Another (or the only) subjectAltName, AIA or CRL distribution points, well formed or not:
    # cryptography writes no duplicates, so it goes under a placeholder OID.
    target, values = draw(st.sampled_from([
        (ExtensionOID.SUBJECT_ALTERNATIVE_NAME, subject_alt_names),
        (ExtensionOID.AUTHORITY_INFORMATION_ACCESS, authority_information_access),
        (ExtensionOID.CRL_DISTRIBUTION_POINTS, crl_distribution_points)]))
    value = draw(st.one_of(values(placeholders).map(lambda extension: extension.public_bytes()),
                           st.binary(max_size=20)))
    oid = placeholders.oid(RawElement(0x06, oid_content(target.dotted_string)))
    return x509.UnrecognizedExtension(oid, value)


@st.composite
def raw_times(draw):
    """A UTCTime or GeneralizedTime of any year, fields in and out of range, with or without
    seconds, a fraction, a zone; or any bytes, or another tag."""
    if draw(st.integers(0, 9)) == 0:
        return RawElement(draw(st.sampled_from([0x17, 0x18, 0x13])), draw(st.binary(max_size=20)))
    tag = draw(st.sampled_from([0x17, 0x18]))
    year = draw(st.integers(0, 9999))
    text = f"{year % 100:02d}" if tag == 0x17 else f"{year:04d}"
    text += "".join(f"{draw(st.integers(0, limit)):02d}" for limit in (13, 32, 24, 60))
    text += draw(st.sampled_from(["", "00", "59", "60", "7"]))
    text += draw(st.sampled_from(["", ".5", ".123", ".", ".0"]))
    text += draw(st.sampled_from(["Z", "Z", "", "+0100", "-2359", "+9999"]))
    return RawElement(tag, text.encode())


# v1 (no version), values past v3, negative ones, the largest long (CPython's + 1 overflows), malformed.
ODD_VERSIONS = [None, b"\x00", b"\x01", b"\x03", b"\xff", b"\x7f\xff\xff\xff", b"\x7f" + b"\xff" * 7,
                b"\x80" + bytes(7), b"\x00\x02", b"", b"\x01" * 9]


@st.composite
def certificates(draw):
    """The DER of a drawn certificate."""
    placeholders = Placeholders()
    subject = draw(names(placeholders))
    issuer = draw(st.one_of(st.just(subject), names(placeholders)))
    # Negative, zero and longer than 20 bytes (35 bytes make a line of OpenSSL's print) as raw INTEGERs.
    raw_serials = st.builds(RawElement, st.just(0x02), st.one_of(
        *[st.integers(-2**640, 2**640).map(integer_content)] * 3, st.binary(max_size=80)))
    serial = draw(st.one_of(st.integers(1, 2**159 - 1),
                            st.sampled_from([1, 127, 128, 255, 256, 2**64, 2**159 - 1]), raw_serials))
    dates = st.datetimes(datetime.datetime(1950, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 58),
                         timezones=st.just(UTC)).filter(lambda date: date not in PLACEHOLDER_TIMES)
    times = sorted(draw(st.lists(dates, min_size=2, max_size=2)))
    for which in (0, 1):
        if draw(st.integers(0, 2)) == 0:
            times[which] = placeholders.time(draw(raw_times()), which)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(draw(st.sampled_from(KEYS)).public_key())
               .serial_number(placeholders.serial(serial) if isinstance(serial, RawElement) else serial)
               .not_valid_before(times[0]).not_valid_after(times[1]))
    extensions = [draw(extension(placeholders)) for extension, wanted in (
        (subject_alt_names, 0.6), (authority_information_access, 0.4), (crl_distribution_points, 0.4))
        if draw(st.integers(0, 9)) < wanted * 10]
    extensions += [draw(unrelated_extensions(placeholders, kind))
                   for kind in draw(st.lists(st.sampled_from(EXTRA_EXTENSIONS), max_size=3, unique=True))]
    for extension in draw(st.permutations(extensions)):
        builder = builder.add_extension(extension, critical=draw(st.booleans()))
    der = builder.sign(draw(st.sampled_from(KEYS)), hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    der = substitute(der, placeholders.replacements)
    return der if draw(st.integers(0, 15)) else with_version(der, draw(st.sampled_from(ODD_VERSIONS)))


# --------------------------------------------------------------------------------------------
# Corrupted certificates
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def base_certificates() -> tuple:
    """Valid certificates to corrupt: one with every field and extension getpeercert() reports,
    and a bare v1 certificate with a 40-byte serial number and a fractional GeneralizedTime."""
    attribute = x509.NameAttribute
    subject = x509.Name([
        x509.RelativeDistinguishedName([attribute(NameOID.COUNTRY_NAME, "CH", _ASN1Type.PrintableString),
                                        attribute(NameOID.STATE_OR_PROVINCE_NAME, "Z\u00fcrich")]),
        x509.RelativeDistinguishedName([attribute(NameOID.ORGANIZATION_NAME, "\u4e2d \U0001f600",
                                                  _ASN1Type.UniversalString)]),
        x509.RelativeDistinguishedName([attribute(NameOID.COMMON_NAME, "a\x00b", _ASN1Type.BMPString),
                                        attribute(ObjectIdentifier("1.2.3.4.5"), "custom", _ASN1Type.T61String)]),
        x509.RelativeDistinguishedName([attribute(NameOID.DOMAIN_COMPONENT, "example", _ASN1Type.IA5String)]),
    ])
    uri = x509.UniformResourceIdentifier
    extensions = [
        x509.SubjectAlternativeName([
            x509.DNSName("example.org"), x509.DNSName("*.example.org"), x509.RFC822Name("a@example.org"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::ffff:1.2.3.4")),
            uri("https://example.org/"), x509.RegisteredID(ObjectIdentifier("1.2.3.4")),
            x509.DirectoryName(x509.Name([attribute(NameOID.COMMON_NAME, "directory")])),
            x509.OtherName(ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x05upn@x"),
            x509.OtherName(ObjectIdentifier("1.2.3.9"), b"\x0c\x01a")]),
        x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, uri("http://ocsp.example/")),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, uri("http://ca.example/ca.der")),
            x509.AccessDescription(ACCESS_METHODS[2], uri("http://repository.example/")),
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.DNSName("ocsp.example"))]),
        x509.CRLDistributionPoints([
            x509.DistributionPoint([uri("http://crl.example/1.crl"), x509.DNSName("crl.example")],
                                   None, None, None),
            x509.DistributionPoint(None, x509.RelativeDistinguishedName([attribute(NameOID.COMMON_NAME, "crl")]),
                                   None, None),
            x509.DistributionPoint([uri("http://crl.example/2.crl")], None, None, None)]),
        x509.BasicConstraints(ca=False, path_length=None),
        x509.SubjectKeyIdentifier.from_public_key(KEYS[1].public_key()),
    ]
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(KEYS[1].public_key()).serial_number(2**159 - 1)
               .not_valid_before(datetime.datetime(1950, 1, 1, tzinfo=UTC))
               .not_valid_after(datetime.datetime(2050, 1, 1, tzinfo=UTC)))
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    everything = builder.sign(KEYS[0], hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    placeholders = Placeholders()
    issuer = x509.Name([attribute(NameOID.COMMON_NAME, "issuer")])
    bare = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(issuer)
            .public_key(KEYS[2].public_key())
            .serial_number(placeholders.serial(RawElement(0x02, integer_content(2**319 + 1))))
            .not_valid_before(placeholders.time(RawElement(0x18, b"20200229235959.5Z"), 0))
            .not_valid_after(placeholders.time(RawElement(0x17, b"491231235959Z"), 1))
            .sign(KEYS[0], hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    return everything, with_version(substitute(bare, placeholders.replacements), None)


# Tags a rewrite may give an element (no high-tag-number forms, which `split` does not read).
REWRITE_TAGS = sorted({*NAME_VALUE_TAGS, *GENERAL_NAME_TAGS, 0x00, 0x01, 0x05, 0x06, 0x31, 0x80, 0xA1, 0xA2})


@st.composite
def mutated_certificates(draw):
    """A base certificate after 0-3 rewrites of an element (another tag or content, the lengths
    around it kept right: most still parse), then sometimes a corruption of its bytes (a tag, a
    length, a content byte, bytes cut out or inserted, the end cut off)."""
    der = draw(st.sampled_from(base_certificates()))
    rewrites = draw(st.integers(0, 3))
    for _ in range(rewrites):
        positions = element_positions(der)
        leaves = [index for index, (_, start, end) in enumerate(positions)  # where the values are
                  if index + 1 == len(positions) or positions[index + 1][0] >= end]
        anywhere = st.integers(0, len(positions) - 1)
        index = draw(st.sampled_from(leaves) if draw(st.integers(0, 3)) else anywhere)
        tag_at, start, end = positions[index]
        content = der[start:end]
        new_content = draw(st.one_of(
            raw_contents, st.integers(0, len(content)).map(lambda size: content[:size]),
            st.binary(min_size=1, max_size=4).map(lambda extra: content + extra),
            st.tuples(st.integers(0, max(len(content) - 1, 0)), st.integers(0, 255)).map(
                lambda change: content[:change[0]] + bytes([change[1]]) + content[change[0] + 1:])))
        new_tag = draw(st.sampled_from(REWRITE_TAGS)) if draw(st.integers(0, 6)) == 0 else der[tag_at]
        der = rewrite(der, index, encode_element(new_tag, new_content))
    der = bytearray(der)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1]) if rewrites else st.integers(1, 2))):
        if not der:
            break
        positions = element_positions(bytes(der), strict=False) or [(0, 0, len(der))]
        tag_at, start, end = draw(st.sampled_from(positions))
        kind = draw(st.sampled_from(["tag", "length", "content", "cut", "insert", "truncate"]))
        if kind == "tag":
            der[tag_at] = draw(st.integers(0, 255))
        elif kind == "length":  # nearby, absurd, indefinite or non-minimal long form
            size = end - start
            header = draw(st.one_of(
                st.integers(max(size - 3, 0), size + 3).map(encode_length),
                st.sampled_from([b"\x80", b"\x84\xff\xff\xff\xff", b"\x85\x01\x00\x00\x00\x00", b"\xff",
                                 b"\x82" + size.to_bytes(2, "big"), b"\x81\x00"])))
            der[tag_at + 1:start] = header
        elif kind == "content" and end > start:
            der[draw(st.integers(start, end - 1))] = draw(st.integers(0, 255))
        elif kind == "cut":
            cut_at = draw(st.integers(tag_at, end))
            del der[cut_at:cut_at + draw(st.integers(1, 8))]
        elif kind == "insert":
            insert_at = draw(st.integers(tag_at, end))
            der[insert_at:insert_at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del der[draw(st.integers(tag_at, end)):]
    return bytes(der)
