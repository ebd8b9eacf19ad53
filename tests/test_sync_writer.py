"""The engine's combining writer: writes queued while it is busy commit together, all or
nothing, and every caller hears back its own result (or the group's error)."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from lr_desktop.sync.ledger import SyncStore
from lr_desktop.sync.writer import CombiningWriter


def _runs(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return [k for (k,) in conn.execute("SELECT kind FROM runs ORDER BY id")]
    finally:
        conn.close()


def _held_writer(store: SyncStore) -> tuple[CombiningWriter, threading.Event]:
    """A writer whose thread is busy until the returned event is set."""
    writer = CombiningWriter(store)
    release = threading.Event()
    started = threading.Event()

    def busy() -> int:
        started.set()
        release.wait(10)
        return store.start_run("first", "upload")

    writer.submit(busy)
    assert started.wait(10)
    return writer, release


def test_queued_writes_commit_together_and_answer_in_order(db_path: Path) -> None:
    store = SyncStore(db_path)
    writer, release = _held_writer(store)
    futures = [writer.submit(lambda k=k: store.start_run(f"w{k}", "upload")) for k in range(3)]
    release.set()
    ids = [f.result(10) for f in futures]
    writer.shutdown()
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert _runs(db_path) == ["first", "w0", "w1", "w2"]
    store.close()


def test_a_failing_write_takes_its_whole_group_back(db_path: Path) -> None:
    store = SyncStore(db_path)
    writer, release = _held_writer(store)

    def broken() -> None:
        store.conn.execute("INSERT INTO no_such_table VALUES (1)")

    ok_before = writer.submit(lambda: store.start_run("kept?", "upload"))
    bad = writer.submit(broken)
    ok_after = writer.submit(lambda: store.start_run("kept?", "upload"))
    release.set()
    for fut in (ok_before, bad, ok_after):
        with pytest.raises(sqlite3.OperationalError):
            fut.result(10)
    # the writer goes on: a later write on its own is committed
    assert writer.submit(lambda: store.start_run("later", "upload")).result(10)
    writer.shutdown()
    assert _runs(db_path) == ["first", "later"]
    assert not store.conn.in_transaction
    store.close()


def test_a_first_write_goes_ahead_and_cuts_a_group_short(db_path: Path) -> None:
    """Claims (`first`) do not wait for queued results: they commit ahead of them, and a
    group of results stops (committed as far as it got) when one arrives meanwhile."""
    store = SyncStore(db_path)
    writer, release = _held_writer(store)
    during: list[Future[int]] = []

    def a() -> int:
        during.append(writer.submit(lambda: store.start_run("claim2", "upload"), first=True))
        return store.start_run("a", "upload")

    futures = [
        writer.submit(a),
        writer.submit(lambda: store.start_run("b", "upload")),
        writer.submit(lambda: store.start_run("claim1", "upload"), first=True),
    ]
    release.set()
    for fut in futures:
        assert fut.result(10)
    assert during[0].result(10)
    writer.shutdown()
    assert _runs(db_path) == ["first", "claim1", "a", "claim2", "b"]
    assert not store.conn.in_transaction
    store.close()
