"""Records CPython 3.11's ``ssl.match_hostname`` outcomes into match_hostname_expected.json.

How the committed match_hostname_expected.json was made (from the repository root):

    PYENV_VERSION=3.11.7 python3 python/tests/data/record_expectations.py

It needs a Python that still has ``ssl.match_hostname`` (3.11 or older; 3.12 removed it) and
its ``test`` package (``Lib/test/test_ssl.py``); it needs neither swiftssl nor any third-party
package. For every case python/tests/test_match_hostname.py uses it calls the live
``ssl.match_hostname`` and writes down the outcome: ``{"ok": true}``, or the exception's
module, class name, ``args`` and ``str()``. The cases are:

* CPython's own: the (cert, hostname) calls ``test.test_ssl.BasicSocketTests.test_match_hostname``
  makes, in order, recorded by running that test against a recording ``ssl``;
* the hand-written lists in python/tests/match_hostname_cases.py;
* a fuzz corpus: FUZZ_CASE_COUNT cases drawn with ``random.Random(FUZZ_SEED)`` from the same
  alphabet as the hypothesis fuzz test (so that 3.12+, which cannot fuzz against a live oracle,
  still compares swiftssl with 3.11 on varied input).

The JSON holds one record a line: ``cert`` and ``hostname`` as their ``repr()`` (read back with
``ast.literal_eval``, which keeps tuples, bytes and NUL characters exact), ``used_by`` (which of
the three sources above use the case; a case is recorded once) and ``expected``.

On 3.11 the test suite runs the live ``ssl.match_hostname`` and asserts that it agrees with this
table, case by case, and that CPython's recorded case list is still what test_ssl calls, so the
table cannot drift. After changing a case list, re-run this script and commit its output.
"""

import json
import os
import platform
import ssl
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # python/tests, for match_hostname_cases

import match_hostname_cases as cases  # noqa: E402

FUZZ_SEED = 20240611
FUZZ_CASE_COUNT = 300


def main():
    if not hasattr(ssl, "match_hostname"):
        sys.exit(f"Python {platform.python_version()} has no ssl.match_hostname; run this with Python 3.11")
    warnings.simplefilter("ignore", DeprecationWarning)  # 3.11 deprecates match_hostname

    cpython_cases = cases.record_cpython_cases(ssl)
    if isinstance(cpython_cases, str):
        sys.exit(cpython_cases)
    fuzz_cases = cases.seeded_fuzz_cases(FUZZ_CASE_COUNT, FUZZ_SEED)

    records = {}  # case key -> record; insertion order: CPython's calls first, in call order
    for group, group_cases in (("cpython", cpython_cases), ("hand-written", cases.hand_written_cases()),
                               ("fuzz", fuzz_cases)):
        for cert, hostname in group_cases:
            key = cases.case_key(cert, hostname)
            if cases.parse_case(*key) != (cert, hostname):
                raise AssertionError(f"repr does not round-trip: {key}")
            if key not in records:
                records[key] = {"cert": key[0], "hostname": key[1], "used_by": [],
                                "expected": cases.describe_stdlib_outcome(
                                    lambda: ssl.match_hostname(cert, hostname))}
            if group not in records[key]["used_by"]:
                records[key]["used_by"].append(group)
    if [key for key, record in records.items() if "cpython" in record["used_by"]] != \
            [cases.case_key(*case) for case in cpython_cases]:
        raise AssertionError("CPython's test_match_hostname repeats a case; record its calls as a list")

    header = {
        "about": "CPython 3.11's ssl.match_hostname outcomes for every case python/tests/"
                 "test_match_hostname.py uses, one case a line; made by "
                 "python/tests/data/record_expectations.py (see its docstring). Do not edit by hand. "
                 "used_by 'cpython': called by CPython's test_ssl test_match_hostname (in this order).",
        "recorded_with": {"python": platform.python_version(), "implementation": platform.python_implementation(),
                          "openssl": ssl.OPENSSL_VERSION, "fuzz_seed": FUZZ_SEED,
                          "fuzz_case_count": FUZZ_CASE_COUNT},
    }
    with open(cases.EXPECTATIONS_PATH, "w", encoding="utf-8") as handle:
        handle.write("{\n")
        for name, value in header.items():
            handle.write(f" {json.dumps(name)}: {json.dumps(value, ensure_ascii=True)},\n")
        handle.write(' "outcomes": [\n')
        handle.write(",\n".join("  " + json.dumps(record, ensure_ascii=True) for record in records.values()))
        handle.write("\n ]\n}\n")
    with open(cases.EXPECTATIONS_PATH, encoding="utf-8") as handle:
        json.load(handle)  # well-formed
    print(f"{cases.EXPECTATIONS_PATH}: {len(records)} outcomes ({len(cpython_cases)} CPython calls, "
          f"{len(fuzz_cases)} fuzz cases, some repeated) from Python {platform.python_version()}")


if __name__ == "__main__":
    main()
