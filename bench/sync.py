"""Sync benchmarks: the engine (`run_sync`, state writes included) against a bare httpx
loop sending the same requests with the same concurrency to the same emulator.

The emulator runs in its own process (`run_in_subprocess`), so it never shares a GIL
with what is measured; it is reset before every run and keeps no event bodies
(`max_stored_events=0`). Runs alternate engine / limit so drift hits both alike.
Each side's CPU is its own process's (`getrusage`, every thread: the engine's database
threads too), per 1,000 events, beside its time.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sqlite3
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from bench.common import BenchResult, Measurement, log, timed
from bench.data import copy_db, queue_db
from lr_desktop import __version__
from lr_desktop.clevertap.config import CleverTapConfig, Secrets
from lr_desktop.clevertap.payloads import PAYLOAD_COLUMNS, attribution_params, event_record
from lr_desktop.clevertap.rules import event_record_problem
from lr_desktop.emulators.clevertap import DEMO_ACCOUNT
from lr_desktop.emulators.clevertap_process import EmulatorProcess, run_in_subprocess
from lr_desktop.sync import Operation, run_sync
from lr_desktop.sync.ledger import DUE_PENDING

CONCURRENCY = 5  # the app's default (CleverTapConfig.concurrency)
ROUND_TRIP = 0.1  # seconds: a request's latency to a CleverTap region from afar
LATENCIES = (0.1, 0.3)  # seconds the emulator adds to every request (`sync_latency`)
CONCURRENCIES = (5, 15)  # the app's default, and CleverTap's cap on uploads at once
LATENCY_TARGET = 0.95


def bench_config(url: str, mode: str = "upload", **changes: Any) -> CleverTapConfig:
    project, passcode, token = DEMO_ACCOUNT
    cfg = CleverTapConfig(
        project_id=project,
        endpoint=url,
        mode=mode,
        partner_name="linkrunner",  # the emulator's whitelisted partner (the app has no default)
        concurrency=CONCURRENCY,
        secrets=Secrets(token, passcode),
        sync_profiles=False,
    )
    return replace(cfg, **changes)  # type: ignore[arg-type]


def start_emulator() -> EmulatorProcess:
    emu = run_in_subprocess()
    emu.control.configure(max_stored_events=0)
    return emu


def _due_rows(db: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    try:
        cur = conn.execute(
            f"SELECT rowid, {', '.join(PAYLOAD_COLUMNS)} FROM installs WHERE {DUE_PENDING.sql} ORDER BY rowid"
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur]
    finally:
        conn.close()


def upload_bodies(db: Path, cfg: CleverTapConfig) -> tuple[list[bytes], int]:
    """The request bodies the engine sends (same records, same chunks, same encoding)."""
    rows = _due_rows(db)
    records = [event_record(r, cfg) for r in rows]
    records = [r for r in records if event_record_problem(r) is None]
    bodies = [
        json.dumps(
            {"d": records[i : i + cfg.batch_size]}, separators=(",", ":"), ensure_ascii=False
        ).encode()
        for i in range(0, len(records), cfg.batch_size)
    ]
    return bodies, len(records)


def attribution_urls(db: Path, cfg: CleverTapConfig) -> list[str]:
    base = f"{cfg.base_url}/attribution"
    return [str(httpx.URL(base, params=attribution_params(r, cfg))) for r in _due_rows(db)]


def _client(cfg: CleverTapConfig) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(cfg.timeout),
        limits=httpx.Limits(
            max_connections=cfg.concurrency, max_keepalive_connections=cfg.concurrency
        ),
        headers={"User-Agent": f"lr-desktop/{__version__}"},
    )


async def _drain(cfg: CleverTapConfig, jobs: list[Any], send: Any) -> int:
    """`concurrency` workers take jobs in order until none are left; returns non-200s."""
    it = iter(jobs)
    bad = 0

    async def work(client: httpx.AsyncClient) -> None:
        nonlocal bad
        for job in it:
            resp = await send(client, job)
            if resp.status_code != 200:
                bad += 1

    async with _client(cfg) as client:
        await asyncio.gather(*(work(client) for _ in range(cfg.concurrency)))
    return bad


def bare_upload(cfg: CleverTapConfig, bodies: list[bytes]) -> int:
    headers = {
        "X-CleverTap-Account-Id": cfg.project_id,
        "X-CleverTap-Passcode": cfg.secrets.passcode or "",
        "Content-Type": "application/json; charset=utf-8",
    }
    url = f"{cfg.base_url}/1/upload"

    async def send(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
        resp = await client.post(url, content=body, headers=headers)
        resp.read()
        return resp

    return asyncio.run(_drain(cfg, bodies, send))


def bare_attribution(cfg: CleverTapConfig, urls: list[str]) -> int:
    async def send(client: httpx.AsyncClient, url: str) -> httpx.Response:
        return await client.get(url)

    return asyncio.run(_drain(cfg, urls, send))


def _pair(
    result: BenchResult,
    emu: EmulatorProcess,
    template: Path,
    workdir: Path,
    cfg: CleverTapConfig,
    reps: int,
    limit_fn: Any,
    jobs: list[Any],
    items: int,
    label: str = "",
) -> tuple[Measurement, Measurement]:
    engine = Measurement(f"engine (run_sync){label}", items=items)
    limit = Measurement(f"bare httpx loop (limit){label}", items=items)
    result.measurements += [engine, limit]
    db = workdir / f"sync-{result.name}.sqlite"
    cpu_e: list[float] = []
    cpu_l: list[float] = []
    for rep in range(reps):
        copy_db(template, db)
        emu.control.reset()
        secs, cpu, summary = _cpu_timed(lambda: run_sync(db, cfg, Operation.SEND_PENDING))
        stats = emu.control.stats()
        engine.samples.append(secs)
        cpu_e.append(cpu)
        engine.extra = {
            "delivered": summary.delivered,
            "rejected": summary.rejected,
            "failed": summary.failed,
            "requests": stats["requests"],
            "emulator_max_concurrent": stats["max_concurrent"],
            "cpu_ms_per_1000": _per_1000(cpu_e, summary.delivered),
        }
        emu.control.reset()
        secs_l, cpu, bad = _cpu_timed(lambda: limit_fn(cfg, jobs))
        stats = emu.control.stats()
        limit.samples.append(secs_l)
        cpu_l.append(cpu)
        limit.extra = {
            "non_200": bad,
            "requests": stats["requests"],
            "cpu_ms_per_1000": _per_1000(cpu_l, items),
        }
        log(
            f"{result.name} rep {rep + 1}/{reps}: engine {secs:.2f}s ({items / secs:,.0f}/s), "
            f"limit {secs_l:.2f}s ({items / secs_l:,.0f}/s)"
        )
    if engine.extra.get("failed"):
        result.notes.append(f"engine{label}: {engine.extra['failed']} events failed (should be 0)")
    for suffix in ("", "-wal", "-shm", ".sync.lock"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return engine, limit


def _cpu_seconds() -> float:
    """CPU of this process so far, all threads (the emulator has a process of its own)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _cpu_timed(fn: Any) -> tuple[float, float, Any]:
    cpu = _cpu_seconds()
    secs, out = timed(fn)
    return secs, _cpu_seconds() - cpu, out


def _per_1000(cpu: list[float], events: int) -> float:
    return round(statistics.median(cpu) * 1e6 / events, 1) if cpu and events else float("nan")


def _ratio(result: BenchResult, engine: Measurement, limit: Measurement) -> None:
    result.ratio = limit.median / engine.median
    result.ratio_label = "engine events/s ÷ limit events/s"


def bench_sync_upload(
    n: int, workdir: Path, reps: int = 3, emu: EmulatorProcess | None = None, profile: bool = True
) -> BenchResult:
    result = BenchResult(
        "sync_upload",
        f"Sync {n:,} users, upload mode, to the emulator on loopback",
        n,
        "engine ≥ 0.85 × the bare httpx loop's events/s",
    )
    own = emu is None
    emu = emu or start_emulator()
    try:
        template = queue_db(n, workdir)
        cfg = bench_config(emu.url, "upload")
        bodies, items = upload_bodies(template, cfg)
        result.notes.append(
            f"{items:,} events due (users with a CleverTap ID that pass the pre-check) in "
            f"{len(bodies)} requests of ≤{cfg.batch_size}; concurrency {cfg.concurrency}"
        )
        _ratio(
            result, *_pair(result, emu, template, workdir, cfg, reps, bare_upload, bodies, items)
        )
        result.met = result.ratio is not None and result.ratio >= 0.85
        # Context, not the target: with a real round trip's latency (CleverTap is far
        # away), does the engine keep the requests as busy as the bare loop does?
        emu.control.set_faults({"latency": ROUND_TRIP})
        try:
            engine, limit = _pair(
                result,
                emu,
                template,
                workdir,
                cfg,
                1,
                bare_upload,
                bodies,
                items,
                f", {ROUND_TRIP * 1000:.0f} ms round trips",
            )
        finally:
            emu.control.set_faults({})
        result.notes.append(
            f"with {ROUND_TRIP * 1000:.0f} ms added to every request (one run per side; not the "
            f"target): engine ÷ limit = {limit.median / engine.median:.2f}"
        )
        if profile and not result.met:
            _profile_again(result, emu, template, workdir, cfg)
    finally:
        if own:
            emu.stop()
    return result


def bench_sync_latency(
    n: int, workdir: Path, reps: int = 3, emu: EmulatorProcess | None = None, profile: bool = True
) -> BenchResult:
    """Upload sync under CleverTap-like conditions: the emulator holds every request
    100 or 300 ms (a far region's round trip plus CleverTap's own time), at concurrency 5
    and at CleverTap's cap of 15; engine and bare loop side by side at each."""
    result = BenchResult(
        "sync_latency",
        f"Sync {n:,} users, upload mode, with CleverTap-like latency",
        n,
        f"engine ≥ {LATENCY_TARGET} × the bare httpx loop's events/s at "
        + " and ".join(f"{lat * 1000:.0f}" for lat in LATENCIES)
        + " ms added per request, concurrency "
        + " and ".join(map(str, CONCURRENCIES)),
    )
    with _emulator(emu) as emu:
        template = queue_db(n, workdir)
        bodies, items = upload_bodies(template, bench_config(emu.url, "upload"))
        result.notes.append(f"{items:,} events due, in {len(bodies)} requests")
        ratios: list[float] = []
        for latency in LATENCIES:
            emu.control.set_faults({"latency": latency})
            try:
                for conc in CONCURRENCIES:
                    cfg = bench_config(emu.url, "upload", concurrency=conc)
                    what = f"{latency * 1000:.0f} ms, concurrency {conc}"
                    engine, limit = _pair(
                        result, emu, template, workdir, cfg, reps, bare_upload, bodies, items,
                        f", {what}",
                    )  # fmt: skip
                    ratio = limit.median / engine.median
                    ratios.append(ratio)
                    result.checks.append(
                        (
                            f"{what}: engine ÷ limit",
                            f"{ratio:.2f} (CPU per 1,000 events: engine "
                            f"{engine.extra['cpu_ms_per_1000']} ms, bare "
                            f"{limit.extra['cpu_ms_per_1000']} ms)",
                            ratio >= LATENCY_TARGET,
                        )
                    )
            finally:
                emu.control.set_faults({})
        # information: the loopback pair, where CPU rather than the network sets the pace
        cfg = bench_config(emu.url, "upload")
        engine, limit = _pair(
            result, emu, template, workdir, cfg, reps, bare_upload, bodies, items, ", loopback"
        )
        result.notes.append(
            f"loopback, concurrency {cfg.concurrency} (information, not the target): engine ÷ "
            f"limit = {limit.median / engine.median:.2f}; CPU per 1,000 events: engine "
            f"{engine.extra['cpu_ms_per_1000']} ms, bare {limit.extra['cpu_ms_per_1000']} ms"
        )
        result.ratio = min(ratios)
        result.ratio_label = "engine events/s ÷ limit events/s (the lowest of the four)"
        result.met = result.ratio >= LATENCY_TARGET
        if profile and not result.met:
            _profile_again(result, emu, template, workdir, cfg)
    return result


@contextmanager
def _emulator(emu: EmulatorProcess | None) -> Iterator[EmulatorProcess]:
    """The emulator given, or one of our own for the run."""
    if emu is not None:
        yield emu
        return
    own = start_emulator()
    try:
        yield own
    finally:
        own.stop()


def bench_sync_attribution(
    n: int, workdir: Path, reps: int = 3, emu: EmulatorProcess | None = None, profile: bool = True
) -> BenchResult:
    result = BenchResult(
        "sync_attribution",
        f"Sync {n:,} users, attribution mode (one GET per install)",
        n,
        "engine ≥ 0.8 × bare httpx GETs of the same URLs",
    )
    own = emu is None
    emu = emu or start_emulator()
    try:
        template = queue_db(n, workdir)
        cfg = bench_config(emu.url, "attribution")
        urls = attribution_urls(template, cfg)
        result.notes.append(f"{len(urls):,} installs due; concurrency {cfg.concurrency}")
        _ratio(
            result,
            *_pair(result, emu, template, workdir, cfg, reps, bare_attribution, urls, len(urls)),
        )
        result.met = result.ratio is not None and result.ratio >= 0.8
        if profile and not result.met:
            _profile_again(result, emu, template, workdir, cfg)
    finally:
        if own:
            emu.stop()
    return result


def _profile_again(
    result: BenchResult, emu: EmulatorProcess, template: Path, workdir: Path, cfg: CleverTapConfig
) -> None:
    from bench.profiling import profile_call

    db = workdir / f"sync-{result.name}-profile.sqlite"
    copy_db(template, db)
    emu.control.reset()
    log(f"{result.name}: profiling one engine run (cProfile, all threads)")
    result.profile = profile_call(lambda: run_sync(db, cfg, Operation.SEND_PENDING))
    for suffix in ("", "-wal", "-shm", ".sync.lock"):
        Path(str(db) + suffix).unlink(missing_ok=True)
