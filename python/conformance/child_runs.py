"""What the two conformance runners share: running CPython's unittest modules in child processes.

A child records each test's outcome as a line of JSON (``RecordingResult``), flushed, so a crash
or a hang loses nothing reported before it; the parent starts children with a deadline
(``ChildRun``), reads their records back (``read_records``) and prints the last line of each
traceback (``last_line``). Both runners import this by path: they run with ``-P``, which keeps
their own directory off ``sys.path``.
"""

import argparse
import json
import os
import subprocess
import time
import unittest

OUTCOMES = ("passed", "failed", "errors", "skipped")


def install_swiftssl():
    """Makes ``import ssl`` and ``import _ssl`` give swiftssl and its ``_ssl`` stand-in, for
    everything imported afterwards."""
    import sys
    import swiftssl
    import swiftssl._ssl as shim
    swiftssl.install()
    sys.modules["_ssl"] = shim
    return swiftssl


class RecordingResult(unittest.TestResult):
    """Writes each test's final outcome as one JSON line; a test whose subtests failed reports
    the first such failure as its own."""

    def __init__(self, stream):
        super().__init__()
        self._stream = stream
        self._failed_subtests = {}

    def _record(self, test, outcome, detail=""):
        self._stream.write(json.dumps({"id": test.id(), "outcome": outcome,
                                       "detail": detail[-4000:]}) + "\n")
        self._stream.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        detail = self._failed_subtests.pop(test.id(), None)
        if detail is None:
            self._record(test, "passed")
        else:
            self._record(test, detail[0], detail[1])

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        # Errors in class or module fixtures arrive with a _ErrorHolder, not a TestCase.
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

    def stopTest(self, test):
        # A test whose subtests failed gets neither addSuccess nor addFailure: report it here.
        detail = self._failed_subtests.pop(test.id(), None)
        if detail is not None:
            self._record(test, detail[0], detail[1])
        super().stopTest(test)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None and test.id() not in self._failed_subtests:
            outcome = "failed" if issubclass(err[0], test.failureException) else "errors"
            self._failed_subtests[test.id()] = (
                outcome, f"{subtest}: " + self._exc_info_to_string(err, test))


def flatten(suite):
    """The test cases of a unittest suite, nested suites opened."""
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item


def run_recorded(tests, out):
    """Runs `tests` (a suite), appending one line listing their ids and then each outcome to
    the file `out`. A top-level TestSuite.run also runs setUpModule and the module cleanups."""
    with open(out, "a", encoding="utf-8") as stream:
        stream.write(json.dumps({"tests": [t.id() for t in tests]}) + "\n")
        stream.flush()
        unittest.TestSuite([tests]).run(RecordingResult(stream))


def read_records(path):
    """The ids a child said it would run, and the outcome records it wrote, by id."""
    tests, outcomes = [], {}
    try:
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if "tests" in record:
                    tests = record["tests"]
                else:
                    outcomes[record["id"]] = record
    except FileNotFoundError:
        pass
    return tests, outcomes


class ChildRun:
    """A child process with a deadline, its output kept in `log` (a binary file)."""

    def __init__(self, command, log, timeout):
        self.log = log
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        self.timed_out = False
        self.seconds = 0.0

    def poll(self):
        """True once the child has ended, or was killed at its deadline (``seconds`` is then
        how long it ran)."""
        if self.process.poll() is None:
            if time.monotonic() <= self.deadline:
                return False
            self.process.kill()
            self.process.wait()
            self.timed_out = True
        self.seconds = time.monotonic() - self.started
        return True

    def why(self):
        """Why a child reported less than it should have."""
        if self.timed_out:
            return "timed out"
        if self.process.returncode:
            return f"exited with status {self.process.returncode}"
        return "did not report"

    def output(self):
        """What the child printed (its last 4000 characters), closing the log."""
        self.log.seek(0)
        text = self.log.read().decode("utf-8", "replace")
        self.log.close()
        return text[-4000:]


def run_children(starters, jobs):
    """Calls each of `starters` (which start a ChildRun) with at most `jobs` running at once;
    yields each run as it finishes."""
    pending, running = list(starters), []
    while pending or running:
        while pending and len(running) < jobs:
            running.append(pending.pop(0)())
        time.sleep(0.05)
        for run in [r for r in running if r.poll()]:
            running.remove(run)
            yield run


def last_line(detail):
    """The most telling line of a traceback: its last non-empty one."""
    lines = [line.strip() for line in detail.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def argument_parser(description, unit):
    """The options both runners take; `unit` names what runs in one child ("class", "module")."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--stdlib", action="store_true", help="run on the stdlib ssl (baseline)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=300.0, help=f"seconds per {unit}")
    parser.add_argument("--verbose", action="store_true", help="print whole tracebacks")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser


def run_main(parser, argv, child, parent):
    """Parses `argv`; runs `child` in a child process (``--child``), else `parent`."""
    arguments = parser.parse_args(argv)
    return child(arguments) if arguments.child else parent(arguments)
