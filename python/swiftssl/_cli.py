"""The ``python -m swiftssl`` command line: connect, serve, check-hostname, show.

Everything TLS happens in swiftssl's public API (plus ``_swiftssl._test_decode_cert`` to decode a
certificate the way ``getpeercert()`` does); this file only parses arguments and prints. Exit
status: 0 on success, 1 on any failure (one line on stderr says what failed), 2 for usage errors.
"""

import argparse
import io
import json
import socket
import sys
import threading

import swiftssl
from swiftssl import _swiftssl
from swiftssl._certificate_object import ENCODING_DER

PROGRAM = "python -m swiftssl"

DESCRIPTION = """\
Friendly TLS tools over swiftssl, CPython's ssl API on a Swift core over OpenSSL 3.

  connect HOST:PORT          handshake and show protocol, cipher, ALPN, certificate, hostname check
  serve                      a TLS echo server (certificate and key from files or stdin, or a PSK)
  check-hostname CERT HOST   does HOST match the certificate? (match_hostname, CPython's rules)
  show CERT                  decode a certificate like getpeercert(), as text or --json

`python -m swiftssl COMMAND --help` describes each command."""

EPILOG = """\
To run an unmodified program with swiftssl standing in for `ssl` (so ssl.wrap_socket and
ssl.match_hostname work on Python 3.12+):  python -m swiftssl.run SCRIPT.py [ARGS...]
                                       or  python -m swiftssl.run -m MODULE [ARGS...]

Exit status: 0 success, 1 failure (TLS, verification, network, hostname mismatch), 2 usage."""


class CommandError(Exception):
    """A failure to report as one line on stderr with exit status 1."""


# -- shared helpers ----------------------------------------------------------------------------
def _read_source(argument, stdin_bytes):
    """``-`` means PEM on stdin (read once, shared by every ``-``); anything else is a path."""
    if argument != "-":
        return argument
    if stdin_bytes[0] is None:
        stdin_bytes[0] = sys.stdin.buffer.read()
        if not stdin_bytes[0].strip():
            raise CommandError("expected PEM on stdin ('-'), got nothing")
    return stdin_bytes[0]


def _decode_certificate(source):
    """The getpeercert()-style dict of the first certificate in a path (str) or PEM (bytes)."""
    if isinstance(source, str):
        # Read here: _test_decode_cert answers a missing file as CPython's does ("Can't open file").
        try:
            with open(source, "rb") as file:
                source = file.read()
        except OSError as error:
            raise CommandError(f"cannot read certificate {source!r}: {error.strerror}")
    try:
        # As a file-like object, so that content without PEM armour is not taken for a path.
        return _swiftssl._test_decode_cert(io.BytesIO(source))
    except (swiftssl.SSLError, ValueError) as error:
        raise CommandError(f"cannot decode the certificate: {_describe(error)}")


def _describe(error):
    """One line for an exception: verification failures show OpenSSL's verify_message."""
    if isinstance(error, swiftssl.SSLCertVerificationError) and getattr(error, "verify_message", None):
        return f"certificate verify failed: {error.verify_message} (verify code {error.verify_code})"
    if isinstance(error, socket.timeout):
        return "timed out"
    if isinstance(error, OSError) and error.strerror and not isinstance(error, swiftssl.SSLError):
        return error.strerror
    if isinstance(error, swiftssl.SSLError) and error.errno is None and len(error.args) == 1:
        return str(error.args[0])  # SSLError(message): str() would show the tuple
    return str(error) or type(error).__name__


def _name_text(name):
    """``((('commonName', 'x'),), ...)`` as ``commonName=x, organizationName=y``."""
    return ", ".join("+".join(f"{key}={value}" for key, value in rdn) for rdn in name) or "(empty)"


def _san_text(entries):
    return ", ".join(f"{kind}:{value}" for kind, value in entries)


def _certificate_lines(cert, indent=""):
    lines = [
        f"{indent}subject:         {_name_text(cert.get('subject', ()))}",
        f"{indent}issuer:          {_name_text(cert.get('issuer', ()))}",
        f"{indent}valid from:      {cert.get('notBefore', '?')}",
        f"{indent}valid until:     {cert.get('notAfter', '?')}",
        f"{indent}subjectAltName:  {_san_text(cert['subjectAltName']) if 'subjectAltName' in cert else '(none)'}",
    ]
    for key, label in (("version", "version"), ("serialNumber", "serial number"),
                       ("OCSP", "OCSP"), ("caIssuers", "CA issuers"),
                       ("crlDistributionPoints", "CRL points")):
        if key in cert:
            value = cert[key]
            value = ", ".join(value) if isinstance(value, tuple) else value
            lines.append(f"{indent}{label + ':':<17}{value}")
    return lines


def _hostname_check(cert, hostname):
    """(True, text) when ``hostname`` matches ``cert`` by match_hostname, else (False, message)."""
    try:
        swiftssl.match_hostname(cert, hostname)
    except (swiftssl.CertificateError, ValueError) as error:
        return False, str(error.args[0] if error.args else error)
    return True, f"{hostname!r} matches the certificate"


def _split_address(text):
    """``HOST:PORT`` or ``[IPv6]:PORT`` as (host, port)."""
    host, _, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (e.g. example.com:443), got {text!r}")
    return host, int(port)


def _set_alpn(context, values):
    """Offers or accepts the comma-separated protocols of each ``--alpn`` value."""
    if not values:
        return
    try:
        context.set_alpn_protocols([name for value in values for name in value.split(",") if name])
    except (ValueError, swiftssl.SSLError) as error:  # CPython raises SSLError for a bad length
        raise CommandError(f"invalid --alpn: {_describe(error)}")


def _psk(text):
    """The bytes of a ``--psk`` given in hex (as ``openssl s_client -psk`` takes it)."""
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected the key in hex, e.g. 1a2b3c4d...")
    if not key:
        raise argparse.ArgumentTypeError("the key is empty")
    return key


# -- connect -----------------------------------------------------------------------------------
def command_connect(arguments):
    host, port = arguments.address
    server_name = arguments.servername or host
    try:
        context = swiftssl.create_default_context(cafile=arguments.cafile)
    except (OSError, ValueError) as error:
        source = f"--cafile {arguments.cafile}" if arguments.cafile else "the system trust store"
        raise CommandError(f"cannot load {source}: {_describe(error)}")
    if arguments.insecure or arguments.psk:
        context.check_hostname = False
        context.verify_mode = swiftssl.CERT_NONE
    if arguments.psk:
        # The key authenticates the server; TLS 1.2 needs the PSK suites (TLS 1.3 keeps its own).
        context.set_ciphers("PSK")
        context.set_psk_client_callback(lambda hint: (arguments.psk_identity, arguments.psk))
    _set_alpn(context, arguments.alpn)
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=arguments.timeout) as raw:
            with context.wrap_socket(raw, server_hostname=server_name) as tls:
                return _report_connection(arguments, tls, where, server_name)
    except swiftssl.SSLCertVerificationError as error:
        hint = "" if arguments.cafile else "; pass --cafile CA.pem to trust its CA, or --insecure"
        raise CommandError(f"{where}: {_describe(error)}{hint}")
    except (OSError, ValueError) as error:
        raise CommandError(f"{where}: {_describe(error)}")


def _report_connection(arguments, tls, where, server_name):
    cipher = tls.cipher()
    der = tls.getpeercert(binary_form=True)
    cert = _decode_certificate(swiftssl.DER_cert_to_PEM_cert(der).encode("ascii")) if der else {}
    if arguments.psk:
        verification = f"by the pre-shared key (--psk, identity {arguments.psk_identity!r})"
    elif arguments.insecure:
        verification = "SKIPPED (--insecure): the certificate was not verified"
    else:
        verification = f"OK, chain verified against {arguments.cafile or 'the system trust store'}"
    print(f"connected to {where} (server name {server_name!r})")
    print(f"protocol:        {tls.version()}")
    print(f"cipher:          {cipher[0]} ({cipher[2]} bits)" if cipher else "cipher:          (none)")
    print(f"ALPN:            {tls.selected_alpn_protocol() or '(none)'}")
    print(f"verification:    {verification}")
    matched = True
    if cert:
        matched, message = _hostname_check(cert, server_name)
        if not matched and (arguments.insecure or arguments.psk):
            message += " (not enforced: --insecure)"
        print(f"hostname check:  {'OK, ' if matched else 'FAILED: '}{message}")
        print("peer certificate:")
        print("\n".join(_certificate_lines(cert, indent="  ")))
    else:
        print("peer certificate: (none sent)")
    for line in _verified_chain_lines(tls):
        print(line)
    if arguments.send is not None:
        tls.sendall(arguments.send.encode())
        reply = tls.recv(65536)
        print(f"reply:           {reply.decode(errors='replace')!r}")
    return 0 if matched or arguments.insecure or arguments.psk else 1


def _verified_chain_lines(tls):
    """The chain OpenSSL built, leaf first (the connection's ``get_verified_chain()``, which every
    version has; SSLSocket's own is 3.13's); nothing when nothing was verified."""
    chain = tls._sslobj.get_verified_chain()
    if not chain:
        return []
    lines = ["verified chain:"]
    for depth, certificate in enumerate(chain):
        der = certificate.public_bytes(ENCODING_DER)
        cert = _decode_certificate(swiftssl.DER_cert_to_PEM_cert(der).encode("ascii"))
        lines.append(f"  {depth}: {_name_text(cert.get('subject', ()))}")
    return lines


# -- serve -------------------------------------------------------------------------------------
def command_serve(arguments):
    if arguments.cert is None and arguments.psk is None:
        raise CommandError("give --cert (a certificate chain and key), --psk (a pre-shared key), or both")
    context = swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_SERVER)
    if arguments.cert is not None:
        stdin_bytes = [None]
        certfile = _read_source(arguments.cert, stdin_bytes)
        keyfile = None if arguments.key is None else _read_source(arguments.key, stdin_bytes)
        if arguments.cert == "-" and arguments.key == "-":
            keyfile = None  # one PEM blob on stdin holds both
        try:
            context.load_cert_chain(certfile, keyfile)
        except (swiftssl.SSLError, OSError) as error:
            raise CommandError(f"cannot load the certificate and key: {_describe(error)}")
    if arguments.psk is not None:
        def key_for(identity):
            print(f"PSK identity {identity!r}", flush=True)
            return arguments.psk
        # TLS 1.2 clients may then pick a PSK suite (or, with --cert, a certificate one).
        context.set_ciphers("PSK" if arguments.cert is None else f"PSK:{swiftssl._DEFAULT_CIPHERS}")
        context.set_psk_server_callback(key_for, arguments.psk_hint)
    _set_alpn(context, arguments.alpn)
    try:
        listener = socket.create_server((arguments.host, arguments.port),
                                        family=socket.AF_INET6 if ":" in arguments.host else socket.AF_INET)
    except OSError as error:
        raise CommandError(f"cannot listen on {arguments.host}:{arguments.port}: {_describe(error)}")
    with listener:
        host, port = listener.getsockname()[:2]
        print(f"listening on {host}:{port}" + (" (one client)" if arguments.once else ""), flush=True)
        while True:
            connection, address = listener.accept()
            if arguments.once:
                return 0 if _echo(context, connection, address, arguments.timeout) else 1
            threading.Thread(target=_echo, args=(context, connection, address, arguments.timeout),
                             daemon=True).start()


def _echo(context, connection, address, timeout):
    """Handshakes with one client and echoes what it sends until it closes; True if all went well."""
    peer = f"{address[0]}:{address[1]}"
    connection.settimeout(timeout)
    try:
        with context.wrap_socket(connection, server_side=True) as tls:
            alpn = tls.selected_alpn_protocol()
            print(f"client {peer}: {tls.version()} {tls.cipher()[0]}"
                  + (f" ALPN {alpn}" if alpn else ""), flush=True)
            total = 0
            while data := tls.recv(65536):
                tls.sendall(data)
                total += len(data)
            print(f"client {peer}: closed after echoing {total} bytes", flush=True)
            return True
    except (OSError, ValueError) as error:
        print(f"client {peer}: {_describe(error)}", file=sys.stderr, flush=True)
        return False


# -- check-hostname and show -------------------------------------------------------------------
def command_check_hostname(arguments):
    cert = _decode_certificate(_read_source(arguments.certificate, [None]))
    matched, message = _hostname_check(cert, arguments.hostname)
    if not matched:
        raise CommandError(message)
    print(f"OK: {message}")
    return 0


def command_show(arguments):
    cert = _decode_certificate(_read_source(arguments.certificate, [None]))
    if arguments.json:
        print(json.dumps(cert, indent=2))
    else:
        print("\n".join(_certificate_lines(cert)))
    return 0


# -- argument parsing --------------------------------------------------------------------------
def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"swiftssl {swiftssl.__version__} ({swiftssl.OPENSSL_VERSION})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    connect = commands.add_parser(
        "connect", help="handshake with a TLS server and describe the session",
        description="Connects to HOST:PORT, runs the TLS handshake (verifying the chain and the "
                    "hostname unless --insecure) and prints protocol, cipher, ALPN, the peer "
                    "certificate and the hostname check. Exit status 1 if anything fails.")
    connect.add_argument("address", metavar="HOST:PORT", type=_split_address,
                         help="server address; IPv6 as [::1]:443")
    connect.add_argument("--cafile", metavar="PEM", help="trust the CAs in this PEM file instead "
                         "of the system trust store")
    connect.add_argument("--servername", metavar="NAME", help="name sent as SNI and checked against "
                         "the certificate (default: HOST)")
    connect.add_argument("--insecure", action="store_true", help="do not verify the certificate "
                         "or the hostname (still shows both)")
    connect.add_argument("--alpn", action="append", metavar="PROTOCOLS",
                         help="offer these ALPN protocols, comma-separated (e.g. h2,http/1.1)")
    connect.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                         help="connect and I/O timeout (default 10)")
    connect.add_argument("--send", metavar="TEXT", help="send TEXT after the handshake and print "
                         "the reply (e.g. to try `serve`)")
    connect.add_argument("--psk", type=_psk, metavar="HEX", help="authenticate with this pre-shared "
                         "key (TLS-PSK) instead of the server's certificate, which is then not verified")
    connect.add_argument("--psk-identity", default="swiftssl", metavar="NAME",
                         help="the identity sent with --psk (default swiftssl)")
    connect.set_defaults(handler=command_connect)

    serve = commands.add_parser(
        "serve", help="run a TLS echo server",
        description="Serves TLS on HOST:PORT and echoes back whatever each client sends. The "
                    "certificate chain and key come from PEM files, or from stdin with '-' "
                    "(never written to disk); '--cert - ' alone reads one PEM holding chain and key. "
                    "With --psk, clients holding that key connect without any certificate.")
    serve.add_argument("--cert", metavar="PEM",
                       help="certificate chain, leaf first (may also hold the key); '-' for stdin")
    serve.add_argument("--key", metavar="PEM", help="private key, if not in --cert; '-' for stdin")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0,
                       help="port (default 0: pick a free one; the chosen port is printed)")
    serve.add_argument("--once", action="store_true", help="exit after the first client "
                       "(status 1 if its handshake failed)")
    serve.add_argument("--alpn", action="append", metavar="PROTOCOLS",
                       help="accept these ALPN protocols, comma-separated")
    serve.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                       help="per-client handshake and idle timeout (default 30)")
    serve.add_argument("--psk", type=_psk, metavar="HEX", help="accept clients that hold this "
                       "pre-shared key (TLS-PSK), under any identity (printed); --cert optional")
    serve.add_argument("--psk-hint", metavar="TEXT", help="identity hint sent to TLS 1.2 PSK clients")
    serve.set_defaults(handler=command_serve)

    check = commands.add_parser(
        "check-hostname", help="check a hostname against a certificate",
        description="Checks HOST against the certificate with match_hostname (CPython 3.11's "
                    "rules: subjectAltName DNS and IP entries, one left-most wildcard label, "
                    "commonName only without DNS names). Exit status 0 on a match, 1 otherwise.")
    check.add_argument("certificate", metavar="CERT.pem", help="PEM file ('-' for stdin); the first "
                       "certificate is used")
    check.add_argument("hostname", metavar="HOST", help="host name or IP address")
    check.set_defaults(handler=command_check_hostname)

    show = commands.add_parser(
        "show", help="decode a certificate like getpeercert()",
        description="Prints the first certificate of a PEM file as getpeercert() reports it.")
    show.add_argument("certificate", metavar="CERT.pem", help="PEM file ('-' for stdin)")
    show.add_argument("--json", action="store_true", help="print the getpeercert() dict as JSON")
    show.set_defaults(handler=command_show)
    return parser


def main(argv=None):
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except CommandError as error:
        print(f"swiftssl {arguments.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
