"""The differences between swiftssl's server and the stdlib's that test_server_differential.py
forgives (KNOWN_DIFFERENCES, and DIVERGING: those after which an example stops), how each entry
recognises the difference it explains, and `known_difference`, which finds the entry that does."""

import sys

from server_differential_steps import TRANSFERS


# Differences kept on purpose: each entry says where it shows, as a test of (step or "details:
# <probe>", swiftssl's outcome, the stdlib's); the test forgives an outcome only where an entry
# explains it.
KNOWN_DIFFERENCES = {
    # Session tickets after an sni_callback switched contexts vary in length from one handshake
    # to the next in either library (542, 558 or 574 bytes of tickets for the same settings, in
    # CPython's runs as in swiftssl's): a ticket record, or a ClientHello carrying the ticket, is
    # 16 or 32 bytes longer or shorter in one run than in the other. (Without a switch both
    # libraries' tickets are the same length, now that swiftssl uses CPython's session id
    # context.)
    # Byte counts and corruption offsets no longer line up after it, so the example ends there.
    "ticket a block longer or shorter (stops the example)": lambda where, ours, theirs: (
        where.startswith(TRANSFERS) and longer_by_a_ticket_block(ours, theirs)),
    # A server call failing after the server already failed (OpenSSL then has no error of its
    # own to queue): CPython reports whatever error is left in OpenSSL's per-thread queue, here
    # the stdlib client's from its last call in this thread (say TLSV1_ALERT_PROTOCOL_VERSION
    # after the client's unwrap() met the server's alert). swiftssl clears the queue before each
    # call (DESIGN.md) and reports its own EOF error.
    "stale error of another connection after a server error": lambda where, ours, theirs: (
        where.endswith("after a server error") and differs_only_in_errors(ours, theirs)),
    # A server SSLSocket failing to send (EPIPE: the peer's socket was shut down) in a write,
    # or in a read that sends a post-handshake CertificateRequest: 3.13 raises the OSError
    # (BrokenPipeError), 3.11 and 3.12 SSLEOFError, or for recv() a ragged EOF (b""), as
    # swiftssl does on every version. Where swiftssl's read returns that end of stream, only
    # the stdlib's server counts as failed from then on, so the steps after it are labelled
    # differently ("after a server error") and the example stops there.
    "3.13's BrokenPipeError where 3.11 reads the end of the stream (stops the example)":
        lambda where, ours, theirs: (
            sys.version_info >= (3, 13) and eof_for_broken_pipe(ours, theirs)
            and len(list(errors_in(ours))) < len(list(errors_in(theirs)))),
    "3.13's BrokenPipeError where 3.11 has an EOF": lambda where, ours, theirs: (
        sys.version_info >= (3, 13) and eof_for_broken_pipe(ours, theirs)),
}

# Entries after which the two conversations can no longer be compared step by step.
DIVERGING = {"ticket a block longer or shorter (stops the example)",
             "3.13's BrokenPipeError where 3.11 reads the end of the stream (stops the example)"}

# -- how the entries above recognise a difference --------------------------------------------

def is_error(outcome):
    """A `described` exception: (class name, errno, message)."""
    return isinstance(outcome, tuple) and len(outcome) == 3 and isinstance(outcome[0], str) \
        and isinstance(outcome[2], str) and outcome[0].endswith(("Error", "Exception"))


def longer_by_a_ticket_block(ours, theirs):
    """`ours` is `theirs` but for byte counts up to 32 bytes apart: one or two NewSessionTicket
    messages a cipher block longer or shorter, or a ClientHello carrying such a ticket (OpenSSL
    pads a ClientHello of 256 to 511 bytes to 512, so that one changes by less)."""
    if isinstance(ours, int) and isinstance(theirs, int) and not isinstance(ours, bool):
        return abs(ours - theirs) <= 32
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(ours) == len(theirs) \
            and theirs and not isinstance(theirs[0], str):  # not a return value nor an error
        return all(longer_by_a_ticket_block(mine, its) for mine, its in zip(ours, theirs))
    return ours == theirs


def differs_only_in_errors(ours, theirs):
    """`ours` is `theirs` but for exceptions (want-read aside) where the other raised too."""
    if is_error(ours) and is_error(theirs):
        return "SSLWantReadError" not in (ours[0], theirs[0]) or ours == theirs
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(ours) == len(theirs) \
            and not is_error(ours) and not is_error(theirs):
        return all(differs_only_in_errors(mine, its) for mine, its in zip(ours, theirs))
    return ours == theirs


def errors_in(outcome):
    """The exceptions (as `described`) in a step's outcome."""
    if is_error(outcome):
        yield outcome
    elif isinstance(outcome, (tuple, list)):
        for part in outcome:
            yield from errors_in(part)


def eof_for_broken_pipe(ours, theirs):
    """`ours` is `theirs` but for SSLEOFError, or the end of the stream a suppressed ragged EOF
    gives, where `theirs` has BrokenPipeError."""
    if is_error(theirs) and theirs[0] == "BrokenPipeError":
        return ours in (theirs, ("SSLEOFError", 8, "EOF occurred in violation of protocol"), "end of stream")
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(ours) == len(theirs) \
            and not is_error(theirs):
        return all(eof_for_broken_pipe(mine, its) for mine, its in zip(ours, theirs))
    return ours == theirs



def known_difference(where, ours, theirs):
    """The KNOWN_DIFFERENCES entry that explains why `ours` differs from `theirs` at `where`, or
    None."""
    return next((label for label, shows in KNOWN_DIFFERENCES.items()
                 if shows(where, ours, theirs)), None)
