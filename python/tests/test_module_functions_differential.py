"""Module-level functions and argument checking behave as the stdlib's for arguments of any type:
``create_default_context``, ``_create_unverified_context``, ``wrap_bio``, ``MemoryBIO``,
``RAND_*``, ``DER_cert_to_PEM_cert`` / ``PEM_cert_to_DER_cert``, ``cert_time_to_seconds``,
``match_hostname`` and the context's simple setters. Each call runs on both libraries; the
outcome (value, or exception class and message) must be the same. What README's "Differences"
documents is forgiven in ``documented``. MODULE_EXAMPLES sets the number of examples.
"""

import re
import ssl as stdlib_ssl
import warnings

from hypothesis import HealthCheck, given, settings, strategies as st

from differential_support import example_count
import swiftssl

OBJECTS = st.one_of(st.none(), st.integers(-3, 3), st.integers(), st.text(max_size=4), st.binary(max_size=4),
                    st.just(1.5), st.just([]), st.just(object()))
PEM_LIKE = st.one_of(st.text(max_size=40), st.builds(
    lambda body, before, after: before + "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----" + after,
    st.text(alphabet="ABCDEFGHabcdefgh0123456789+/=\n \t", max_size=60), st.text(max_size=3), st.text(max_size=3)))
TIMES = st.one_of(st.text(max_size=24), st.builds(
    "{} {} {}:{}:{} {}{}".format,
    st.sampled_from(["Jan", "Feb", "Dec", "jan", "Foo"]), st.sampled_from(["1", " 1", "01", "31", "32", "0"]),
    st.sampled_from(["00", "23", "24"]), st.sampled_from(["00", "59", "60"]), st.sampled_from(["00", "60", "61"]),
    st.sampled_from(["1970", "2024", "1969", "9999", "10000"]), st.sampled_from([" GMT", "", " UTC", " GMT "])))


def described(call):
    try:
        value = call()
    except Exception as error:  # the description is what is compared
        message = re.sub(r" \((_ssl\.c:\d+|swiftssl)\)", "", str(error))
        return (type(error).__name__, message.replace("swiftssl", "ssl"))
    if not isinstance(value, (int, str, bytes, bool, tuple, type(None))):
        value = type(value).__name__
    return ("returned", value)


def documented(name, ours, theirs):
    """README, "Differences": wrap_bio with check_hostname needs a server_hostname; cafile also
    takes PEM content and file-like objects, and its TypeError says so."""
    return (name == "wrap_bio without server_hostname" and ours == ("ValueError", "check_hostname requires server_hostname")
            or name == "create_default_context(cafile=)" and ours[0] == theirs[0] == "TypeError"
            and ours[1].startswith("cafile should be a valid filesystem path, PEM content, or a file-like object"))


def calls(a, b, c, pem, der, when, n):
    client = lambda m: m.SSLContext(m.PROTOCOL_TLS_CLIENT)
    return {
        "create_default_context(purpose)": lambda m: m.create_default_context(a),
        "create_default_context(cafile=)": lambda m: m.create_default_context(cafile=a, capath=b, cadata=c),
        "_create_unverified_context(protocol)": lambda m: m._create_unverified_context(a),
        "_create_unverified_context(cert_reqs=)": lambda m: m._create_unverified_context(cert_reqs=a),
        "load_default_certs": lambda m: client(m).load_default_certs(a),
        "get_ca_certs": lambda m: client(m).get_ca_certs(a),
        "wrap_bio": lambda m: client(m).wrap_bio(a, b, server_hostname="x"),
        "wrap_bio without server_hostname": lambda m: client(m).wrap_bio(m.MemoryBIO(), m.MemoryBIO(), server_hostname=a),
        "wrap_socket(not a socket)": lambda m: client(m).wrap_socket(a),
        "MemoryBIO.write": lambda m: m.MemoryBIO().write(a),
        "MemoryBIO.read": lambda m: m.MemoryBIO().read(a),
        "post_handshake_auth =": lambda m: setattr(client(m), "post_handshake_auth", a),
        "check_hostname =": lambda m: setattr(client(m), "check_hostname", a),
        "hostname_checks_common_name =": lambda m: setattr(client(m), "hostname_checks_common_name", a),
        "match_hostname": lambda m: m.match_hostname(a, b),
        "PEM_cert_to_DER_cert": lambda m: m.PEM_cert_to_DER_cert(pem),
        "DER_cert_to_PEM_cert": lambda m: m.DER_cert_to_PEM_cert(der),
        "DER_cert_to_PEM_cert(object)": lambda m: m.DER_cert_to_PEM_cert(a),
        "cert_time_to_seconds": lambda m: m.cert_time_to_seconds(when),
        "cert_time_to_seconds(object)": lambda m: m.cert_time_to_seconds(a),
        "RAND_bytes": lambda m: len(m.RAND_bytes(n)),
        "RAND_bytes(object)": lambda m: len(m.RAND_bytes(a)),
        "RAND_add": lambda m: m.RAND_add(a, 1.0),
        "RAND_add(entropy)": lambda m: m.RAND_add(pem, b),
    }


@settings(max_examples=example_count("MODULE_EXAMPLES", 100), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(a=OBJECTS, b=OBJECTS, c=OBJECTS, pem=PEM_LIKE, der=st.binary(max_size=40), when=TIMES,
       n=st.integers(-3, 40))
def test_any_arguments_give_what_the_stdlib_gives(a, b, c, pem, der, when, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, call in calls(a, b, c, pem, der, when, n).items():
            if name == "match_hostname" and not hasattr(stdlib_ssl, "match_hostname"):
                continue  # 3.12 removed it; swiftssl keeps it (test_match_hostname.py)
            ours, theirs = described(lambda: call(swiftssl)), described(lambda: call(stdlib_ssl))
            if ours != theirs and not documented(name, ours, theirs):
                assert (name, ours) == (name, theirs)
