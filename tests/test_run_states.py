"""Run states are an enum the schema enforces (schema v7): every state the code writes is
accepted, an unknown one is refused, and an older database gains the rule on migration
with its runs intact."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.store import connect, transaction
from lr_desktop.store.schema import SCHEMA_VERSION, V7_RUN_STATES
from lr_desktop.sync import Progress, run_sync
from lr_desktop.sync.types import RunState
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, users

OLD = Path(__file__).parent / "data" / "release-0.1.0-v4.sqlite"  # tests/data/make_v4_db.py


def _insert(conn: sqlite3.Connection, state: str) -> int:
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO runs (kind, mode, started_at, state) VALUES ('sync', 'upload', 0, ?)",
            (state,),
        )
    return int(cur.lastrowid or 0)


def test_the_enum_and_the_schema_agree(db_path: Path) -> None:
    assert {str(s) for s in RunState} == set(V7_RUN_STATES)
    conn = connect(db_path)
    run = _insert(conn, RunState.RUNNING)
    for state in RunState:
        with transaction(conn):
            conn.execute("UPDATE runs SET state = ? WHERE id = ?", (state, run))
        assert _insert(conn, state)
    with pytest.raises(sqlite3.IntegrityError, match="unknown run state"):
        _insert(conn, "exploded")
    with pytest.raises(sqlite3.IntegrityError, match="unknown run state"), transaction(conn):
        conn.execute("UPDATE runs SET state = 'done' WHERE id = ?", (run,))
    assert conn.execute("SELECT state FROM runs WHERE id = ?", (run,)).fetchone()[0] == "crashed"


def test_an_old_database_gains_the_rule_with_its_runs_intact(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    shutil.copy(OLD, db)
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 4
    before = raw.execute("SELECT * FROM runs ORDER BY id").fetchall()
    _insert(raw, "no such state")  # an old schema accepts anything
    raw.commit()
    raw.close()
    assert before

    conn = connect(db)  # migrates
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 7
    after = conn.execute("SELECT * FROM runs ORDER BY id").fetchall()
    assert [r[: len(before[0])] for r in after[: len(before)]] == before
    assert after[-1][5] == "no such state"  # kept as it was: the rule is for new writes
    with pytest.raises(sqlite3.IntegrityError, match="unknown run state"):
        _insert(conn, "no such state")
    assert _insert(conn, RunState.CRASHED)


def test_a_sync_that_raises_is_recorded_as_crashed(db_path: Path) -> None:
    """Before schema v7 listed it, 'crashed' was written; with the rule it must still be."""
    fill(db_path, users(20))

    def explode(_p: Progress) -> None:
        raise RuntimeError("boom")

    with (
        CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as emulator,
        pytest.raises(RuntimeError, match="boom"),
    ):
        run_sync(db_path, config(emulator.url), progress=explode)
    conn = connect(db_path)
    assert conn.execute("SELECT state FROM runs ORDER BY id DESC").fetchone()[0] == "crashed"
