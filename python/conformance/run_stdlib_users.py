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
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

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
class _RecordingResult(unittest.TestResult):
    """Writes each test's outcome as a JSON line, flushed, so a crash loses nothing before it."""

    def __init__(self, stream):
        super().__init__()
        self._stream = stream

    def _record(self, test, outcome, detail=""):
        self._stream.write(json.dumps({"id": test.id(), "outcome": outcome,
                                       "detail": detail[-4000:]}) + "\n")
        self._stream.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "errors", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, "passed", "expected failure")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "failed", "unexpected success")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            outcome = "failed" if issubclass(err[0], test.failureException) else "errors"
            self._record(subtest, outcome, self._exc_info_to_string(err, test))


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


def _child(arguments):
    if not arguments.stdlib:
        import swiftssl
        import swiftssl._ssl as shim
        swiftssl.install()
        sys.modules["_ssl"] = shim
    from test import support
    support.use_resources = []
    support.verbose = False
    import importlib
    module = importlib.import_module(arguments.child)
    if not arguments.stdlib and getattr(module, "ssl", None) not in (None, sys.modules["swiftssl"]):
        raise RuntimeError(f"{arguments.child} did not pick up swiftssl as ssl")
    tests = list(_flatten(unittest.defaultTestLoader.loadTestsFromModule(module)))
    if arguments.only:
        tests = [test for test in tests if test.id() in arguments.only]
    with open(arguments.out, "a", encoding="utf-8") as stream:
        # A top-level TestSuite.run also runs setUpModule and the module cleanups.
        unittest.TestSuite([unittest.TestSuite(tests)]).run(_RecordingResult(stream))
    return 0


# -- the parent: one subprocess per module, failures run again, a summary ------------------------
class _ModuleRun:
    def __init__(self, module, arguments, directory, only=()):
        self.module = module
        self.only = list(only)
        self.out = os.path.join(directory, f"{module}.{len(self.only)}.{time.monotonic_ns()}.jsonl")
        self.log = tempfile.TemporaryFile(dir=directory)
        command = [sys.executable, os.path.abspath(__file__), "--child", module, "--out", self.out]
        command += ["--stdlib"] if arguments.stdlib else []
        command += sum((["--only", test] for test in self.only), [])
        self.started = time.monotonic()
        self.deadline = self.started + arguments.timeout
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        self.timed_out = False

    def poll(self):
        if self.process.poll() is not None:
            return True
        if time.monotonic() > self.deadline:
            self.process.kill()
            self.process.wait()
            self.timed_out = True
            return True
        return False

    def records(self):
        """Each test's last outcome; a run that died or timed out adds one error for itself."""
        outcomes = {}
        try:
            with open(self.out, encoding="utf-8") as stream:
                for line in stream:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    outcomes[record["id"]] = record
        except FileNotFoundError:
            pass
        self.log.seek(0)
        log = self.log.read().decode("utf-8", "replace")
        self.log.close()
        if self.timed_out or self.process.returncode:
            why = "timed out" if self.timed_out else f"exited with status {self.process.returncode}"
            name = f"{self.module} (the run)"
            outcomes[name] = {"id": name, "outcome": "errors", "detail": f"{why}\n{log[-4000:]}"}
        reported = {test_id.split(" (", 1)[0] for test_id in outcomes}
        for test in set(self.only) - reported:  # a test asked for again that reported nothing
            outcomes[test] = {"id": test, "outcome": "errors", "detail": "no result"}
        return outcomes


def _run_all(runs, jobs):
    """Starts the (module, only) pairs `jobs` at a time; yields each finished run."""
    pending, running = list(runs), []
    while pending or running:
        while pending and len(running) < jobs:
            running.append(pending.pop(0)())
        time.sleep(0.05)
        for run in [r for r in running if r.poll()]:
            running.remove(run)
            yield run


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

        for run in _run_all([starter(module) for module in modules], arguments.jobs):
            records = run.records()
            every.update(records)
            counts = {o: sum(r["outcome"] == o for r in records.values())
                      for o in ("passed", "failed", "errors", "skipped")}
            print(f"  {run.module:32} " + ", ".join(f"{n} {o}" for o, n in counts.items())
                  + f"  [{time.monotonic() - run.started:.0f} s]", flush=True)
        again = {}  # test (a subtest's own test) -> its module
        for record in every.values():
            test = record["id"].split(" (", 1)[0]
            module = _module_of(test, modules)
            if record["outcome"] in FAILING and module:
                again[test] = module
        if again:
            print(f"\nrunning {len(again)} failing tests once more, each in a fresh process:")
            for run in _run_all([starter(module, [test]) for test, module in again.items()],
                                arguments.jobs):
                test = run.only[0]
                before = {i: every.pop(i) for i in list(every) if i.split(" (", 1)[0] == test}
                after = run.records()
                every.update(after)
                print(f"  {test}: {_worst(before.values())}, then {_worst(after.values())}")
    bad = sorted((r for r in every.values() if r["outcome"] in FAILING), key=lambda r: r["id"])
    for record in bad:
        detail = record["detail"] if arguments.verbose else _last_line(record["detail"])
        print(f"  {record['outcome']}: {record['id']}: {detail}")
    totals = {o: sum(r["outcome"] == o for r in every.values())
              for o in ("passed", "failed", "errors", "skipped")}
    print("\n" + ", ".join(f"{n} {o}" for o, n in totals.items()))
    return 1 if bad else 0


def _module_of(test_id, modules):
    """The module a test id belongs to (None for a run's own error record)."""
    matches = [m for m in modules if test_id.startswith(m + ".")]
    return max(matches, key=len) if matches and " " not in test_id else None


def _worst(records):
    """The outcome that sums up a test's records (its subtests' included)."""
    outcomes = {record["outcome"] for record in records}
    return next((o for o in ("errors", "failed", "passed", "skipped") if o in outcomes), "nothing")


def _last_line(detail):
    lines = [line.strip() for line in detail.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stdlib", action="store_true", help="run on the stdlib ssl (baseline)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per module")
    parser.add_argument("--module", action="append", default=[], help="run only this module")
    parser.add_argument("--verbose", action="store_true", help="print whole tracebacks")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--only", action="append", default=[], help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        return _child(arguments)
    return _parent(arguments)


if __name__ == "__main__":
    sys.exit(main())
