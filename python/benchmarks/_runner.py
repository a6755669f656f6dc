"""Runs one sample of a row: the server and the client as separate processes over loopback."""

import compileall
import json
import os
import re
import shutil
import subprocess
import sys

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIR = os.path.join(PYTHON_DIR, "swiftssl")
EXTENSION = "_swiftssl.abi3.so"


def snapshot_package(fixtures, extension, strip_debug=False):
    """Copies the swiftssl package with `extension` as its native module into
    ``fixtures/package`` (``package-callgrind`` when `strip_debug`), so that a rebuild of the
    shared development copy cannot swap the library in the middle of a run. Returns the
    directory to put on ``PYTHONPATH``.

    Valgrind 3.19 cannot read the DWARF 5 that Swift 6 emits, hence the stripped variant."""
    root = os.path.join(fixtures, "package-callgrind" if strip_debug else "package")
    target = os.path.join(root, "swiftssl")
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    if strip_debug:
        subprocess.run(["strip", "--strip-debug", "-o", os.path.join(target, EXTENSION), extension], check=True)
    else:
        shutil.copy2(extension, os.path.join(target, EXTENSION))
    # As `pip install` does: without .pyc files (PYTHONDONTWRITEBYTECODE) every import of the
    # package would compile it, which the stdlib, shipped compiled, never pays.
    compileall.compile_dir(target, quiet=1)
    return root


def looks_like_release(extension):
    """A release build links the Swift runtime statically; a debug build needs libswiftCore.so."""
    with open(extension, "rb") as library:
        return b"libswiftCore.so" not in library.read()


def environment(fixtures, callgrind=False):
    """For every process of the suite, which runs in `fixtures`: with ``-m`` the working
    directory comes first on sys.path, and python/ would shadow the snapshot."""
    env = dict(os.environ)
    package = os.path.join(fixtures, "package-callgrind" if callgrind else "package")
    env["PYTHONPATH"] = os.pathsep.join([package, PYTHON_DIR, env.get("PYTHONPATH", "")])
    env["OPENSSL_CONF"] = os.path.join(fixtures, "openssl.cnf")
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


# The CPU each role runs on ({"client": 0, "server": 1}), or None to leave placement to the
# scheduler; set by __main__ (--no-pin). Pinned, the two ends never share a CPU and never migrate,
# so a sample does not depend on where the scheduler happened to put them.
PINNED_CPUS = None


def _worker(role, scenario, library, fixtures, parameters, port=None):
    command = [sys.executable, "-m", "benchmarks._worker", role, scenario, library, fixtures,
               json.dumps(parameters)]
    if port is not None:
        command.append(str(port))
    cpu = PINNED_CPUS and PINNED_CPUS[role]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=fixtures,
                            env=environment(fixtures),
                            preexec_fn=None if cpu is None else lambda: os.sched_setaffinity(0, {cpu}))


def client_server(scenario, library, fixtures, parameters, timeout=120):
    """Returns (server_result, client_result); a server that reports nothing gives None."""
    server = _worker("server", scenario, library, fixtures, parameters)
    try:
        line = server.stdout.readline()
        if not line.startswith("port "):
            raise RuntimeError(f"{scenario}/{library}: server did not start")
        client = _worker("client", scenario, library, fixtures, parameters, int(line.split()[1]))
        output, _ = client.communicate(timeout=timeout)
        if client.returncode != 0:
            raise RuntimeError(f"{scenario}/{library}: client failed ({client.returncode})")
        client_result = json.loads(output.strip().splitlines()[-1])
        server_result = None
        if scenario in ("bulk", "idle", "asyncio_bulk"):
            server_line = server.stdout.readline()
            server_result = json.loads(server_line)
            server.wait(timeout=timeout)
        return server_result, client_result
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()


def import_milliseconds(module, fixtures, runs):
    """The mean cumulative ``-X importtime`` of `module` over `runs` fresh interpreters, in ms."""
    total = 0
    for _ in range(runs):
        result = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                                capture_output=True, text=True, cwd=fixtures, env=environment(fixtures),
                                check=True)
        pattern = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| " + re.escape(module) + r"$")
        for line in result.stderr.splitlines():
            match = pattern.match(line)
            if match:
                total += int(match.group(1))
                break
        else:
            raise RuntimeError(f"no importtime line for {module}")
    return total / runs / 1000


def first_use_milliseconds(module, fixtures, runs):
    """The mean wall-clock time, in ms, of ``import module; module.create_default_context()`` in
    `runs` fresh interpreters, timed with ``time.perf_counter`` inside each: what the import and
    the first real use cost together, whatever the import leaves for later."""
    code = (f"import time\nstart = time.perf_counter()\nimport {module}\n{module}.create_default_context()\n"
            "print((time.perf_counter() - start) * 1000)")
    total = 0.0
    for _ in range(runs):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                cwd=fixtures, env=environment(fixtures), check=True)
        total += float(result.stdout.strip().splitlines()[-1])
    return total / runs
