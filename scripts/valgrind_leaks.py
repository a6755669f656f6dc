#!/usr/bin/env python3
"""Fails when a valgrind memcheck log shows a leak or a memory error in swiftssl's own code.

    python3 scripts/valgrind_leaks.py LOG [--show-all]

LOG is what `valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible
--num-callers=40 --fullpath-after=REPO/ --log-file=LOG` wrote (scripts/valgrind-swift-tests runs
it). A record is the project's when one of its frames is the project's: a Swift symbol of the
SwiftSSL module (mangled `$s8SwiftSSL...`, or an extension `$sSa8SwiftSSLE...`; demangled
`SwiftSSL.`), or a source file under Sources/. The test module (SwiftSSLTests) is not the project.

It exits 1 when
- a "definitely lost", "indirectly lost" or "possibly lost" record has a project frame, unless the
  block was allocated by the Swift runtime's metadata and conformance caches on the project's behalf
  (swift_getWitnessTable, swift_getGenericMetadata, their ConcurrentReadableHashMap...: allocated
  once per type for the life of the process, reported as "possibly lost" because the runtime keeps
  interior pointers);
- an error record (invalid read or write, use of an uninitialised value, invalid or mismatched free,
  overlapping copy, ...) has a project frame anywhere in it (its stack, or where the block was
  allocated or freed);
- valgrind stopped reporting errors (its error limit), so the log cannot vouch for anything.
Everything else (XCTest's, Foundation's, libdispatch's and the Swift runtime's one-time
allocations) is counted in the summary but does not fail. It exits 2 when the log is unreadable or
incomplete (no "ERROR SUMMARY": valgrind or the tests died first), 0 otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import shutil
import subprocess
import sys

PREFIX = re.compile(r"^==(\d+)== ?(.*)$")
LEAK_HEADER = re.compile(
    r"^([\d,]+)(?: \(([\d,]+) direct, ([\d,]+) indirect\))? bytes in ([\d,]+) blocks are "
    r"(definitely|indirectly|possibly) lost in loss record ([\d,]+) of ([\d,]+)$")
FRAME = re.compile(r"^\s*(?:at|by) 0x[0-9A-Fa-f]+: (.*)$")
ERROR_SUMMARY = re.compile(r"^ERROR SUMMARY: ([\d,]+) errors? from ([\d,]+) contexts?")
# Printed before an error when it comes from another thread than the previous one.
THREAD = re.compile(r"^Thread \d+( .*)?:$")
ERROR_LIMIT = re.compile(r"I'm not reporting any more|Final error counts will be inaccurate")

PROJECT_FRAME = re.compile(
    r"\$s8SwiftSSL(?=[\dA-Z_])"             # a symbol of the SwiftSSL module
    r"|\$sS[a-zA-Z]8SwiftSSLE"              # an extension of a standard library type in SwiftSSL
    r"|(?<![\w.$])SwiftSSL\.(?=\w)"         # demangled
    r"|(?:^|[\s(/])Sources/")               # debug info: a file under Sources/ (--fullpath-after)
# Swift runtime caches that allocate on behalf of whatever code first asks for a type's metadata or
# a conformance, once per type for the whole process.
RUNTIME_CACHE_FRAME = re.compile(
    r"swift_getWitnessTable|swift_getAssociated\w*|_?swift_(?:get|init|allocate|instantiate)\w*Metadata"
    r"|swift_conformsToProtocol|swift_getTypeByMangled\w*"
    r"|swift::(?:ConcurrentReadableHashMap|StableAddressConcurrentReadableHashMap|LockingConcurrentMap"
    r"|MetadataAllocator|TaggedMetadataAllocator|MetadataCache)")
KINDS = ("definitely", "indirectly", "possibly")
# Order of the failing records in the output: the leaks that own others first.
SEVERITY = ("definitely", None, "possibly", "indirectly")


@dataclasses.dataclass
class Record:
    pid: str
    lines: list[str]
    kind: str | None = None  # "definitely"/"indirectly"/"possibly" lost, or None for an error record
    bytes: int = 0           # for "definitely lost": the direct bytes (indirect ones have records too)

    @property
    def frames(self) -> list[str]:
        return [match.group(1) for line in self.lines if (match := FRAME.match(line))]

    def project_frames(self) -> list[str]:
        return [frame for frame in self.frames if PROJECT_FRAME.search(frame)]

    def allocated_by_runtime_cache(self) -> bool:
        """True when a Swift runtime cache frame lies between the allocator and the first project frame."""
        for frame in self.frames:
            if PROJECT_FRAME.search(frame):
                return False
            if RUNTIME_CACHE_FRAME.search(frame):
                return True
        return False


@dataclasses.dataclass
class Report:
    records: list[Record]
    error_summaries: list[str]
    error_limit_reached: bool
    pids: list[str]


def number(text: str) -> int:
    return int(text.replace(",", ""))


def parse(text: str) -> Report:
    """Splits the log into blank-line separated blocks per process and keeps leak and error records."""
    blocks: dict[str, list[list[str]]] = {}
    current: dict[str, list[str]] = {}
    summaries: list[str] = []
    limit = False
    for raw in text.splitlines():
        match = PREFIX.match(raw)
        if not match:
            continue
        pid, body = match.groups()
        if ERROR_SUMMARY.match(body):
            summaries.append(body)
        if ERROR_LIMIT.search(body):
            limit = True
        if body.strip():
            current.setdefault(pid, []).append(body)
        elif current.get(pid):
            blocks.setdefault(pid, []).append(current.pop(pid))
    for pid, lines in current.items():
        if lines:
            blocks.setdefault(pid, []).append(lines)
    records = []
    for pid, pid_blocks in blocks.items():
        for lines in pid_blocks:
            while lines and THREAD.match(lines[0]):
                lines = lines[1:]
            if not lines:
                continue
            leak = LEAK_HEADER.match(lines[0])
            if leak:
                total, direct = number(leak.group(1)), leak.group(2)
                kind = leak.group(5)
                size = number(direct) if (kind == "definitely" and direct is not None) else total
                records.append(Record(pid, lines, kind, size))
            elif any(FRAME.match(line) for line in lines[1:]) and not lines[0].endswith("SUMMARY:"):
                records.append(Record(pid, lines))
    return Report(records, summaries, limit, sorted(blocks))


def trimmed(record: Record, after: int = 2) -> list[str]:
    """The record's lines up to `after` frames past its last project frame (its callers are the tests)."""
    last = max(index for index, line in enumerate(record.lines)
               if FRAME.match(line) and PROJECT_FRAME.search(line))
    end = min(len(record.lines), last + 1 + after)
    rest = sum(1 for line in record.lines[end:] if FRAME.match(line))
    kept = record.lines[:end] + [line for line in record.lines[end:] if not FRAME.match(line)]
    return kept + ([f"   ... {rest} more frames"] if rest else [])


def demangle(text: str) -> str:
    """Swift symbols made readable by swift-demangle when it is around; the text unchanged otherwise."""
    tool = shutil.which("swift-demangle")
    if not tool:
        return text
    try:
        return subprocess.run([tool, "--simplified"], input=text, capture_output=True, text=True,
                              check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", help="valgrind --log-file output")
    parser.add_argument("--show-all", action="store_true",
                        help="also print every record that does not fail the check")
    parser.add_argument("--max-shown", type=int, default=5, help="failing records printed (default 5)")
    arguments = parser.parse_args(argv)
    try:
        with open(arguments.log, encoding="utf-8", errors="replace") as file:
            report = parse(file.read())
    except OSError as error:
        print(f"valgrind_leaks: cannot read {arguments.log}: {error}", file=sys.stderr)
        return 2

    failing: list[tuple[str, Record]] = []
    tolerated: list[Record] = []
    totals = {kind: [0, 0] for kind in KINDS}          # bytes, records
    project = {kind: [0, 0] for kind in KINDS}
    runtime_cache = [0, 0]
    errors = [record for record in report.records if record.kind is None]
    for record in report.records:
        if record.kind is not None:
            totals[record.kind][0] += record.bytes
            totals[record.kind][1] += 1
        if not record.project_frames():
            tolerated.append(record)
        elif record.kind is None:
            failing.append(("memory error in project code", record))
        elif record.allocated_by_runtime_cache():
            runtime_cache[0] += record.bytes
            runtime_cache[1] += 1
            tolerated.append(record)
        else:
            project[record.kind][0] += record.bytes
            project[record.kind][1] += 1
            failing.append((f"{record.kind} lost in project code", record))

    failing.sort(key=lambda item: (SEVERITY.index(item[1].kind), -item[1].bytes))
    shown = failing if arguments.show_all else failing[:arguments.max_shown]
    if shown:
        print(f"Records with project frames, worst first ({len(shown)} of {len(failing)} printed; "
              f"all are in {arguments.log}):\n")
        print(demangle("\n\n".join(f"[{reason}] (pid {record.pid})\n" + "\n".join(trimmed(record))
                                    for reason, record in shown)))
        print()
        groups: dict[tuple[str, str], list[int]] = {}
        for reason, record in failing:
            group = groups.setdefault((reason, record.project_frames()[0]), [0, 0])
            group[0] += 1
            group[1] += record.bytes
        print("Where they come from (first project frame on the stack), worst first:")
        lines = [f"  {reason}: {count} record{'s' * (count != 1)}, {size:,} bytes, {frame}"
                 for (reason, frame), (count, size) in list(groups.items())[:20]]
        print(demangle("\n".join(lines)))
        if len(groups) > 20:
            print(f"  ... and {len(groups) - 20} more places")
        print()
    if arguments.show_all and tolerated:
        print("Not failing (no project frame, or a Swift runtime cache):")
        print(demangle("\n\n".join("\n".join(record.lines) for record in tolerated)))
        print()

    print(f"valgrind leak check of {arguments.log} (pid {', '.join(report.pids) or 'none'}):")
    for kind in KINDS:
        print(f"  {kind + ' lost:':17} {totals[kind][0]:>8,} bytes in {totals[kind][1]:>4} records;"
              f" from project code {project[kind][0]:,} bytes in {project[kind][1]} records")
    if runtime_cache[1]:
        print(f"  not counted: {runtime_cache[0]:,} bytes in {runtime_cache[1]} records with project frames,"
              " allocated by the Swift runtime's metadata/conformance caches")
    project_errors = sum(1 for reason, _ in failing if reason.startswith("memory error"))
    print(f"  errors: {len(errors)} contexts that are not leaks, {project_errors} with project frames"
          f" ({'; '.join(report.error_summaries) or 'no ERROR SUMMARY'})")

    if not report.error_summaries:
        print("valgrind_leaks: FAILED: the log has no ERROR SUMMARY (valgrind or the tests died before the end)",
              file=sys.stderr)
        return 2
    verdict = 0
    if report.error_limit_reached:
        print("valgrind_leaks: FAILED: valgrind reached its error limit and stopped reporting", file=sys.stderr)
        verdict = 1
    if failing:
        print(f"valgrind_leaks: FAILED: {len(failing)} records with project frames (printed above)",
              file=sys.stderr)
        verdict = 1
    if verdict == 0:
        print("valgrind_leaks: ok, no leak and no memory error in project code")
    return verdict


if __name__ == "__main__":
    sys.exit(main())
