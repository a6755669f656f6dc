"""Runs CPython's own tests of the stdlib modules that use ``ssl`` with swiftssl standing in.

Usage::

    python python/conformance/run_stdlib_users.py [--stdlib] [--jobs N] [--timeout S]
                                                  [--module NAME ...] [--verbose]

ftplib (whose test server is asyncore, reading once per ``select()``), http.client,
urllib.request, imaplib, poplib, smtplib, asyncio's TLS transports and streams, logging's
handlers, http.server and xmlrpc: each test module runs in its own subprocess, as in
run_test_ssl.py, with ``sys.modules["ssl"]`` swiftssl and ``sys.modules["_ssl"]`` its ``_ssl``
shim before the module is imported, so both the module under test and its test servers use
swiftssl. Tests that fail or error are run once more, each in a fresh subprocess (as regrtest
``-w`` does for timing-sensitive tests); the job fails if any fails again. ``--stdlib`` runs the
same on the interpreter's own ``ssl``: the baseline, which passes everything.

The swiftssl that runs is whatever ``import swiftssl`` finds (run this file by path, and it is
the installed package). Resources follow regrtest's default (none enabled: no network tests).
"""

import argparse
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -P leaves it off
from child_runs import (  # noqa: E402
    OUTCOMES, ChildRun, argument_parser, flatten, install_swiftssl, last_line, read_records,
    run_children, run_main, run_recorded)

MODULES = [
    "test.test_ftplib",
    "test.test_httplib",
    "test.test_urllib2_localnet",
    "test.test_urllib2",
    "test.test_imaplib",
    "test.test_poplib",
    "test.test_smtplib",
    "test.test_asyncio.test_ssl",
    "test.test_asyncio.test_sslproto",
    "test.test_asyncio.test_events",
    "test.test_asyncio.test_streams",
    "test.test_logging",
    "test.test_httpservers",
    "test.test_xmlrpc",
]
FAILING = ("failed", "errors")


# -- the child: one module, one line of JSON per test ------------------------------------------
def _child(arguments):
    if not arguments.stdlib:
        install_swiftssl()
    from test import support
    support.use_resources = []
    support.verbose = False
    import importlib
    module = importlib.import_module(arguments.child)
    if not arguments.stdlib and getattr(module, "ssl", None) not in (None, sys.modules["swiftssl"]):
        raise RuntimeError(f"{arguments.child} did not pick up swiftssl as ssl")
    tests = list(flatten(unittest.defaultTestLoader.loadTestsFromModule(module)))
    if arguments.only:
        tests = [test for test in tests if test.id() in arguments.only]
    run_recorded(unittest.TestSuite(tests), arguments.out)
    return 0


# -- the parent: one subprocess per module, failures run again, a summary ------------------------
class _ModuleRun(ChildRun):
    def __init__(self, module, arguments, directory, only=()):
        self.module = module
        self.only = list(only)
        self.out = os.path.join(directory, f"{module}.{self.only[0] if self.only else 'all'}.jsonl")
        command = [sys.executable, os.path.abspath(__file__), "--child", module, "--out", self.out]
        command += ["--stdlib"] if arguments.stdlib else []
        command += sum((["--only", test] for test in self.only), [])
        super().__init__(command, tempfile.TemporaryFile(dir=directory), arguments.timeout)

    def records(self):
        """Each test's outcome; a test that never reported, or a run that died before it listed
        its tests, counts as an error."""
        tests, outcomes = read_records(self.out)
        why, log = self.why(), self.output()
        for test in tests or self.only:
            outcomes.setdefault(test, {"id": test, "outcome": "errors", "detail": why})
        if not tests and not outcomes:
            name = f"{self.module} (the run)"
            outcomes[name] = {"id": name, "outcome": "errors", "detail": f"{why}\n{log}"}
        return outcomes


def _parent(arguments):
    modules = arguments.module or MODULES
    label = "stdlib ssl" if arguments.stdlib else "swiftssl from " + os.path.dirname(
        __import__("swiftssl").__file__)
    print(f"CPython {sys.version.split()[0]}'s tests of {len(modules)} stdlib modules that use "
          f"ssl, with {label}, {arguments.jobs} at a time", flush=True)
    every = {}
    with tempfile.TemporaryDirectory(prefix="swiftssl-stdlib-users-") as directory:
        def starter(module, only=()):
            return lambda: _ModuleRun(module, arguments, directory, only)

        for run in run_children([starter(module) for module in modules], arguments.jobs):
            records = run.records()
            every.update(records)
            counts = {o: sum(r["outcome"] == o for r in records.values()) for o in OUTCOMES}
            print(f"  {run.module:32} " + ", ".join(f"{n} {o}" for o, n in counts.items())
                  + f"  [{run.seconds:.0f} s]", flush=True)
        again = [(r["id"], run_module) for r in every.values() if r["outcome"] in FAILING
                 for run_module in [_module_of(r["id"], modules)] if run_module]
        if again:
            print(f"\nrunning {len(again)} failing tests once more, each in a fresh process:")
            first = {test: every[test]["outcome"] for test, _ in again}
            for run in run_children([starter(module, [test]) for test, module in again],
                                    arguments.jobs):
                for test, record in run.records().items():
                    if test in first:
                        print(f"  {test}: {first[test]}, then {record['outcome']}")
                    every[test] = record
    bad = sorted((r for r in every.values() if r["outcome"] in FAILING), key=lambda r: r["id"])
    for record in bad:
        detail = record["detail"] if arguments.verbose else last_line(record["detail"])
        print(f"  {record['outcome']}: {record['id']}: {detail}")
    totals = {o: sum(r["outcome"] == o for r in every.values()) for o in OUTCOMES}
    print("\n" + ", ".join(f"{n} {o}" for o, n in totals.items()))
    return 1 if bad else 0


def _module_of(test_id, modules):
    """The module a test id belongs to (None for a run's own error record)."""
    matches = [m for m in modules if test_id.startswith(m + ".")]
    return max(matches, key=len) if matches and " " not in test_id else None


def main(argv=None):
    parser = argument_parser(__doc__.split("\n\n")[0], "module")
    parser.add_argument("--module", action="append", default=[], help="run only this module")
    parser.add_argument("--only", action="append", default=[], help=argparse.SUPPRESS)
    return run_main(parser, argv, _child, _parent)


if __name__ == "__main__":
    sys.exit(main())
