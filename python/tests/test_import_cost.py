"""``import swiftssl`` is lazy (issue #5: import time at most half of ``import ssl``).

The import itself loads nothing but the package's ``__init__``: not the native core (and with it
libssl), not ``_ssl``, not ``socket``, not the enums. Every name resolves on first use, to the
same objects as when everything loaded eagerly, whichever name comes first; the extension is
always set up (exception classes registered) before any of its functions can run. Each check runs
in a fresh interpreter, since this process has long since loaded swiftssl.
"""

import ssl as stdlib_ssl
import types

import pytest

import swiftssl
from child_support import run_child


# ssl.py's own imports that show up among its public names (README: "Not in swiftssl").
STDLIB_NAMES_LEFT_OUT = {"SOCK_STREAM", "SOL_SOCKET", "SO_TYPE", "create_connection", "namedtuple", "socket"}
# swiftssl's names that a given version's stdlib ssl lacks (3.12+ removed the legacy three; 3.12
# added the two OP_ names, 3.13 HAS_PSK, 3.14 HAS_PHA).
SWIFTSSL_EXTRAS = {"install", "wrap_socket", "match_hostname", "RAND_pseudo_bytes", "HAS_PSK", "HAS_PHA",
                   "OP_ENABLE_KTLS", "OP_LEGACY_SERVER_CONNECT"}


def run_fresh(program, timeout=60):
    """Runs `program` in a new interpreter that imports this swiftssl; returns its stdout."""
    result = run_child(program, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_loads_nothing_but_the_package():
    output = run_fresh("""
        import sys
        before = set(sys.modules)
        import swiftssl
        print(sorted(set(sys.modules) - before))
        print(sorted(name for name in ("_ssl", "socket", "swiftssl._swiftssl") if name in sys.modules))
        print(swiftssl.__version__, swiftssl.install.__module__)
    """)
    new_modules, heavy, eager = output.splitlines()
    assert new_modules == "['swiftssl']"
    assert heavy == "[]"
    assert eager == f"{swiftssl.__version__} swiftssl"


def test_dir_and_unknown_names_do_not_load_anything():
    output = run_fresh("""
        import sys
        import swiftssl
        names = dir(swiftssl)
        print(all(name in names for name in swiftssl.__all__), "_swiftssl" in names, "_context" in names)
        print(hasattr(swiftssl, "__wrapped__"), hasattr(swiftssl, "no_such_name"))
        print("swiftssl._swiftssl" in sys.modules, "_ssl" in sys.modules)
    """)
    assert output.split() == ["True", "True", "True", "False", "False", "False", "False"]


# Each entry point runs first in its own interpreter; the extension must be set up whichever it is.
FIRST_USES = {
    "constant": "swiftssl.CERT_REQUIRED",
    "class": "swiftssl.SSLContext",
    "function": "swiftssl.create_default_context",
    "memory_bio": "swiftssl.MemoryBIO().pending",
    "rand": "swiftssl.RAND_bytes(4)",
    "private_name": "swiftssl._create_default_https_context",
    "submodule_attribute": "swiftssl._context",
    "extension_from_import": "__import__('swiftssl', fromlist=['_swiftssl'])._swiftssl",
    "extension_absolute_import": "import swiftssl._swiftssl",
    "underscore_ssl_stand_in": "__import__('swiftssl._ssl')",
    "star_import": "exec('from swiftssl import *', {})",
    "load": "swiftssl.load()",
}


@pytest.mark.parametrize("first_use", sorted(FIRST_USES))
def test_first_use_sets_everything_up(first_use):
    output = run_fresh(f"""
        import sys
        import swiftssl
        {FIRST_USES[first_use]}
        # The core raises swiftssl's own classes: they were registered before any call.
        context = swiftssl._swiftssl._SSLContext(int(swiftssl.PROTOCOL_TLS_CLIENT))
        try:
            context._load_verify_locations(None, None, "broken")
        except swiftssl.SSLError as error:
            print("SSLError", type(error) is swiftssl.SSLError, isinstance(error, sys.modules["_ssl"].SSLError))
        print(swiftssl.SSLContext.sslsocket_class is swiftssl.SSLSocket,
              swiftssl.SSLContext.sslobject_class is swiftssl.SSLObject)
        print(swiftssl.CERT_REQUIRED is swiftssl.VerifyMode.CERT_REQUIRED is swiftssl._context.CERT_REQUIRED)
        print(swiftssl.MemoryBIO.__module__, swiftssl.MemoryBIO.__qualname__,
              swiftssl.RAND_bytes is swiftssl._swiftssl.RAND_bytes)
        context = swiftssl.create_default_context()
        tls = context.wrap_bio(swiftssl.MemoryBIO(), swiftssl.MemoryBIO(), server_hostname="example.org")
        try:
            tls.do_handshake()
        except swiftssl.SSLWantReadError:
            print("handshake wants to read")
        print(all(name in vars(swiftssl) for name in swiftssl.__all__))
    """)
    assert output.splitlines() == [
        "SSLError True True", "True True", "True", "swiftssl MemoryBIO True", "handshake wants to read",
        "True",
    ]


def test_concurrent_first_uses_get_the_same_objects():
    output = run_fresh("""
        import sys
        import threading
        import swiftssl

        names = ["SSLContext", "CERT_REQUIRED", "RAND_bytes", "_swiftssl", "MemoryBIO", "Purpose",
                 "create_default_context", "SSLError", "_context", "Options", "wrap_socket"]
        barrier = threading.Barrier(len(names))
        seen, failures = {}, []

        def touch(name):
            barrier.wait()
            try:
                seen[name] = getattr(swiftssl, name)
                swiftssl.SSLContext(swiftssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata="broken")
            except swiftssl.SSLError:
                pass
            except BaseException as error:
                failures.append(f"{name}: {error!r}")

        threads = [threading.Thread(target=touch, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(failures)
        print(all(seen[name] is getattr(swiftssl, name) for name in names))
        print(swiftssl.SSLContext.sslsocket_class is swiftssl.SSLSocket)
    """)
    assert output.splitlines() == ["[]", "True", "True"]


def test_install_then_import_ssl():
    output = run_fresh("""
        import sys
        import swiftssl
        swiftssl.install()
        import ssl
        print(ssl is swiftssl, "swiftssl._swiftssl" in sys.modules)
        from ssl import SSLContext, PROTOCOL_TLS_CLIENT
        import http.client
        import urllib.request
        print(SSLContext is swiftssl.SSLContext, type(http.client.ssl._create_default_https_context()).__name__)
    """)
    assert output.split() == ["True", "False", "True", "SSLContext"]


def test_star_import_gives_all_of_ssl_and_swiftssl_own_names():
    namespace = {}
    exec("from swiftssl import *", namespace)
    star = set(namespace) - {"__builtins__"}
    assert star == set(swiftssl.__all__)
    assert len(swiftssl.__all__) == len(star)  # no duplicates
    # __all__ is exactly what the package provides: every public name but load().
    public = {name for name in dir(swiftssl)
              if not name.startswith("_") and not isinstance(getattr(swiftssl, name), types.ModuleType)}
    assert public - {"load"} == star
    stdlib_public = {name for name, value in vars(stdlib_ssl).items()
                     if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert stdlib_public - STDLIB_NAMES_LEFT_OUT <= star
    assert star - stdlib_public <= SWIFTSSL_EXTRAS


def test_names_known_before_loading_are_the_names_loading_gives():
    # What __getattr__ and dir() know before the first use is what swiftssl._api provides after.
    swiftssl.load()
    exported = set(swiftssl._api._EXPORTS)
    assert exported - {"_swiftssl"} <= swiftssl._LAZY
    assert {name for name in exported if not name.startswith("_")} == set(swiftssl.__all__) - {"install"}
    missing = [name for name in swiftssl._LAZY if not hasattr(swiftssl, name)]
    assert missing == []
