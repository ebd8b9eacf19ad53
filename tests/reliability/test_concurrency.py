"""Promise: the events table can be read (pages and counts, as the window does, from
another thread) while a large sync writes, without ever seeing "database is locked";
and two syncs never run at once, even as two real processes started together."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.emulators.httpserver import Request, Response
from lr_desktop.store.overview import status_counts
from lr_desktop.store.reads import EventFilter, EventQuery, open_read, rows_by_rowid
from lr_desktop.store.reads import matching_rowids as gui_matching_rowids
from lr_desktop.sync import run_sync
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, statuses, users
from tests.reliability.conftest import cli_env, query, record_figures, spawn_cli, wait_for


def test_reader_polling_pages_and_counts_never_sees_a_lock(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    n = 30_000
    fill(db_path, users(n))
    emulator.faults = Faults(latency=0.002)
    done = threading.Event()
    errors: list[BaseException] = []
    polls = [0, 0]  # total, while the sync was running
    delivered_seen: list[int] = []

    def reader() -> None:
        conn = open_read(db_path)
        try:
            q_all = EventQuery()
            q_delivered = EventQuery(filter=EventFilter(status="delivered"), sort_key="user_id")
            while True:
                running = not done.is_set()
                counts = status_counts(conn)
                assert counts["attributed"] == n  # every poll sees a consistent snapshot
                ids = gui_matching_rowids(conn, q_all)
                page = rows_by_rowid(conn, list(ids[:200]))
                assert len(page) == 200
                gui_matching_rowids(conn, q_delivered)
                delivered_seen.append(counts["delivered"])
                polls[0] += 1
                polls[1] += running
                if not running:
                    return
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)
        finally:
            conn.close()

    t = threading.Thread(target=reader, name="gui-like-reader")
    t.start()
    try:
        summary = run_sync(db_path, config(emulator.url, batch_size=1000, concurrency=5))
    finally:
        done.set()
        t.join(60)
    assert not t.is_alive()
    assert not errors, errors[0]
    assert summary.delivered == n and statuses(db_path) == {"delivered": n}
    assert polls[1] >= 1
    assert delivered_seen == sorted(delivered_seen)  # counts only ever move forward
    record_figures(
        "reader_during_sync", events=n, reader_polls=polls[0], polls_during_sync=polls[1]
    )


class GatedEmulator(CleverTapEmulator):
    """Holds every CleverTap request until `gate` is opened (and counts who waits)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.gate = threading.Event()
        self.waiting = 0
        super().__init__(*args, **kwargs)

    async def handle(self, req: Request) -> Response:
        if not req.path.startswith("/_emulator/"):
            self.waiting += 1
            while not self.gate.is_set():
                await asyncio.sleep(0.005)
        return await super().handle(req)


@pytest.mark.parametrize("mode", ["upload", "attribution"])
def test_two_sync_processes_started_together_exactly_one_runs(tmp_path: Path, mode: str) -> None:
    db = tmp_path / "lr.sqlite"
    fill(db, users(40))
    with GatedEmulator({PROJECT: (PASSCODE, TOKEN)}) as emu:
        env = cli_env(emu.url, mode)
        procs = [spawn_cli(db, "sync", "--json", env=env) for _ in range(2)]
        try:
            # one process is inside a request (holding the lock); the other has given up
            wait_for(
                lambda: emu.waiting >= 1 and any(p.poll() is not None for p in procs),
                timeout=60,
                what="one sync to hold the lock and the other to exit",
            )
            emu.gate.set()
            results = [(p.wait(60), *p.communicate(timeout=60)) for p in procs]
        finally:
            emu.gate.set()
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait(10)
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results
    winner = next(r for r in results if r[0] == 0)
    loser = next(r for r in results if r[0] == 2)
    assert json.loads(winner[1])["delivered"] == 40
    assert "already running" in loser[2] and "Traceback" not in loser[2]
    assert "already running" in json.loads(loser[1])["error"]
    assert query(db, "SELECT count(*) FROM runs") == [(1,)]
    assert statuses(db) == {"delivered": 40}


def test_sqlite_busy_is_never_raised_to_the_reader_while_a_transaction_is_open(
    db_path: Path,
) -> None:
    """WAL: a reader is not blocked by an open write transaction (the claim/record path)."""
    fill(db_path, users(100))
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE installs SET status = 'in_flight'")
    reader = open_read(db_path)
    reader.execute("PRAGMA busy_timeout = 0")  # would raise "database is locked" at once
    try:
        assert status_counts(reader)["queued"] == 100
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        reader.close()
