"""atheris target: ``match_hostname`` with arbitrary certificate dicts and host names.

The fuzzer's bytes drive a FuzzedDataProvider that builds a ``getpeercert()``-shaped dict: a
subject of relative names of (name, value) pairs, and subjectAltName (type, value) pairs, with
names, types and values drawn from the real ones (commonName, DNS, IP Address, wildcards,
A-labels, IPv4/IPv6 text) or arbitrary Unicode, and now and then a malformed entry (wrong arity,
non-str, None). The host name is arbitrary Unicode, a real-looking name, or an address.

Allowed outcomes: None (a match), CertificateError/ValueError (no match, or a malformed dict or
name), TypeError (a non-str where a str belongs), UnicodeError (a name IDNA cannot encode).
"""

import atheris

from _harness import import_swiftssl, run

swiftssl = import_swiftssl()

EXPECTED = (swiftssl.CertificateError, ValueError, TypeError, UnicodeError)
NAMES = ["commonName", "organizationName", "countryName", "emailAddress", "CN", ""]
TAGS = ["DNS", "IP Address", "email", "URI", "DirName", "othername", "Registered ID", ""]
LABELS = ["*", "www", "xn--bcher-kva", "bücher", "a", "example", "com", "*a", "a*", "f*o", "",
          "xn--", "localhost", "127", "0", "1", "::1", "192.168.0.1", "\x00", ".", "-", "EXAMPLE"]


def text(provider) -> str:
    """A name-like string: joined labels, an address, or arbitrary Unicode."""
    choice = provider.ConsumeIntInRange(0, 5)
    if choice == 0:
        return provider.ConsumeUnicode(provider.ConsumeIntInRange(0, 40))
    if choice == 1:
        return provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 40))
    if choice == 2:
        return ".".join(str(provider.ConsumeIntInRange(0, 300)) for _ in range(provider.ConsumeIntInRange(1, 5)))
    if choice == 3:
        return ":".join(f"{provider.ConsumeIntInRange(0, 0xFFFF):x}" for _ in range(provider.ConsumeIntInRange(0, 9)))
    count = provider.ConsumeIntInRange(1, 5)
    return ".".join(provider.PickValueInList(LABELS) for _ in range(count)) + ("." if choice == 5 else "")


def junk(provider):
    return provider.PickValueInList([None, 7, b"DNS", ("a",), ("a", "b", "c"), ["DNS", "x"], 3.5])


def pair(provider, keys):
    choice = provider.ConsumeIntInRange(0, 12)
    if choice == 0:
        return junk(provider)
    if choice == 1:
        return (provider.PickValueInList(keys), junk(provider))
    if choice == 2:
        return (junk(provider), text(provider))
    key = provider.PickValueInList(keys) if choice > 4 else provider.ConsumeUnicode(8)
    return (key, text(provider))


def certificate(provider):
    cert = {}
    if provider.ConsumeBool():
        cert["subject"] = tuple(
            tuple(pair(provider, NAMES) for _ in range(provider.ConsumeIntInRange(0, 3)))
            for _ in range(provider.ConsumeIntInRange(0, 4)))
    if provider.ConsumeBool():
        cert["subjectAltName"] = tuple(pair(provider, TAGS) for _ in range(provider.ConsumeIntInRange(0, 6)))
    if provider.ConsumeIntInRange(0, 15) == 0:
        cert[provider.PickValueInList(["subject", "subjectAltName"])] = junk(provider)
    if provider.ConsumeIntInRange(0, 7) == 0:
        cert["issuer"] = ((("commonName", text(provider)),),)
    return cert


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    cert = certificate(provider)
    hostname = text(provider) if provider.ConsumeBool() else provider.ConsumeUnicode(64)
    try:
        result = swiftssl.match_hostname(cert, hostname)
    except EXPECTED:
        return
    assert result is None


if __name__ == "__main__":
    run(test_one_input)
