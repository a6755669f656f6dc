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


def pki_environment(server_cert, root_ca):
    """A server's chain and key and the root that signed it, as PEM text in CHAIN_PEM, KEY_PEM and
    ROOT_PEM, for a child to read from memory."""
    return {"CHAIN_PEM": server_cert.chain_pem.decode(), "KEY_PEM": server_cert.key_pem.decode(),
            "ROOT_PEM": root_ca.cert_pem.decode()}
