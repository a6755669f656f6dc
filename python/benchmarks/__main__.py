"""``python3 -m benchmarks [--quick] [--rows SUBSTRING ...] [--no-callgrind]`` from ``python/``."""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

from . import _callgrind, _fixtures, _runner

LIBRARIES = ("swiftssl", "ssl")


class Row:
    """One line of the table: how to take a sample, its unit, and the bar on swiftssl/ssl (None
    for an informational row, shown with "—")."""

    def __init__(self, label, unit, sample, bar, higher_is_better=True, rounds_factor=1):
        self.label, self.unit, self.sample, self.bar = label, unit, sample, bar
        self.higher_is_better = higher_is_better
        self.rounds_factor = rounds_factor

    def holds(self, ratio):
        return ratio >= self.bar if self.higher_is_better else ratio <= self.bar

    def verdict(self, ratio):
        """The bar and holds columns."""
        if self.bar is None:
            return "— | — |"
        comparison = ">=" if self.higher_is_better else "<="
        return f"{comparison} {self.bar:g} | {'yes' if self.holds(ratio) else '**no**'} |"


def _rows(seconds, connections, import_runs):
    def bulk(size, sendfile=False, scenario="bulk"):
        def sample(library, fixtures):
            server, client = _runner.client_server(scenario, library, fixtures,
                                                   {"size": size, "seconds": seconds, "sendfile": sendfile})
            if server["cipher"] != _fixtures.BULK_CIPHER:
                raise RuntimeError(f"bulk ran over {server['cipher']}, not {_fixtures.BULK_CIPHER}")
            if not sendfile:
                name = f"{size // 1024} KiB writes" + (", asyncio streams" if scenario != "bulk" else "")
                BULK_CPU.setdefault(name, {}).setdefault(library, []).append(
                    (client["cpu_seconds"] / client["sent"] * 1e9, server["cpu_seconds"] / server["bytes"] * 1e9))
            return server["bytes"] / server["seconds"] / 1e6
        return sample

    def per_second(scenario, **parameters):
        def sample(library, fixtures):
            _, client = _runner.client_server(scenario, library, fixtures, dict(parameters, seconds=seconds))
            return client["per_second"]
        return sample

    def idle(side):
        def sample(library, fixtures):
            server, client = _runner.client_server("idle", library, fixtures,
                                                   {"count": connections, "warmup": 5})
            return (server if side == "server" else client)["kib_per_connection"]
        return sample

    def import_time(library, fixtures):
        return _runner.import_milliseconds(library, fixtures, import_runs)

    def first_use(library, fixtures):
        return _runner.first_use_milliseconds(library, fixtures, import_runs)

    rows = [Row(f"bulk {name} writes, TLS 1.3 AES-128-GCM", "MB/s", bulk(size), bar)
            for name, size, bar in (("1 KiB", 1024, 1.0), ("16 KiB", 16384, 1.5), ("256 KiB", 262144, 1.5))]
    # Informational: socket.sendfile() of a 64 MiB file over TLS (CPython reads and sends 8 KiB
    # blocks in Python; swiftssl reads and sends a regular file natively).
    rows += [Row("bulk sendfile() of a 64 MiB file, TLS 1.3 AES-128-GCM", "MB/s",
                 bulk(64 << 20, sendfile=True), None)]
    # Informational: asyncio streams with the library's SSLContext. asyncio makes the stdlib's
    # MemoryBIOs, so swiftssl relays between those and its own (SSLObject, _BIOBridge).
    rows += [Row("bulk asyncio streams, 256 KiB writes (asyncio's stdlib MemoryBIOs)", "MB/s",
                 bulk(262144, scenario="asyncio_bulk"), None)]
    rows += [Row(f"full handshakes, TLS {version}, {name}", "/s",
                 per_second("handshakes", version=version, key=key), 1.0)
             for version in ("1.2", "1.3") for key, name in (("ecdsa", "ECDSA P-256"), ("rsa", "RSA-2048"))]
    rows += [
        Row("64-byte echo round trips", "/s", per_second("echo", size=64), 1.0),
        Row(f"RSS per idle connection, server ({connections} conns)", "KiB", idle("server"), 1.0,
            higher_is_better=False, rounds_factor=0.6),
        Row(f"RSS per idle connection, client ({connections} conns)", "KiB", idle("client"), 1.0,
            higher_is_better=False, rounds_factor=0.6),
        Row("import time (-X importtime, cumulative)", "ms", import_time, 0.5, higher_is_better=False),
        # Informational: `import swiftssl` is lazy, so this shows the cost it moves to first use.
        Row("import + create_default_context() (perf_counter, fresh interpreter)", "ms", first_use,
            None, higher_is_better=False),
        Row("legacy wrap_socket(ca_certs=system bundle) per connection", "/s",
            per_second("legacy", handshake=False, tls=False), 10.0),
        Row("legacy wrap_socket(ca_certs=system bundle + bench CA) + handshake", "/s",
            per_second("legacy", handshake=True), 10.0),
    ]
    return rows


def _format(value):
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def run_table(rows, rounds, fixtures):
    """Samples every row A B A B ... and prints a Markdown table of medians and ratios."""
    lines = ["| row | unit | swiftssl | ssl | swiftssl/ssl | bar | holds |",
             "|---|---|---:|---:|---:|---|---|"]
    print("\n".join(lines), flush=True)
    for row in rows:
        samples = {library: [] for library in LIBRARIES}
        for _ in range(max(1, round(rounds * row.rounds_factor))):
            for library in LIBRARIES:
                samples[library].append(row.sample(library, fixtures))
        ours, theirs = (statistics.median(samples[library]) for library in LIBRARIES)
        # The ratio is the median of each round's own ratio: the two samples of a round run back
        # to back, so a machine whose speed drifts over the run moves both alike.
        ratio = statistics.median(a / b if b else float("inf") for a, b in zip(*samples.values()))
        line = (f"| {row.label} | {row.unit} | {_format(ours)} | {_format(theirs)} | {ratio:.2f} | "
                f"{row.verdict(ratio)}")
        lines.append(line)
        print(line, flush=True)
    return lines


# CPU seconds per GB moved, (sender, receiver), per bulk row (in the table's order) and library: filled by the
# bulk rows' samples, printed by run_cpu_per_byte.
BULK_CPU = {}


def run_cpu_per_byte():
    """What each end spent per GB in the bulk rows (user + system time over the timed part): on a
    2-CPU machine where both ends are busy, throughput follows the slower end and the neighbours'
    load, this does less so."""
    lines = ["| CPU time per GB moved, bulk rows (s/GB) | sender swiftssl | sender ssl | ssl/swiftssl "
             "| receiver swiftssl | receiver ssl | ssl/swiftssl |", "|---|---:|---:|---:|---:|---:|---:|"]
    print("\n" + "\n".join(lines), flush=True)
    for name, by_library in BULK_CPU.items():
        medians = {library: [statistics.median(sample[end] for sample in samples) for end in (0, 1)]
                   for library, samples in by_library.items()}
        ours, theirs = medians.get("swiftssl"), medians.get("ssl")
        if not ours or not theirs:
            continue
        line = (f"| {name} | {ours[0]:.2f} | {theirs[0]:.2f} | {theirs[0] / ours[0]:.2f} "
                f"| {ours[1]:.2f} | {theirs[1]:.2f} | {theirs[1] / ours[1]:.2f} |")
        lines.append(line)
        print(line, flush=True)
    return lines


def run_ceilings(rounds, seconds, fixtures):
    """Plain TCP with the bulk rows' socket calls: how far above both libraries a TLS library
    could go at all, and what the system calls alone cost each end per GB. Informational; the
    AES-GCM cost of OpenSSL is in the core rows below."""
    lines = ["| ceiling: plain TCP, no TLS, same sendall → recv_into | MB/s | sender s/GB | receiver s/GB |",
             "|---|---:|---:|---:|"]
    print("\n" + "\n".join(lines), flush=True)
    for name, size in (("16 KiB", 16384), ("256 KiB", 262144)):
        samples = [_runner.client_server("bulk", "tcp", fixtures, {"size": size, "seconds": seconds})
                   for _ in range(rounds)]
        speed = statistics.median(server["bytes"] / server["seconds"] / 1e6 for server, _ in samples)
        sender = statistics.median(client["cpu_seconds"] / client["sent"] * 1e9 for _, client in samples)
        receiver = statistics.median(server["cpu_seconds"] / server["bytes"] * 1e9 for server, _ in samples)
        line = f"| bulk {name} writes | {_format(speed)} | {sender:.2f} | {receiver:.2f} |"
        lines.append(line)
        print(line, flush=True)
    return lines


def run_callgrind(fixtures, quick):
    env = _runner.environment(fixtures, callgrind=True)
    handshakes = (2, 6) if quick else (4, 16)
    writes = (50, 250) if quick else (100, 600)
    lines = ["| instructions per operation (callgrind, client + server) | swiftssl | ssl | swiftssl/ssl |",
             "|---|---:|---:|---:|"]
    print("\n" + "\n".join(lines), flush=True)
    echoes = (100, 500) if quick else (300, 1500)
    operations = (("full handshake, TLS 1.3, ECDSA P-256", "handshake", handshakes),
                  ("1 KiB sendall + recv_into", "write1k", writes),
                  ("16 KiB sendall + recv_into", "write16k", writes),
                  ("64-byte echo round trip", "echo64", echoes))
    for label, operation, (low, high) in operations:
        counts = [_callgrind.per_operation(library, fixtures, operation, low, high, env)
                  for library in LIBRARIES]
        line = f"| {label} | {counts[0]:,.0f} | {counts[1]:,.0f} | {counts[0] / counts[1]:.2f} |"
        lines.append(line)
        print(line, flush=True)
    return lines


def run_swift_core(binary, fixtures, quick):
    """The SwiftSSL core alone (Benchmarks/SwiftSSLBenchmarks), on the same certificates."""
    print("", flush=True)
    subprocess.run([binary, fixtures, "0.2" if quick else "0.5"], check=True,
                   env=_runner.environment(fixtures))


def main():
    parser = argparse.ArgumentParser(prog="python3 -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="short samples, fewer rounds (about 2 minutes instead of 5)")
    parser.add_argument("--rounds", type=int, help="A B pairs per row (default 5, quick 3)")
    parser.add_argument("--seconds", type=float, help="duration of one timed sample (default 1, quick 0.3)")
    parser.add_argument("--rows", nargs="*", default=[], help="run only rows whose label contains one of these")
    parser.add_argument("--no-callgrind", action="store_true", help="skip the instruction counts")
    parser.add_argument("--no-pin", action="store_true",
                        help="let the scheduler place client and server (default: CPU 0 and CPU 1)")
    parser.add_argument("--swift-core", metavar="BINARY",
                        help="also run the SwiftSSL core benchmark (.build-bench/release/SwiftSSLBenchmarks)")
    parser.add_argument("--swiftssl-so", default=os.path.join(_runner.PACKAGE_DIR, _runner.EXTENSION),
                        help="the extension to measure (default: the one in python/swiftssl)")
    arguments = parser.parse_args()
    rounds = arguments.rounds or (3 if arguments.quick else 5)
    seconds = arguments.seconds or (0.3 if arguments.quick else 1.0)
    connections = 500
    cpus = sorted(os.sched_getaffinity(0))
    if not arguments.no_pin and len(cpus) >= 2:
        _runner.PINNED_CPUS = {"client": cpus[0], "server": cpus[1]}

    import ssl
    extension = os.path.abspath(arguments.swiftssl_so)
    print(f"# swiftssl benchmarks, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"Python {platform.python_version()}, {ssl.OPENSSL_VERSION}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}; swiftssl extension {extension}")
    if not _runner.looks_like_release(extension):
        print("WARNING: this extension is a debug build; use `bash scripts/bench` or "
              "`bash scripts/build-inplace release`", flush=True)
    placement = (f"client on CPU {_runner.PINNED_CPUS['client']}, server on CPU {_runner.PINNED_CPUS['server']}"
                 if _runner.PINNED_CPUS else "client and server placed by the scheduler")
    print(f"{rounds} alternating rounds per row (swiftssl, ssl, swiftssl, ...), medians; "
          f"{seconds:g} s per timed sample; {placement}\n", flush=True)
    fixtures = tempfile.mkdtemp(prefix="swiftssl-bench-")
    try:
        _fixtures.make_fixtures(fixtures)
        _runner.snapshot_package(fixtures, extension)
        # load(): `import swiftssl` alone is lazy and would not notice a mismatched extension.
        probe = subprocess.run([sys.executable, "-c",
                                "import swiftssl; swiftssl.load(); print(swiftssl._swiftssl.__file__)"],
                               cwd=fixtures, env=_runner.environment(fixtures), capture_output=True, text=True)
        if probe.returncode != 0:
            raise SystemExit(f"{probe.stderr}\nswiftssl does not import with {extension}: the extension is "
                             "older than python/swiftssl? `bash scripts/bench` rebuilds it first")
        if not probe.stdout.strip().startswith(fixtures):
            raise SystemExit(f"the workers would load {probe.stdout.strip()}, not the snapshot")
        rows = _rows(seconds, connections, import_runs=5 if arguments.quick else 10)
        if arguments.rows:
            rows = [row for row in rows if any(part in row.label for part in arguments.rows)]
        run_table(rows, rounds, fixtures)
        if BULK_CPU:
            run_cpu_per_byte()
            run_ceilings(rounds, seconds, fixtures)
        if arguments.swift_core:
            run_swift_core(arguments.swift_core, fixtures, arguments.quick)
        if not arguments.no_callgrind and shutil.which("valgrind"):
            _runner.snapshot_package(fixtures, extension, strip_debug=True)
            run_callgrind(fixtures, arguments.quick)
    finally:
        shutil.rmtree(fixtures, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
