"""Runs the interpreter's own ``Lib/test/test_ssl.py`` with swiftssl standing in for ``ssl``.

Usage::

    python python/conformance/run_test_ssl.py [--stdlib] [--jobs N] [--timeout S]
                                              [--class NAME ...] [--verbose] [--min-passed N]

Each ``unittest.TestCase`` class of test_ssl runs in its own subprocess, so a crash or a hang
costs that class only (its unreported tests count as errors), and the per-class results are
printed followed by one line ``N passed, F failed, E errors, S skipped``. ``--stdlib`` runs the
same classes on the interpreter's own ``ssl``: the baseline swiftssl is measured against.

How swiftssl stands in: before test_ssl (and ``http.client``, ``urllib.request``,
``test.ssl_servers`` …) is imported, ``sys.modules["ssl"]`` is swiftssl and ``sys.modules["_ssl"]``
is ``swiftssl._ssl``, swiftssl's module object with the ``_ssl``-level names test_ssl reads.
The swiftssl that runs is whatever ``import swiftssl`` finds: run this file by path (not with
``-m`` from ``python/``) and it is the installed package.

Resources follow regrtest's default (none enabled: no network tests), unless ``--use`` says more.
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -P leaves it off
from child_runs import (  # noqa: E402
    OUTCOMES, ChildRun, argument_parser, install_swiftssl, last_line, read_records, run_children,
    run_main, run_recorded)


# -- the child: one test class, results to a JSON-lines file --------------------------------
def _load_test_ssl(use_stdlib, resources):
    if not use_stdlib:
        install_swiftssl()
    from test import support
    support.use_resources = list(resources)
    support.verbose = False
    import test.test_ssl as test_ssl
    if not use_stdlib:
        import swiftssl
        if test_ssl.ssl is not swiftssl:
            raise RuntimeError("test_ssl did not pick up swiftssl as ssl")
    return test_ssl


def _child(arguments):
    module = _load_test_ssl(arguments.stdlib, arguments.use)
    test_class = getattr(module, arguments.child)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(test_class)
    if arguments.only:
        suite = unittest.TestSuite(t for t in suite if t.id().rsplit(".", 1)[1] in arguments.only)
    run_recorded(suite, arguments.out)
    return 0


# -- the parent: one subprocess per class, a summary ----------------------------------------
def _child_command(arguments, extra):
    command = [sys.executable, os.path.abspath(__file__)]
    if arguments.stdlib:
        command.append("--stdlib")
    for resource in arguments.use:
        command += ["--use", resource]
    return command + extra


def _list_classes():
    """The TestCase classes of test_ssl.py, read from its source so that a module which fails
    to import (the very thing under test) still shows up, as errors, class by class."""
    import ast
    import importlib.util
    path = importlib.util.find_spec("test.test_ssl").origin
    with open(path, encoding="utf-8") as stream:
        tree = ast.parse(stream.read(), path)
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base) in ("unittest.TestCase", "TestCase") for base in node.bases):
            methods = [item.name for item in node.body
                       if isinstance(item, ast.FunctionDef) and item.name.startswith("test")]
            if methods:
                classes[node.name] = methods
    return classes


class _ClassRun(ChildRun):
    def __init__(self, name, arguments, directory, methods):
        self.name = name
        self.methods = [m for m in methods if not arguments.only or m in arguments.only]
        self.out = os.path.join(directory, name + ".jsonl")
        command = _child_command(arguments, ["--child", name, "--out", self.out]
                                 + sum((["--only", t] for t in arguments.only), []))
        super().__init__(command, open(os.path.join(directory, name + ".log"), "w+b"),
                         arguments.timeout)

    def summarize(self):
        tests, outcomes = read_records(self.out)
        why, log = self.why(), self.output()
        records = dict(outcomes)
        for test_id in tests:
            records.setdefault(test_id, {"id": test_id, "outcome": "errors", "detail": why})
        if not tests and not outcomes:
            # The class never started (import failure, crash in setUpModule...): each of its
            # declared tests counts as an error.
            for method in self.methods or ["(class)"]:
                test_id = f"test.test_ssl.{self.name}.{method}"
                records[test_id] = {"id": test_id, "outcome": "errors", "detail": f"{why}\n{log}"}
        return records


def _parent(arguments):
    declared = _list_classes()
    classes = arguments.test_class or list(declared)
    if arguments.stdlib:
        label = "stdlib ssl"
    else:
        import swiftssl
        label = f"swiftssl from {os.path.dirname(swiftssl.__file__)}"
    print(f"test_ssl.py of CPython {sys.version.split()[0]} with {label}: "
          f"{len(classes)} classes, {arguments.jobs} at a time", flush=True)
    totals = dict.fromkeys(OUTCOMES, 0)
    every = {}
    with tempfile.TemporaryDirectory(prefix="swiftssl-conformance-") as directory:
        starters = [lambda name=name: _ClassRun(name, arguments, directory, declared.get(name, []))
                    for name in classes]
        for run in run_children(starters, arguments.jobs):
            records = run.summarize()
            counts = dict.fromkeys(OUTCOMES, 0)
            for record in records.values():
                counts[record["outcome"]] += 1
            every.update(records)
            for outcome in OUTCOMES:
                totals[outcome] += counts[outcome]
            note = " (timed out)" if run.timed_out else ""
            print(f"  {run.name:28} " + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES)
                  + f"  [{run.seconds:.0f} s]{note}", flush=True)
    bad = [r for r in every.values() if r["outcome"] in ("failed", "errors")]
    if bad:
        print("\nnot passing:")
        for record in sorted(bad, key=lambda r: r["id"]):
            first = last_line(record["detail"]) if not arguments.verbose else record["detail"]
            print(f"  {record['outcome'][:-1] if record['outcome'] == 'errors' else 'fail'}: "
                  f"{record['id'].replace('test.test_ssl.', '')}: {first}")
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as stream:
            json.dump({r["id"]: r["outcome"] for r in every.values()}, stream, indent=1,
                      sort_keys=True)
    print(f"\n{totals['passed']} passed, {totals['failed']} failed, {totals['errors']} errors, "
          f"{totals['skipped']} skipped")
    if arguments.min_passed is not None and totals["passed"] < arguments.min_passed:
        print(f"error: {totals['passed']} passed is below the threshold of {arguments.min_passed}",
              file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    parser = argument_parser(__doc__.split("\n\n")[0], "class")
    parser.add_argument("--class", dest="test_class", action="append", default=[],
                        help="run only this class (repeatable)")
    parser.add_argument("--only", action="append", default=[], help="run only this test method")
    parser.add_argument("--use", action="append", default=[], help="enable a test resource")
    parser.add_argument("--json", help="write every test's outcome to this file")
    parser.add_argument("--min-passed", type=int, help="exit 1 if fewer tests pass")
    return run_main(parser, argv, _child, _parent)


if __name__ == "__main__":
    sys.exit(main())
