"""Runs a program in a fresh interpreter that imports the swiftssl under test (the one this
process imported, installed or from the source tree), for checks that need a new process: import
costs, subinterpreters, a crash that must not take pytest down.
"""

import os
import subprocess
import sys
import textwrap

import swiftssl

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(swiftssl.__file__)))
# This directory: a child given PYTHONPATH=TESTS_DIRECTORY imports the tests' support modules.
TESTS_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


def run_child(program, *, timeout=60, cwd=None, **environment):
    """`program` (dedented) under this interpreter with this swiftssl first on its path and
    `environment` added to ours, in directory `cwd` (ours if None); the CompletedProcess, text
    output captured."""
    env = dict(os.environ, **environment)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(program)], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=cwd)


# Debian's own interpreters where installed: built differently from pyenv's (OpenSSL's default
# suites), and with fixes of their own backported, so tests compare swiftssl with their stdlib.
SYSTEM_INTERPRETERS = ("/usr/bin/python3.11", "/usr/bin/python3.12", "/usr/bin/python3.13", "/usr/bin/python3")


def run_under(interpreter, program, directory, *arguments, **environment):
    """`program` (dedented) under another `interpreter` (3.11 or later) with only this swiftssl
    package added to its path (a link to it in `directory`), `environment` added to ours; the
    CompletedProcess, text output captured."""
    path = os.path.join(directory, "swiftssl-path")
    if not os.path.isdir(path):
        os.mkdir(path)
        os.symlink(os.path.dirname(os.path.abspath(swiftssl.__file__)), os.path.join(path, "swiftssl"))
    env = dict(os.environ, PYTHONPATH=path, **environment)
    return subprocess.run([interpreter, "-s", "-c", textwrap.dedent(program), *map(str, arguments)],
                          capture_output=True, text=True, env=env, timeout=60, cwd=directory)


def system_interpreter_where(probe):
    """The first of SYSTEM_INTERPRETERS, 3.11 or later, for which `probe` (a program) prints True,
    or None."""
    program = "import sys\nif sys.version_info >= (3, 11):\n" + textwrap.indent(textwrap.dedent(probe), "    ")
    for candidate in SYSTEM_INTERPRETERS:
        if os.access(candidate, os.X_OK):
            completed = subprocess.run([candidate, "-s", "-c", program], capture_output=True, text=True, timeout=30)
            if completed.stdout.strip() == "True":
                return candidate
    return None


def pki_environment(server_cert, root_ca):
    """A server's chain and key and the root that signed it, as PEM text in CHAIN_PEM, KEY_PEM and
    ROOT_PEM, for a child to read from memory."""
    return {"CHAIN_PEM": server_cert.chain_pem.decode(), "KEY_PEM": server_cert.key_pem.decode(),
            "ROOT_PEM": root_ca.cert_pem.decode()}
