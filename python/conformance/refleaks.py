"""Hunts reference leaks test by test, as regrtest's ``-R`` does, under a debug interpreter.

Usage (from ``scripts/pydebug``, under python3.11-dbg with a swiftssl built against its headers)::

    python refleaks.py [--stdlib] [--baseline FILE] [--module test.test_ssl] [--match TEXT] [--runs N]

Each test of the module (CPython's test_ssl by default, with swiftssl standing in for ``ssl`` as
run_test_ssl.py arranges) runs twice to warm caches, then ``--runs`` more times with the total
reference count (``sys.gettotalrefcount``) and the allocated blocks read after each, a cycle
collection first. A test whose reference count grows on every measured run but the first is
printed as ``LEAK?`` with the growth per run (blocks alone grow by one or two in both libraries
as caches fill, so they are shown, not judged). ``--stdlib`` gives the same module's verdicts
with the stdlib ``ssl``; ``--baseline FILE`` (that run's output) leaves out of the count what the
stdlib shows too, the test's or CPython's own growth. Tests that do
not pass are not measured. Prints ``N tests, M measured, K suspects`` last; exit 1 when K > 0.
"""

import argparse
import gc
import importlib
import os
import sys
import unittest
from array import array

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from child_runs import flatten, install_swiftssl  # noqa: E402


def _passes(test):
    result = unittest.TestResult()
    test(result)
    return result.wasSuccessful() and not result.skipped


class _Meter:
    """Reads the counts into preallocated arrays, so that reading them allocates nothing that
    lives on (a list of ints would grow the very counts it records)."""

    def __init__(self, runs):
        self.runs = runs
        self.references = array("q", [0] * (runs + 1))
        self.blocks = array("q", [0] * (runs + 1))

    def _sample(self, index):
        gc.collect()
        gc.collect()
        self.references[index] = sys.gettotalrefcount()
        self.blocks[index] = sys.getallocatedblocks()

    def growth(self, test):
        """Per-run growth of references and of blocks over `runs` runs of `test`."""
        self._sample(0)
        for index in range(1, self.runs + 1):
            _passes(test)
            self._sample(index)
        return ([self.references[i] - self.references[i - 1] for i in range(1, self.runs + 1)],
                [self.blocks[i] - self.blocks[i - 1] for i in range(1, self.runs + 1)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stdlib", action="store_true", help="the stdlib ssl: the baseline")
    parser.add_argument("--module", default="test.test_ssl")
    parser.add_argument("--match", default="", help="only tests whose id contains this")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", metavar="FILE",
                        help="the output of a --stdlib run: suspects it has too are not counted")
    arguments = parser.parse_args()
    if not hasattr(sys, "gettotalrefcount"):
        parser.error("needs a debug interpreter (python3.11-dbg): this one does not count references")
    if not arguments.stdlib:
        install_swiftssl()
    from test import support
    support.verbose = False
    module = importlib.import_module(arguments.module)
    if not arguments.stdlib and getattr(module, "ssl", None) is not None and module.ssl.__name__ != "swiftssl":
        raise SystemExit(f"{arguments.module} did not pick up swiftssl as ssl")
    tests = [test for test in flatten(unittest.defaultTestLoader.loadTestsFromModule(module))
             if arguments.match in test.id()]
    if hasattr(module, "setUpModule"):
        module.setUpModule()
    baseline = set()
    if arguments.baseline:
        with open(arguments.baseline, encoding="utf-8") as stream:
            baseline = {line.split()[1].rstrip(":") for line in stream if line.startswith("LEAK? ")}
    meter = _Meter(arguments.runs)
    measured = suspects = 0
    for test in tests:
        if not (_passes(test) and _passes(test)):
            continue
        measured += 1
        references, blocks = meter.growth(test)
        if all(growth > 0 for growth in references[1:]):
            shared = test.id() in baseline
            suspects += not shared
            print(f"LEAK? {test.id()}: references {references} blocks {blocks}"
                  + (" (as with the stdlib: not counted)" if shared else ""), flush=True)
    label = "stdlib ssl" if arguments.stdlib else "swiftssl"
    print(f"{len(tests)} tests, {measured} measured, {suspects} suspects ({label})")
    return 1 if suspects else 0


if __name__ == "__main__":
    sys.exit(main())
