"""Shared plumbing for the atheris targets in this directory.

Each target module defines ``test_one_input(data: bytes)``, which must return normally or raise one
of the exceptions the API documents; anything else (another exception class, a Swift trap, a
segfault) is a finding. ``run(test_one_input)`` hands it to atheris/libFuzzer when the module is
run as a script; python/tests/test_fuzz_regressions.py imports the same function and replays every
committed seed and regression input without atheris.

Only swiftssl's Python layer is instrumented for coverage (atheris.instrument_imports); the Swift
core is not built with coverage instrumentation, so libFuzzer is guided by the Python paths and
by the seeds, which are real, valid inputs to mutate from (see make_seeds.py).
"""

import sys


def import_swiftssl():
    """``import swiftssl``, instrumented for coverage when atheris is present."""
    try:
        import atheris
    except ImportError:
        import swiftssl
        return swiftssl
    with atheris.instrument_imports(include=["swiftssl"]):
        import swiftssl
    return swiftssl


def run(test_one_input):
    """libFuzzer's main: ``python fuzz_x.py [libFuzzer flags] CORPUS_DIR [SEED_DIR...]``."""
    import atheris
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
