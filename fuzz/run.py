#!/usr/bin/env python3
"""Runs every atheris target in this directory, or replays its committed inputs.

    python3 fuzz/run.py --seconds 15          # CI's short run: each target 15 s (scripts/test)
    python3 fuzz/run.py --seconds 3600 -j 2   # the documented longer run (SECURITY.md)
    python3 fuzz/run.py --replay              # every seed and regression input once, no fuzzing
    python3 fuzz/run.py --seconds 60 fuzz_wrap_bio   # one target

fuzz_core is the Swift core's libFuzzer target (fuzz/swift/FuzzCore.swift), built by
fuzz/swift/build.sh into build/fuzz-core (rebuilt when a Swift source is newer) and run the same
way on the credentials and match_hostname seeds. The others are atheris targets: each runs as ``python fuzz_X.py -max_total_time=N -timeout=10 -rss_limit_mb=2048 CORPUS
fuzz/seeds/X fuzz/regressions/X`` with CORPUS a fresh temporary directory, so the committed seeds
are read, never rewritten. A crash (an unexpected exception, a trap, a signal) leaves its input
as ``crash-*`` in --artifacts (default: a temporary directory, printed) and makes the exit status
non-zero; copy it to fuzz/regressions/<target>/ and add a test. Prints, per target, the number of
executions libFuzzer reports.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = ["fuzz_credentials", "fuzz_match_hostname", "fuzz_wrap_bio", "fuzz_core"]
REPO_ROOT = os.path.dirname(HERE)
CORE_BINARY = os.path.join(REPO_ROOT, "build", "fuzz-core")
# The core target reads the seeds of the atheris targets whose inputs it also parses.
SEED_NAMES = {"fuzz_core": ["credentials", "match_hostname"]}


def input_directories(target):
    names = SEED_NAMES.get(target, [target[len("fuzz_"):]])
    return [path for name in names for kind in ("seeds", "regressions")
            for path in [os.path.join(HERE, kind, name)] if os.path.isdir(path)]


def core_binary():
    """build/fuzz-core, (re)built when missing or older than any Swift source it is made of."""
    sources = [os.path.join(HERE, "swift", "FuzzCore.swift")]
    core = os.path.join(REPO_ROOT, "Sources", "SwiftSSL")
    sources += [os.path.join(core, name) for name in os.listdir(core) if name.endswith(".swift")]
    if not os.path.exists(CORE_BINARY) or os.path.getmtime(CORE_BINARY) < max(map(os.path.getmtime, sources)):
        subprocess.run(["bash", os.path.join(HERE, "swift", "build.sh")], check=True)
    return CORE_BINARY


def fuzzer_command(target):
    if target == "fuzz_core":
        return [core_binary()]
    return [sys.executable, os.path.join(HERE, f"{target}.py")]


def fuzz(target, seconds, artifacts, jobs):
    with tempfile.TemporaryDirectory(prefix=f"swiftssl-{target}-") as corpus:
        command = [*fuzzer_command(target), f"-max_total_time={seconds}",
                   "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
                   f"-artifact_prefix={os.path.join(artifacts, target)}-", corpus, *input_directories(target)]
        if jobs > 1:
            command.insert(-1 - len(input_directories(target)), f"-fork={jobs}")
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   timeout=seconds + 300)
    runs = re.findall(r"Done (\d+) runs in (\d+) second", completed.stdout)
    executions = int(runs[-1][0]) if runs else sum(int(n) for n in re.findall(r"stat::number_of_executed_units:\s*(\d+)", completed.stdout))
    status = "ok" if completed.returncode == 0 else f"FAILED (exit {completed.returncode})"
    print(f"{target}: {executions} executions in ~{seconds} s: {status}", flush=True)
    if completed.returncode != 0:
        print(completed.stdout[-6000:])
    return completed.returncode == 0, executions


def replay(target):
    """Runs the target's function once on each committed input, in this process (the core
    target: its binary, given the files, runs each once)."""
    if target == "fuzz_core":
        files = [os.path.join(directory, name) for directory in input_directories(target)
                 for name in sorted(os.listdir(directory))]
        completed = subprocess.run([core_binary(), *files], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(f"{target}: replayed {len(files)} inputs: {'ok' if completed.returncode == 0 else 'FAILED'}", flush=True)
        if completed.returncode != 0:
            print(completed.stdout[-6000:])
        return completed.returncode == 0, len(files)
    sys.path.insert(0, HERE)
    module = __import__(target)
    count = 0
    for directory in input_directories(target):
        for name in sorted(os.listdir(directory)):
            with open(os.path.join(directory, name), "rb") as handle:
                module.test_one_input(handle.read())
            count += 1
    print(f"{target}: replayed {count} inputs: ok", flush=True)
    return True, count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", default=TARGETS)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--replay", action="store_true")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="libFuzzer -fork=N workers per target")
    parser.add_argument("--artifacts", default=None)
    arguments = parser.parse_args()
    artifacts = arguments.artifacts or tempfile.mkdtemp(prefix="swiftssl-fuzz-artifacts-")
    results = []
    for target in arguments.targets:
        if arguments.replay:
            results.append(replay(target))
        else:
            results.append(fuzz(target, arguments.seconds, artifacts, arguments.jobs))
    if not arguments.replay:
        print(f"artifacts (crash inputs, if any): {artifacts}")
    if not all(ok for ok, _ in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
