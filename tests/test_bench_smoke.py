"""Smoke tests of the benchmark suite (bench/): every benchmark runs at a tiny N and
produces sane structure. They never assert a time: speed is judged by `python -m bench`."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import data, report
from bench.common import BenchResult, Measurement, machine_info, run_child
from bench.profiling import Sampler

N = 300


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench")


@pytest.fixture(scope="module")
def emulator() -> Iterator[object]:
    from bench.sync import start_emulator

    emu = start_emulator()
    try:
        yield emu
    finally:
        emu.stop()


def _sane(m: Measurement, runs: int) -> None:
    assert len(m.samples) == runs
    assert all(s > 0 and math.isfinite(s) for s in m.samples)


def test_data_is_seeded_and_realistic(workdir: Path) -> None:
    users = list(data.generate(2000))
    assert users == list(data.generate(2000))  # seeded
    organic = sum(u.attribution_type == "ORGANIC" for u in users) / len(users)
    assert 0.3 < organic < 0.5
    assert len({u.ad_network for u in users if u.ad_network}) >= 3
    assert len({u.campaign_name for u in users if u.campaign_name}) >= 5
    assert any(u.clevertap_id is None for u in users)
    path = data.csv_file(N, workdir)
    assert path.read_text().count("\n") == N + 1
    assert data.row_count(data.queue_db(N, workdir)) == N


def test_child_peak_rss_and_time() -> None:
    import sys

    run = run_child([sys.executable, "-c", "x = bytearray(64 * 2**20); print('ok')"])
    assert run.returncode == 0 and run.stdout.strip() == "ok"
    assert run.peak_rss_mb >= 64
    assert run.seconds > 0


def test_import_bench(workdir: Path) -> None:
    from bench.imports import FLOOR, NO_INDEX_FLOOR, bench_import

    r = bench_import(N, workdir, reps=1)
    floor = r.get(FLOOR)
    _sane(floor, 1)
    _sane(r.get(NO_INDEX_FLOOR), 1)
    assert floor.extra["peak_rss_mb"] > 0
    assert not any("stored" in n or "exited" in n for n in r.notes), r.notes
    if r.error:  # the importer is not there yet: reported, not crashed
        assert "import" in r.error
    else:
        project = r.get("lr-desktop import")
        _sane(project, 1)
        assert r.ratio is not None and r.ratio > 0
        assert "peak_rss_mb_at_n_over_4" in project.extra
        assert r.met in (True, False)


def test_sync_upload_bench(workdir: Path, emulator: object) -> None:
    from bench.sync import bench_sync_upload

    r = bench_sync_upload(N, workdir, reps=1, emu=emulator, profile=False)  # type: ignore[arg-type]
    engine, limit = r.get("engine (run_sync)"), r.get("bare httpx loop (limit)")
    _sane(engine, 1)
    _sane(limit, 1)
    assert engine.items == limit.items > 0
    assert engine.extra["delivered"] + engine.extra["rejected"] >= engine.items
    assert engine.extra["failed"] == 0
    assert limit.extra["non_200"] == 0
    assert engine.extra["requests"] == limit.extra["requests"]  # same requests both sides
    assert r.ratio is not None and r.ratio > 0


def test_sync_attribution_bench(workdir: Path, emulator: object) -> None:
    from bench.sync import bench_sync_attribution

    r = bench_sync_attribution(100, workdir, reps=1, emu=emulator, profile=False)  # type: ignore[arg-type]
    engine, limit = r.get("engine (run_sync)"), r.get("bare httpx loop (limit)")
    _sane(engine, 1)
    _sane(limit, 1)
    assert engine.extra["delivered"] == engine.items == limit.items > 0
    assert engine.extra["requests"] == limit.extra["requests"] == engine.items


def test_profiler_sees_threads() -> None:
    import threading
    import time

    sampler = Sampler(interval=0.002)

    def spin() -> None:
        # busy until the sampler has seen this thread (a fixed 0.2 s gave it too few
        # samples once on a loaded machine: two spinning threads hold the GIL)
        me, deadline = threading.get_ident(), time.perf_counter() + 60
        while sampler.samples[me] < 10 and time.perf_counter() < deadline:
            pass

    with sampler:
        t = threading.Thread(target=spin, name="spinner")
        t.start()
        spin()
        t.join()
    text = sampler.summary()
    assert "thread MainThread" in text and "spinner" in text


def _gui_or_skip() -> None:
    pytest.importorskip("PySide6.QtWidgets")
    from bench.gui import gui_missing

    missing = gui_missing()
    if missing:
        pytest.skip(missing)


def test_startup_bench(workdir: Path) -> None:
    _gui_or_skip()
    from bench.startup import bench_startup

    r = bench_startup(N, workdir, reps=1)
    assert not r.error, r.error
    for m in r.measurements:
        _sane(m, 1)
    assert r.ratio is not None and r.ratio > 0


def test_events_table_bench(workdir: Path) -> None:
    _gui_or_skip()
    from bench.gui import OPS, bench_events_table

    r = bench_events_table(N, workdir, reps=1)
    assert not r.error, r.error
    assert len(r.measurements) == 2 * len(OPS)
    for m in r.measurements:
        _sane(m, 1)
    assert len(r.checks) == len(OPS) + 2
    assert r.checks[-1][2], r.checks[-1]  # exact counts, last row reached


def test_responsiveness_bench(workdir: Path, emulator: object) -> None:
    _gui_or_skip()
    from bench.gui import bench_responsiveness

    r = bench_responsiveness(N, workdir, reps=1, emu=emulator)
    assert not r.error, r.error
    doc = r.measurements[0].extra
    assert doc["finished"] and doc["delivered"] > 0
    assert doc["beats"] > 0 and doc["max_gap_ms"] >= doc["median_gap_ms"] > 0


def test_report_writes_markdown(tmp_path: Path) -> None:
    m = Measurement("side A", [0.2, 0.1, 0.3], items=1000)
    r = BenchResult("x", "Example", 1000, "A ≤ 2 × B", [m, Measurement("side B", [0.1])])
    r.ratio, r.met = 2.0, True
    r.checks.append(("A ≤ 2 × B", "2.00×", True))
    missing = BenchResult("y", "Missing", 10, "t", error="not built yet")
    out = tmp_path / "b.md"
    report.write(out, [r, missing], argv=["--quick"], elapsed=1.0, limits="", generator="g")
    text = out.read_text()
    assert "## Machine" in text and machine_info()["Python"] in text
    assert "| Example | 1,000 |" in text and "not built yet" in text
    assert "5,000/s" in text  # 1000 items at the 0.2 s median


def test_upload_steps_times_every_step(workdir: Path) -> None:
    from bench.upload_steps import STEPS, measure

    figures = measure(data.queue_db(N, workdir), workdir, requests=2, batch=100)
    assert set(figures) == {*STEPS, "cpu"}
    assert all(ms > 0 and math.isfinite(ms) for ms in figures.values())


def test_fair_floor_drops_and_recreates_the_imports_indexes(workdir: Path) -> None:
    """The fair floor ends with the same secondary indexes `lr-desktop import` leaves (all
    that the store's bulk load drops); the no-index floor ends with none."""
    import sqlite3

    from bench.data import copy_db, csv_file, empty_db
    from bench.floor_import import floor_import
    from lr_desktop.store.bulk import secondary_indexes

    template = empty_db(workdir)
    csv_path = csv_file(N, workdir)
    with sqlite3.connect(template) as conn:
        before = secondary_indexes(conn)
    assert before, "the migrated database has secondary indexes to drop"
    for mode, expected in (("fair", before), ("noindex", {})):
        db = copy_db(template, workdir / f"floor-{mode}.sqlite")
        assert floor_import(str(db), str(csv_path), mode) == N
        with sqlite3.connect(db) as conn:
            assert secondary_indexes(conn) == expected
            assert conn.execute("SELECT count(*) FROM installs").fetchone()[0] == N


def test_verify_bench(workdir: Path) -> None:
    """Both sides read the same records back from the emulator; no time is asserted."""
    from bench.verify import bench_verify

    r = bench_verify(N, workdir, reps=1)
    project, bare = r.measurements
    _sane(project, 1)
    _sane(bare, 1)
    assert project.extra["api_calls"] == bare.extra["api_calls"] > 0  # the same pages
    assert not any("the check held" in note for note in r.notes), r.notes
    assert r.ratio is not None and r.ratio > 0 and r.met in (True, False)
    from bench.verify import profile_verify

    assert "records in" in profile_verify(N, workdir)  # what a missed target is profiled with


def test_queue_generation_stores_what_an_import_stores(workdir: Path) -> None:
    """bench.data writes the queue straight into the database: the same rows (values,
    fingerprints, event ids, statuses) and indexes as the store's own upsert."""
    import sqlite3

    from lr_desktop.store import connect, transaction
    from lr_desktop.store.queue import upsert_attributions

    by_store, direct = workdir / "by-store.sqlite", workdir / "direct.sqlite"
    conn = connect(by_store)
    with transaction(conn):
        upsert_attributions(conn, list(data.generate(N)), source="bench", now=data.NOW)
    conn.close()
    data.fill_queue(direct, N)
    a, b = sqlite3.connect(by_store), sqlite3.connect(direct)
    rows = "SELECT * FROM installs ORDER BY rowid"
    schema = "SELECT name, sql FROM sqlite_master ORDER BY name"
    assert a.execute(rows).fetchall() == b.execute(rows).fetchall()
    assert a.execute(schema).fetchall() == b.execute(schema).fetchall()
    assert len(b.execute(rows).fetchall()) == N


def test_ten_million_is_gated_by_its_flag() -> None:
    from bench.__main__ import NAMES, TEN_MILLION, parse_args, selected

    assert selected(parse_args([])) == list(NAMES)
    assert selected(parse_args(["--ten-million"])) == list(NAMES) + list(TEN_MILLION)
    assert selected(parse_args(["--ten-million", "--only", "startup"])) == ["startup"]


def test_ten_million_code_path_at_a_tiny_scale(tmp_path: Path) -> None:
    """`--ten-million` at N=400 (the hidden --scale): every piece runs and reports."""
    _gui_or_skip()
    import json

    from bench.__main__ import TEN_MILLION, main

    out, raw = tmp_path / "b.md", tmp_path / "b.json"
    only = [a for name in TEN_MILLION for a in ("--only", name)]
    argv = ["--ten-million", *only, "--scale", "400", "--reps", "1", "--no-profile"]
    assert main([*argv, "--workdir", str(tmp_path), "--out", str(out), "--json", str(raw)]) == 0
    results = {d["name"]: d for d in json.loads(raw.read_text())}
    assert list(results) == list(TEN_MILLION)
    assert all(not d["error"] for d in results.values()), results
    table = results["ten_million_table"]
    assert len(table["measurements"]) == 8 and table["checks"][-1][2]  # exact, last row
    overview = results["ten_million_overview"]["measurements"]
    assert [m["label"] for m in overview][0] == "first paint with data at 400"
    sync = results["ten_million_sync"]["measurements"]
    assert [m["extra"]["failed"] for m in sync] == [0, 0]
    assert all(m["extra"]["delivered"] > 0 for m in sync)
    assert results["ten_million_import"]["measurements"]
    text = out.read_text()
    assert "## Ten million users" in text and "Disk: cached inputs" in text


def test_overview_profile_names_the_statements(workdir: Path) -> None:
    from bench.ten_million import profile_overview

    text = profile_overview(data.queue_db(N, workdir))
    assert "overview_counts:" in text and "overview_charts:" in text
    assert "SELECT status, n FROM summary_status WHERE n != 0" in text


def test_report_shows_pairs_with_definitions_and_limits(tmp_path: Path) -> None:
    from bench.common import Pair

    own, peer = Measurement("engine", [2.0], items=100), Measurement("bare loop", [1.0], items=100)
    r = BenchResult("sync_x", "Sync X", 100, "≥ 0.95×", [own, peer])
    r.pairs = [
        Pair(
            "100 ms, concurrency 5",
            "engine",
            "bare loop",
            "same bodies, no state",
            "≥ 0.95×",
            0.5,
            False,
            False,
        )
    ]
    r.met, r.profile, r.limits = False, "thread X: busy", "the writer thread"
    info = BenchResult("t", "Table", 10, "< 100 ms", [own, peer], met=True)
    info.pairs = [Pair("first rows", "engine", "bare loop", "Qt's model", "information", 2.0)]
    info.checks = [("first rows < 100 ms", "9 ms", True)]
    out = tmp_path / "b.md"
    report.write(out, [r, info], argv=[], elapsed=1.0, limits="", generator="g")
    text = out.read_text()
    assert "same bodies, no state" in text and "0.50×" in text
    assert "[what limits it](#profile-sync-x)" in text and 'id="profile-sync-x"' in text
    assert "**What limits it:** the writer thread" in text
    assert "| Table | 10 | first rows < 100 ms: 9 ms |" in text and "| information |" in text


def test_table_profile_samples_the_app_model(workdir: Path) -> None:
    _gui_or_skip()
    from bench.gui import profile_table

    text = profile_table(data.queue_db(N, workdir))
    assert "thread MainThread" in text and "app_model_ops" in text
