"""`make bench`: every performance figure of issues 7 and 17, side by side in one run.

Prints each figure as it is measured, then a table with targets and PASS/FAIL, and writes
benchmarks/results/bench-<UTC timestamp>.json. `--quick` runs tiny sizes (a smoke test of
the benchmark code, not a measurement).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

from benchmarks import delta_bench, ingest_bench, limiter_bench, process_bench, sync_bench
from benchmarks.report import Report, machine_info

SECTIONS = ("throughput", "ingest", "memory", "delta", "limiter", "process")


def plan(quick: bool) -> dict[str, Callable[[Report], None]]:
    """Section name -> the call that measures it (full or quick sizes)."""
    if quick:
        return {
            "throughput": lambda r: sync_bench.throughput(
                r, matches=30, sequential_matches=5, latency_ms=5, jitter_ms=2
            ),
            "ingest": lambda r: ingest_bench.ingestion(
                r, matches=60, baseline_matches=10, sizes=(20, 60), new_matches=10
            ),
            "memory": lambda r: sync_bench.memory(r, matches=40),
            "delta": lambda r: delta_bench.delta(r, history=30, runs=1),
            "limiter": lambda r: limiter_bench.adaptive(r, sizes={20: 30}),
            "process": lambda r: (
                process_bench.full_sync(r, sizes=(30,)),
                process_bench.delta(r, history=10, runs=1),
            ),
        }
    return {
        "throughput": sync_bench.throughput,
        "ingest": ingest_bench.ingestion,
        "memory": sync_bench.memory,
        "delta": delta_bench.delta,
        "limiter": limiter_bench.adaptive,
        "process": lambda r: (process_bench.full_sync(r), process_bench.delta(r)),
    }


def main(argv: list[str] | None = None) -> Report:
    """Run the selected sections; print and save the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}"
    )
    parser.add_argument("--no-save", action="store_true", help="do not write the JSON file")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {unknown}: choose among {', '.join(SECTIONS)}")
    report = Report(machine=machine_info())
    m = report.machine
    print(f"LevelUp benchmark - {m['date']}, {m['nproc']} x {m['cpu']}, Python {m['python']}")
    started = time.perf_counter()
    calls = plan(args.quick)
    for section in chosen:
        print(f"[{section}]", flush=True)
        t0 = time.perf_counter()
        calls[section](report)
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    report.seconds = time.perf_counter() - started
    print()
    print(report.table())
    failed = [f for f in report.figures if f.passed is False]
    print(f"\n{len(report.figures)} figures, {len(failed)} below target, {report.seconds:.0f} s.")
    if not args.no_save:
        print(f"Saved {report.write()}")
    return report


if __name__ == "__main__":
    main()
