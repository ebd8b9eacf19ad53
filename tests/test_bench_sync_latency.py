"""Smoke test of the upload sync benchmark under CleverTap-like latency (bench/sync.py):
at a tiny N every pair runs, both sides send the same requests, each side's CPU per 1,000
events is reported, and the emulator's latency is taken off again. No time is asserted."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.sync import CONCURRENCIES, LATENCIES, bench_sync_latency, start_emulator
from lr_desktop.emulators.clevertap_process import EmulatorProcess


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    emu = start_emulator()
    try:
        yield emu
    finally:
        emu.stop()


def test_every_latency_and_concurrency_is_measured_side_by_side(
    tmp_path: Path, emulator: EmulatorProcess
) -> None:
    r = bench_sync_latency(300, tmp_path, reps=1, emu=emulator, profile=False)
    cases = [f"{lat * 1000:.0f} ms, concurrency {c}" for lat in LATENCIES for c in CONCURRENCIES]
    assert [check[0] for check in r.checks] == [f"{case}: engine ÷ limit" for case in cases]
    for case in [*cases, "loopback"]:
        engine = r.get(f"engine (run_sync), {case}")
        limit = r.get(f"bare httpx loop (limit), {case}")
        assert len(engine.samples) == len(limit.samples) == 1
        assert engine.items == limit.items > 0
        assert engine.extra["failed"] == 0 and limit.extra["non_200"] == 0
        assert engine.extra["requests"] == limit.extra["requests"]  # the same requests
        assert engine.extra["delivered"] + engine.extra["rejected"] >= engine.items
        for side in (engine, limit):
            assert side.extra["cpu_ms_per_1000"] > 0 and math.isfinite(
                side.extra["cpu_ms_per_1000"]
            )
        if case.endswith("concurrency 15"):
            assert engine.extra["emulator_max_concurrent"] <= 15
    assert r.ratio is not None and r.ratio > 0 and r.met in (True, False)
    assert emulator.control.stats()["in_progress"] == 0
    # the emulator is left as it was found: no latency for whatever runs next
    assert httpx.get(f"{emulator.url}/_emulator/faults").json()["latency"] == 0
