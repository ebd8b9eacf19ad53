"""Import benchmark: `lr-desktop import FILE.csv` (validation included) against the fair
floor (plain csv + sqlite3.executemany into the same table, dropping and re-creating the
same secondary indexes the import drops, one transaction), the no-index floor beside it
(the rows alone, as information) and `sqlite-utils insert --csv`.

Each side runs as its own child process on a fresh copy of the same migrated, empty
database, so wall time includes interpreter start-up for all three and the peak RSS
(from wait4) is that side's alone. Peak RSS of the project's import is also measured
at N/4 to show whether memory grows with N.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from bench.common import PYTHON, ROOT, BenchResult, Measurement, log, run_child
from bench.data import copy_db, csv_file, empty_db, row_count

SQLITE_UTILS_ONCE_ABOVE = 100_000  # above this N sqlite-utils runs once (it takes minutes)
FLAT_GROWTH_MB = 48  # "flat": peak RSS at N is at most this much above that at N/4


def _sqlite_utils() -> str | None:
    exe = Path(PYTHON).with_name("sqlite-utils")
    return str(exe) if exe.exists() else shutil.which("sqlite-utils")


def project_cmd(db: Path, csv_path: Path) -> list[str]:
    return [PYTHON, "-m", "lr_desktop", "--db", str(db), "import", str(csv_path)]


FLOOR = "fair floor: drop the same indexes, executemany, re-create, one transaction"
NO_INDEX_FLOOR = "no-index floor: executemany, indexes not re-created (information)"
TARGET_RATIO = 1.4


def floor_cmd(db: Path, csv_path: Path, mode: str = "fair") -> list[str]:
    return [PYTHON, "-m", "bench.floor_import", str(db), str(csv_path), mode]


def sqlite_utils_cmd(db: Path, csv_path: Path) -> list[str] | None:
    exe = _sqlite_utils()
    if exe is None:
        return None
    # into the existing typed table: column affinity converts, so no type detection pass
    return [
        exe,
        "insert",
        str(db),
        "installs",
        str(csv_path),
        "--csv",
        "--empty-null",
        "--no-detect-types",
    ]


def import_available() -> str | None:
    """None when `lr-desktop import` exists, else why not."""
    run = run_child([PYTHON, "-m", "lr_desktop", "import", "--help"], cwd=ROOT)
    if run.returncode != 0:
        return "`lr-desktop import` is not available yet: " + (run.stderr.strip()[-300:] or "?")
    return None


def refused_ids(csv_path: Path) -> int:
    """Rows `lr-desktop import` refuses by design: CleverTap IDs with a space (sampledata
    makes one in 250 for the sync's 526 path); the floor and sqlite-utils store them."""
    from lr_desktop.clevertap.rules import identifier_chars_problem

    with open(csv_path, newline="", encoding="utf-8") as f:
        return sum(
            1
            for row in csv.DictReader(f)
            if (row.get("clevertap_id") or "").strip()
            and identifier_chars_problem(row["clevertap_id"].strip())
        )


def _one(label: str, cmd: list[str], db: Path, template: Path, n: int) -> tuple[float, float, str]:
    copy_db(template, db)
    run = run_child(cmd, cwd=ROOT)
    problem = ""
    if run.returncode not in (0, 1):  # 1 = some rows rejected, still imported the rest
        problem = f"{label} exited {run.returncode}: {(run.stderr or run.stdout).strip()[-400:]}"
    else:
        got = row_count(db)
        want = n - refused_ids(Path(cmd[-1])) if label == "lr-desktop import" else n
        if got != want:
            problem = f"{label} stored {got:,} rows, expected {want:,}"
    return run.seconds, run.peak_rss_mb, problem


def bench_import(n: int, workdir: Path, reps: int = 3, memory_check: bool = True) -> BenchResult:
    result = BenchResult(
        "import",
        f"Import {n:,} attributed users from CSV",
        n,
        f"≤ {TARGET_RATIO} × the fair floor's time; peak RSS flat in N",
    )
    csv_path = csv_file(n, workdir)
    template = empty_db(workdir)
    db = workdir / "import-target.sqlite"
    size_mb = csv_path.stat().st_size / 2**20
    result.notes.append(f"CSV: {size_mb:,.0f} MiB, {n:,} rows, 21 Linkrunner columns")
    missing = import_available()
    sides: list[tuple[str, list[str]]] = []
    if missing:
        result.error = missing
    else:
        sides.append(("lr-desktop import", project_cmd(db, csv_path)))
    sides.append((FLOOR, floor_cmd(db, csv_path, "fair")))
    sides.append((NO_INDEX_FLOOR, floor_cmd(db, csv_path, "noindex")))
    su = sqlite_utils_cmd(db, csv_path)
    if su:
        sides.append(("sqlite-utils insert --csv", su))
    else:
        result.notes.append("sqlite-utils CLI not found: that peer is skipped")
    if su and n > SQLITE_UTILS_ONCE_ABOVE and reps > 1:
        result.notes.append("sqlite-utils ran once (it is far slower than both others)")
    ms = {label: Measurement(label, items=n) for label, _ in sides}
    result.measurements = list(ms.values())
    for rep in range(reps):
        for label, cmd in sides:
            if rep and label.startswith("sqlite-utils") and n > SQLITE_UTILS_ONCE_ABOVE:
                continue  # ~10x slower than the floor: once is enough to place it
            secs, rss, problem = _one(label, cmd, db, template, n)
            m = ms[label]
            m.samples.append(secs)
            m.extra["peak_rss_mb"] = max(m.extra.get("peak_rss_mb", 0.0), rss)
            if problem and problem not in result.notes:
                result.notes.append(problem)
            log(f"import rep {rep + 1}/{reps}: {label} {secs:.2f}s, peak RSS {rss:.0f} MiB")
    floor = ms[FLOOR]
    bare = ms[NO_INDEX_FLOOR]
    result.notes.append(
        f"No-index floor {bare.median:.2f} s beside the fair floor's {floor.median:.2f} s: "
        f"re-creating the indexes costs {floor.median - bare.median:.2f} s of the floor"
    )
    if "lr-desktop import" in ms:
        project = ms["lr-desktop import"]
        result.ratio = project.median / floor.median
        result.ratio_label = "lr-desktop import time ÷ fair floor time"
        time_ok = result.ratio <= TARGET_RATIO
        result.checks.append(
            (f"time ≤ {TARGET_RATIO} × fair floor", f"{result.ratio:.2f}×", time_ok)
        )
        result.checks.append(
            (
                "time ÷ no-index floor (information)",
                f"{project.median / bare.median:.2f}×",
                None,
            )
        )
        mem_ok: bool | None = None
        if memory_check and n >= 8:
            small_n = n // 4
            small_csv = csv_file(small_n, workdir)
            secs, rss_small, problem = _one(
                "lr-desktop import", project_cmd(db, small_csv), db, template, small_n
            )
            if problem:
                result.notes.append(problem)
            rss_big = project.extra["peak_rss_mb"]
            growth = rss_big - rss_small
            mem_ok = growth <= FLAT_GROWTH_MB
            project.extra["peak_rss_mb_at_n_over_4"] = rss_small
            result.checks.append(
                (
                    f"peak RSS flat in N (≤ +{FLAT_GROWTH_MB} MiB from N/4 to N)",
                    f"{rss_small:.0f} MiB at {small_n:,} → {rss_big:.0f} MiB at {n:,} "
                    f"({growth:+.0f} MiB)",
                    mem_ok,
                )
            )
            log(f"import memory: {rss_small:.0f} MiB at {small_n:,}, {rss_big:.0f} MiB at {n:,}")
        result.met = time_ok and mem_ok is not False
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return result


def profile_import(n: int, workdir: Path) -> str:
    """cProfile of the project's import in-process (the importer is single-threaded)."""
    import cProfile
    import io
    import pstats

    from lr_desktop.cli.main import main

    csv_path = csv_file(n, workdir)
    db = copy_db(empty_db(workdir), workdir / "import-profile.sqlite")
    prof = cProfile.Profile()
    prof.enable()
    try:
        main(["--db", str(db), "import", str(csv_path)])
    finally:
        prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats("lr_desktop", 15)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return _trim_pstats(out.getvalue())


def _trim_pstats(text: str) -> str:
    keep = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(("   Ordered by", "   List reduced", "   Random")):
            continue
        keep.append(line.replace(str(ROOT) + "/", "").replace(str(Path(PYTHON).parent.parent), "…"))
    return "\n".join(keep)
