"""Benchmarks against peers and limits: `.venv/bin/python -m bench [--quick] [--only NAME]`.

Generates its own seeded data, runs each pair in this one invocation (several runs,
medians) and writes docs/benchmarks.md. See `--help`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, BenchResult, log

NAMES = (
    "import",
    "sync_upload",
    "sync_latency",
    "sync_attribution",
    "startup",
    "events_table",
    "responsiveness",
    "verify",
)
# the largest runs: only with --ten-million (or named with --only); see bench/ten_million.py
TEN_MILLION = (
    "ten_million_table",
    "ten_million_overview",
    "ten_million_sync",
    "ten_million_import",
)

VERIFY_LIMITS = (
    "the check stores what it downloads (a row per record, re-encoded as JSON, committed per "
    "page) and then matches and judges every user in SQL; the bare download parses each page "
    "and drops it. At 100,000 users the profile shows SQLite statements (matching, verdicts, "
    "settling) and the per-record rows take most of the time, JSON parsing a tenth"
)

# name -> (full N, quick N, full reps, quick reps)
SIZES: dict[str, tuple[int, int, int, int]] = {
    "import": (1_000_000, 20_000, 3, 2),
    "sync_upload": (1_000_000, 20_000, 3, 2),
    # four latency pairs and a loopback one: ~1 min a run at 300 ms, concurrency 5
    "sync_latency": (200_000, 20_000, 3, 1),
    # one GET per install at ~1,000/s on loopback: a run of each side is ~3 minutes; one
    # run per side once reported "met" at 0.82 where three gave 0.74
    "sync_attribution": (100_000, 2_000, 3, 2),
    "startup": (1_000_000, 20_000, 5, 3),
    "events_table": (1_000_000, 20_000, 3, 2),
    "responsiveness": (1_000_000, 20_000, 1, 1),
    # setup delivers N users by a real sync (~1 min at 1M), then each side reads them back
    "verify": (1_000_000, 20_000, 3, 1),
    "ten_million_table": (10_000_000, 20_000, 3, 1),
    "ten_million_overview": (10_000_000, 20_000, 3, 1),
    "ten_million_sync": (10_000_000, 20_000, 1, 1),
    "ten_million_import": (10_000_000, 20_000, 1, 1),
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of Linkrunner Desktop against peers and limits; writes docs/benchmarks.md.",
    )
    p.add_argument("--quick", action="store_true", help="small N (under a minute): a smoke run")
    p.add_argument(
        "--only",
        action="append",
        choices=NAMES + TEN_MILLION,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(NAMES + TEN_MILLION)}",
    )
    p.add_argument(
        "--ten-million",
        action="store_true",
        help="also run the ten-million-user benchmarks (hours; ~25 GiB of disk, see the report)",
    )
    # the ten-million runs at another N (the smoke tests run that code path at a tiny one)
    p.add_argument("--scale", type=int, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help="override N for every benchmark run")
    p.add_argument("--reps", type=int, help="override the number of runs of each side")
    p.add_argument(
        "--workdir", type=Path, help="where data files are cached (default /tmp/lr-bench-UID)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="report path (default docs/benchmarks.md; with --quick: the work dir)",
    )
    p.add_argument("--json", type=Path, help="also write the raw results as JSON here")
    p.add_argument(
        "--note", default="", help="a sentence for the report's run line (e.g. what else ran)"
    )
    p.add_argument("--no-profile", action="store_true", help="do not profile missed targets")
    p.add_argument(
        "--from-json",
        type=Path,
        action="append",
        metavar="FILE",
        help="do not measure: write the report from results saved with --json (repeatable; "
        "a later file's benchmark replaces an earlier one of the same name)",
    )
    return p.parse_args(argv)


def load_results(paths: list[Path]) -> list[BenchResult]:
    from bench.common import Measurement, Pair

    by_name: dict[str, BenchResult] = {}
    for path in paths:
        for d in json.loads(path.read_text()):
            ms = [
                Measurement(m["label"], m["samples"], m["items"], m["extra"])
                for m in d.pop("measurements")
            ]
            d["checks"] = [tuple(c) for c in d["checks"]]
            d["pairs"] = [Pair(**p) for p in d.get("pairs", [])]
            by_name[d["name"]] = BenchResult(**d, measurements=ms)
    return [by_name[n] for n in NAMES + TEN_MILLION if n in by_name]


def _memory_missed(result: BenchResult) -> bool:
    return any(what.startswith("peak RSS") and ok is False for what, _v, ok in result.checks)


def memory_profile(n: int, workdir: Path) -> str:
    """`lr-desktop import` of n rows with its resident memory sampled over time."""
    from bench import data
    from bench.common import PYTHON
    from bench.profiling import rss_timeline

    db = data.copy_db(data.empty_db(workdir), workdir / "import-memory.sqlite")
    cmd = [PYTHON, "-m", "lr_desktop", "--db", str(db), "import", str(data.csv_file(n, workdir))]
    try:
        return rss_timeline(cmd, cwd=ROOT, interval=1.0)
    finally:
        for suffix in ("", "-wal", "-shm", ".import.lock", ".bulk.lock"):
            Path(str(db) + suffix).unlink(missing_ok=True)


def run_one(name: str, n: int, reps: int, workdir: Path, profile: bool) -> BenchResult:
    from bench import data, gui, imports, startup, sync, ten_million, verify

    fns: dict[str, Callable[[], BenchResult]] = {
        "import": lambda: imports.bench_import(n, workdir, reps),
        "sync_upload": lambda: sync.bench_sync_upload(n, workdir, reps, profile=profile),
        "sync_latency": lambda: sync.bench_sync_latency(n, workdir, reps, profile=profile),
        "sync_attribution": lambda: sync.bench_sync_attribution(n, workdir, reps, profile=profile),
        "startup": lambda: startup.bench_startup(n, workdir, reps),
        "events_table": lambda: gui.bench_events_table(n, workdir, reps),
        "responsiveness": lambda: gui.bench_responsiveness(n, workdir, reps),
        "verify": lambda: verify.bench_verify(n, workdir, reps),
        "ten_million_table": lambda: ten_million.bench_table(n, workdir, reps),
        "ten_million_overview": lambda: ten_million.bench_overview(n, workdir, reps, profile),
        "ten_million_sync": lambda: ten_million.bench_sync(n, workdir, profile=profile),
        "ten_million_import": lambda: ten_million.bench_import(n, workdir, reps),
    }
    result = fns[name]()
    if name in TEN_MILLION:
        result.notes.append("disk: " + ten_million.disk_needed(workdir, n))
    if profile and result.met is False and not result.profile:
        try:
            if name in ("import", "ten_million_import") and _memory_missed(result):
                log(f"{name}: resident memory over an import of {n // 4:,} rows")
                result.profile = memory_profile(n // 4, workdir)
            elif name in ("import", "ten_million_import"):
                log("import: profiling the importer (cProfile)")
                result.profile = imports.profile_import(min(n, 200_000), workdir)
            elif name == "startup":
                log("startup: import-time profile")
                result.profile = startup.profile_startup(workdir, n)
            elif name == "verify":
                log("verify: profiling the check (cProfile)")
                result.profile = verify.profile_verify(min(n, 100_000), workdir)
                result.limits = VERIFY_LIMITS
            elif name in ("events_table", "ten_million_table"):
                log(f"{name}: sampling the app model's operations")
                result.profile = gui.profile_table(data.queue_db(n, workdir))
        except Exception as exc:  # noqa: BLE001 - a profile is a bonus
            result.notes.append(f"profiling failed: {type(exc).__name__}: {exc}")
    return result


def selected(args: argparse.Namespace) -> list[str]:
    """The benchmarks to run: --only's, else all (the ten-million ones with --ten-million)."""
    return args.only or list(NAMES) + (list(TEN_MILLION) if args.ten_million else [])


def ten_million_disk(results: list[BenchResult], workdir: Path) -> str:
    """The disk space the last ten-million result saw (noted when it ran), else what its
    files in the work dir take now."""
    big = [r for r in results if r.name in TEN_MILLION]
    notes = [n for r in big for n in r.notes if n.startswith("disk: ")]
    if notes:
        return notes[-1].removeprefix("disk: ")
    if not big:
        return ""
    from bench.ten_million import disk_needed

    return disk_needed(workdir, max(r.n for r in big)) + " (measured when the report was written)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from bench import data, report

    workdir = args.workdir or data.default_workdir()
    workdir.mkdir(parents=True, exist_ok=True)
    names = selected(args)
    out = args.out or (
        workdir / "benchmarks-quick.md" if args.quick else ROOT / "docs" / "benchmarks.md"
    )
    started = time.perf_counter()
    results: list[BenchResult] = load_results(args.from_json) if args.from_json else []
    for name in [] if args.from_json else names:
        full_n, quick_n, full_reps, quick_reps = SIZES[name]
        n = args.n or (quick_n if args.quick else full_n)
        if args.scale and name in TEN_MILLION:
            n = args.scale
        reps = args.reps or (quick_reps if args.quick else full_reps)
        log(f"{name}: N={n:,}, {reps} runs per side")
        t0, load0 = time.perf_counter(), os.getloadavg()[0]
        try:
            res = run_one(name, n, reps, workdir, not args.no_profile and not args.quick)
        except Exception as exc:  # noqa: BLE001 - report it and go on with the others
            traceback.print_exc()
            res = BenchResult(name, name, n, "", error=f"{type(exc).__name__}: {exc}")
        log(f"{name}: done in {time.perf_counter() - t0:.0f}s, target {res.met}")
        res.notes.append(
            f"load average (1 min) {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
            f"end ({os.cpu_count()} cores); took {time.perf_counter() - t0:,.0f} s"
        )
        results.append(res)
        if args.json:  # as it goes: a run of hours keeps what it measured
            args.json.write_text(json.dumps([r.to_dict() for r in results], indent=1, default=str))
    elapsed = time.perf_counter() - started
    limits_file = Path(__file__).with_name("limits.md")
    limits = limits_file.read_text(encoding="utf-8") if limits_file.exists() else ""
    report.write(
        out,
        results,
        argv=sys.argv[1:] if argv is None else argv,
        elapsed=elapsed,
        limits=limits,
        generator=data.generator_name(),
        note=(
            "the report was written from results saved with `--json`: "
            + ", ".join(str(p) for p in args.from_json)
            + "."
        )
        if args.from_json
        else "",
        conditions=args.note,
        disk=ten_million_disk(results, workdir),
    )
    if args.json:
        args.json.write_text(json.dumps([r.to_dict() for r in results], indent=1, default=str))
    log(f"wrote {out} ({elapsed / 60:.1f} min)")
    for r in results:
        print(
            f"{r.name:18} met={r.met} ratio={r.ratio if r.ratio is None else round(r.ratio, 2)} {r.error}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
