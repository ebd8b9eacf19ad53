"""Verify with CleverTap: `run_verify` over N delivered users against a bare httpx download
of the same pages.

Setup (not timed): N users are delivered to the bundled emulator by a real sync, so the
emulator holds one install event per user. Each measured run is a child process (its own
peak RSS from wait4) on a fresh copy of that delivered database:

- verify: `run_verify` (the CLI's and the window's function): every page committed as it
  arrives, then every user judged. Its time is all the user waits for.
- peer: a bare `httpx.AsyncClient` walk of the same Get Events queries (the segments the
  check made: event name and YYYYMMDD range), same batch size and concurrency, each page
  parsed with `resp.json()` and dropped: the download alone, nothing stored or judged.

Run a side by hand: python -m bench.verify {verify|bare} DB URL
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bench.common import PYTHON, ROOT, BenchResult, Measurement, log, run_child
from bench.data import copy_db, queue_db

TARGET = 0.8
FLAT_GROWTH_MB = 64  # "flat": the check's peak RSS at N is at most this much above N/4


def _config(url: str) -> Any:
    from bench.sync import bench_config

    return bench_config(url, "upload")


def _delivered_db(n: int, workdir: Path, url: str) -> Path:
    """A copy of the n-user queue after a full sync to the emulator at `url`."""
    from lr_desktop.sync import Operation, run_sync

    db = copy_db(queue_db(n, workdir), workdir / f"verify-delivered-{n}.sqlite")
    run_sync(db, _config(url), Operation.FULL_SYNC)
    return db


def _segments(db: Path) -> list[tuple[str, int, int]]:
    with sqlite3.connect(db) as conn:
        return [
            (str(name), int(a), int(b))
            for name, a, b in conn.execute(
                "SELECT event_name, from_day, to_day FROM ct_segments ORDER BY id"
            )
        ]


def child_verify(db: str, url: str) -> dict[str, Any]:
    from lr_desktop.verify import run_verify

    summary = run_verify(db, _config(url), grace_seconds=0.0)
    return {"records": summary.records, "counts": summary.counts, "calls": summary.api_calls}


def child_bare(db: str, url: str) -> dict[str, Any]:
    """Walk the same queries as the check in `db` did, keeping nothing."""
    import httpx

    from lr_desktop.clevertap.reads import DEFAULT_READ_CONCURRENCY, MAX_BATCH_SIZE

    cfg = _config(url)
    headers = {
        "X-CleverTap-Account-Id": cfg.project_id,
        "X-CleverTap-Passcode": cfg.secrets.passcode or "",
    }
    base = url.rstrip("/") + "/1/events.json"
    counted = {"records": 0, "calls": 0}

    async def walk(client: httpx.AsyncClient, slots: asyncio.Semaphore, seg: Any) -> None:
        name, first, last = seg
        async with slots:
            resp = await client.post(
                base,
                params={"batch_size": MAX_BATCH_SIZE},
                json={"event_name": name, "from": first, "to": last},
            )
            cursor = resp.json().get("cursor")
            counted["calls"] += 1
            while cursor:
                doc = (await client.get(base, params={"cursor": cursor})).json()
                counted["calls"] += 1
                counted["records"] += len(doc.get("records") or [])
                cursor = doc.get("next_cursor")

    async def main() -> None:
        n = DEFAULT_READ_CONCURRENCY
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60.0) as client:
            slots = asyncio.Semaphore(n)
            await asyncio.gather(*(walk(client, slots, s) for s in _segments(Path(db))))

    asyncio.run(main())
    return counted


def _run_side(side: str, db: Path, url: str) -> tuple[float, float, dict[str, Any]]:
    run = run_child([PYTHON, "-m", "bench.verify", side, str(db), url], cwd=ROOT)
    if run.returncode != 0:
        raise RuntimeError(f"{side} exited {run.returncode}: {run.stderr.strip()[-400:]}")
    return run.seconds, run.peak_rss_mb, json.loads(run.stdout.strip().splitlines()[-1])


def bench_verify(n: int, workdir: Path, reps: int = 3, memory_check: bool = True) -> BenchResult:
    from lr_desktop.emulators.clevertap_process import run_in_subprocess

    result = BenchResult(
        "verify",
        f"Verify {n:,} delivered users with CleverTap (the emulator on loopback)",
        n,
        f"≥ {TARGET} × a bare httpx download's records/s of the same pages; peak RSS flat in N",
    )
    emu = run_in_subprocess()
    try:
        emu.control.configure(max_stored_events=max(2 * n, 2_000_000))
        delivered = _delivered_db(n, workdir, emu.url)
        with sqlite3.connect(delivered) as conn:
            query = "SELECT count(*) FROM installs WHERE status = 'delivered'"
            sent = int(conn.execute(query).fetchone()[0])
        result.notes.append(
            f"{sent:,} of the {n:,} users delivered (the others have no CleverTap ID or fail "
            "the pre-check): the emulator holds one install event for each"
        )
        db = workdir / "verify-run.sqlite"
        project = Measurement("verify (download, commit each page, judge)", items=sent)
        bare = Measurement("bare httpx download of the same pages (parsed, dropped)", items=sent)
        result.measurements = [project, bare]
        result.definitions[bare.label] = (
            "an httpx AsyncClient walking the check's own Get Events queries (same segments, "
            "batch size 5000, same concurrency) against the same emulator; each page parsed "
            "with resp.json() and dropped: the download alone, nothing stored or judged"
        )
        result.definitions[project.label] = (
            "`run_verify`, the CLI's and the window's check: every page committed as it "
            "arrives, then every user matched and judged"
        )
        for rep in range(reps):
            copy_db(delivered, db)
            secs, rss, out = _run_side("verify", db, emu.url)
            project.samples.append(secs)
            project.extra["peak_rss_mb"] = max(project.extra.get("peak_rss_mb", 0.0), rss)
            project.extra["api_calls"] = out["calls"]
            if out["records"] != sent or out["counts"].get("present") != sent:
                result.notes.append(f"the check held {out['records']:,} records: {out['counts']}")
            bsecs, brss, bout = _run_side("bare", db, emu.url)  # the same segments
            bare.samples.append(bsecs)
            bare.extra["peak_rss_mb"] = max(bare.extra.get("peak_rss_mb", 0.0), brss)
            bare.extra["api_calls"] = bout["calls"]
            log(f"verify rep {rep + 1}/{reps}: verify {secs:.2f}s, bare {bsecs:.2f}s")
        result.ratio = bare.median / project.median
        result.ratio_label = "verify records/s ÷ bare download records/s"
        ok = result.ratio >= TARGET
        result.checks.append((f"rate ≥ {TARGET} × bare", f"{result.ratio:.2f}×", ok))
        mem_ok: bool | None = None
        if memory_check and n >= 8:
            small = n // 4
            emu.control.reset()
            emu.control.configure(max_stored_events=max(2 * n, 2_000_000))
            copy_db(_delivered_db(small, workdir, emu.url), db)
            _s, rss_small, _o = _run_side("verify", db, emu.url)
            rss_big = project.extra["peak_rss_mb"]
            mem_ok = rss_big - rss_small <= FLAT_GROWTH_MB
            result.checks.append(
                (
                    f"peak RSS flat in N (≤ +{FLAT_GROWTH_MB} MiB from N/4 to N)",
                    f"{rss_small:.0f} MiB at {small:,} → {rss_big:.0f} MiB at {n:,}",
                    mem_ok,
                )
            )
        result.met = ok and mem_ok is not False
        result.notes.append(
            "Both sides run the check's own segments (event name × YYYYMMDD range) at the "
            "read concurrency's default, batch size 5000; the emulator keeps every event."
        )
    finally:
        emu.stop()
        for suffix in ("", "-wal", "-shm"):
            Path(str(workdir / "verify-run.sqlite") + suffix).unlink(missing_ok=True)
    return result


def main(argv: list[str]) -> int:
    side, db, url = argv
    out = child_verify(db, url) if side == "verify" else child_bare(db, url)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


def profile_verify(n: int, workdir: Path) -> str:
    """cProfile of `run_verify` in-process over n delivered users (its SQLite work runs on
    the calling thread; the download's event loop too)."""
    import cProfile
    import io
    import pstats

    from lr_desktop.emulators.clevertap_process import run_in_subprocess
    from lr_desktop.verify import run_verify

    emu = run_in_subprocess()
    try:
        emu.control.configure(max_stored_events=max(2 * n, 2_000_000))
        db = copy_db(_delivered_db(n, workdir, emu.url), workdir / "verify-profile.sqlite")
        prof = cProfile.Profile()
        prof.enable()
        summary = run_verify(db, _config(emu.url), grace_seconds=0.0)
        prof.disable()
    finally:
        emu.stop()
    out = io.StringIO()
    out.write(
        f"{summary.records:,} records in {summary.elapsed_seconds:.2f} s, of which judging "
        f"{summary.judge_seconds:.2f} s\n"
    )
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
    return "\n".join(
        line for line in out.getvalue().splitlines() if line.strip() and "Ordered by" not in line
    )
