"""What test_server_differential.py draws: the settings of an example (Setup, drawn by SETUPS,
with the tables of SNI callback actions, version caps, ALPN lists and verify modes it draws from),
the steps a conversation is made of (MOVES, ENDINGS, STEPS, SOCKET_STEPS), how a conversation
opens (OPENINGS, HANDSHAKE, GARBAGE), and which steps are the server's or carry bytes."""

import dataclasses

from hypothesis import strategies as st


GARBAGE = [b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",  # plain HTTP to a TLS port
           b"\x16\x03\x01\xff\xff" + bytes(40),          # a handshake record too long to be one
           b"\x80\x2e\x01\x00\x02" + bytes(46),          # an SSLv2 ClientHello header
           bytes(7)]

# What the server's sni_callback does: None (no callback), or one of these.
SNI_ACTIONS = ["return None", "switch context",  # then the ones that fail the handshake:
               "raise", "return 40", "return 112", "return 0",
               "return 1000", "return 2**70", "return a str"]
SNI_RESULTS = {"return None": None, "return 40": 40, "return 112": 112, "return 0": 0,
               "return 1000": 1000, "return 2**70": 2**70, "return a str": "40"}
VERSION_CAPS = {"any": (None, None), "TLS 1.2 at most": (None, "TLSv1_2"), "TLS 1.3 only": ("TLSv1_3", None)}
ALPN_LISTS = [None, ["h2"], ["http/1.1"], ["h2", "http/1.1"], ["spdy/3"]]
VERIFY_MODES = ["CERT_NONE", "CERT_OPTIONAL", "CERT_REQUIRED"]


@dataclasses.dataclass(frozen=True)
class Setup:
    """The settings of one example, the same for both runs."""
    server_verify: str
    other_verify: str           # the verify_mode of the context the SNI callback may switch to
    client_certificate: str     # "none", "trusted" or "untrusted"
    server_versions: str
    client_versions: str
    server_alpn: list
    client_alpn: list
    sni_action: str
    server_post_handshake_auth: bool
    client_post_handshake_auth: bool
    server_hostname: str
    resume: bool                # the client first connects once and then resumes that session


# Weighted so that most handshakes complete and data flows: one in ten SNI callbacks fails the
# handshake on purpose, one client certificate in five is from an unknown CA.
SETUPS = st.builds(
    Setup,
    server_verify=st.sampled_from(VERIFY_MODES), other_verify=st.sampled_from(VERIFY_MODES),
    client_certificate=st.sampled_from(["none", "none", "trusted", "trusted", "untrusted"]),
    server_versions=st.sampled_from(["any", "any", *VERSION_CAPS]),
    client_versions=st.sampled_from(["any", "any", *VERSION_CAPS]),
    server_alpn=st.sampled_from(ALPN_LISTS), client_alpn=st.sampled_from(ALPN_LISTS),
    sni_action=st.sampled_from([None] * 6 + ["return None", "switch context", "switch context", "fail"])
    .flatmap(lambda action: st.sampled_from(SNI_ACTIONS[2:]) if action == "fail" else st.just(action)),
    server_post_handshake_auth=st.booleans(), client_post_handshake_auth=st.booleans(),
    server_hostname=st.sampled_from(["localhost", "localhost", None]),
    resume=st.integers(0, 3).map(lambda n: n == 0))

SIZE = st.integers(min_value=0, max_value=40_000)
DATA = st.integers(min_value=1, max_value=40_000)  # Hypothesis likes 0, which sends nothing
PIECE = st.integers(min_value=1, max_value=70_000)
MOVES = [
    st.tuples(st.just("client_sends"), DATA),   # write, everything to the server, it reads
    st.tuples(st.just("server_sends"), DATA),   # write, everything to the client, it reads
    st.tuples(st.just("client_write"), SIZE),
    st.tuples(st.just("server_write"), SIZE),
    st.tuples(st.just("to_server"), PIECE),
    st.tuples(st.just("to_client"), PIECE),
    st.just(("server_turn",)),                  # everything to the server, handshake, read
    st.just(("client_turn",)),
    st.just(("server_read",)),
    st.just(("server_handshake",)),
    st.just(("server_details",)),
    st.just(("verify_client_post_handshake",)),
]
ENDINGS = [
    st.just(("client_unwrap",)),
    st.just(("server_unwrap",)),
    st.tuples(st.just("corrupt_to_server"), st.integers(min_value=0, max_value=3_000)),
    st.tuples(st.just("corrupt_to_client"), st.integers(min_value=0, max_value=3_000)),
    st.just(("eof_to_server",)),
    st.just(("eof_to_client",)),
    st.tuples(st.just("garbage"), st.sampled_from(GARBAGE)),
]
# Moves four times as often as endings, and data sent whole both ways twice as often as any
# other move, so that about half the examples carry data before something ends them.
SENDS = MOVES[:2]
STEPS = st.lists(st.one_of(*((MOVES + SENDS) * 4), *ENDINGS), min_size=3, max_size=16)
SOCKET_STEPS = st.lists(st.one_of(*((MOVES + SENDS) * 4), *ENDINGS, st.just(("client_hangs_up",))),
                        min_size=3, max_size=16)
# How a conversation starts: with a complete handshake (and the tickets delivered), with nothing,
# or with garbage where the ClientHello should be.
OPENINGS = st.sampled_from(["handshake"] * 5 + ["nothing", "garbage"])
SERVER_OPERATIONS = {"server_handshake", "server_read", "server_write", "server_unwrap",
                     "verify_client_post_handshake", "server_details"}
# (The last server_turn completes a resumed TLS 1.2 handshake, where the client finishes last.)
HANDSHAKE = [("client_handshake",), ("server_turn",), ("client_turn",), ("server_turn",), ("client_turn",),
             ("server_turn",)]


# The steps whose outcomes count bytes in transit.
TRANSFERS = ("to_server", "to_client", "server_turn", "client_turn", "client_sends", "server_sends")
