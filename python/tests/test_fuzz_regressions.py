"""Replays the fuzz targets' committed inputs (fuzz/seeds/*, fuzz/regressions/*) in-process.

The targets (fuzz/fuzz_*.py) define ``test_one_input``; a crash input found by fuzzing is copied
to fuzz/regressions/<target>/ and then runs here on every pytest run, with or without atheris.
fuzz_match_hostname decodes its input with atheris' FuzzedDataProvider, so it needs atheris
(scripts/test's fuzz step installs it and replays everything there too).
"""

import importlib
import os
import sys

import pytest

FUZZ = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "fuzz")
TARGETS = ["fuzz_credentials", "fuzz_wrap_bio", "fuzz_match_hostname"]


def committed_inputs(target):
    name = target[len("fuzz_"):]
    inputs = []
    for kind in ("seeds", "regressions"):
        directory = os.path.join(FUZZ, kind, name)
        if os.path.isdir(directory):
            inputs += [os.path.join(directory, entry) for entry in sorted(os.listdir(directory))]
    return inputs


@pytest.fixture(scope="module")
def fuzz_on_path():
    sys.path.insert(0, os.path.abspath(FUZZ))
    yield
    sys.path.remove(os.path.abspath(FUZZ))


@pytest.mark.parametrize("target", TARGETS)
def test_committed_fuzz_inputs_replay_cleanly(target, fuzz_on_path):
    if target == "fuzz_match_hostname":
        pytest.importorskip("atheris", reason="its inputs are decoded by atheris.FuzzedDataProvider")
    module = importlib.import_module(target)
    inputs = committed_inputs(target)
    assert inputs, f"no committed inputs for {target} (run fuzz/make_seeds.py)"
    for path in inputs:
        with open(path, "rb") as handle:
            module.test_one_input(handle.read())
