"""Run bookkeeping in one place: a run row is created 'running', records its counts,
and dead 'running' rows of one kind are marked interrupted without touching others."""

from __future__ import annotations

import json
from pathlib import Path

from lr_desktop.store import connect, runs, transaction


def test_a_run_is_started_recorded_and_dead_ones_interrupted(tmp_path: Path) -> None:
    conn = connect(tmp_path / "q.db")
    with transaction(conn):
        pull = runs.start_run(conn, "pull", "api")
        imp = runs.start_run(conn, "import", "file")
        runs.record_run(conn, pull, "finished", total=5, rejected=1, error=None, detail={"a": 1})
    row = conn.execute(
        "SELECT kind, mode, state, total, rejected, detail, ended_at FROM runs WHERE id = ?",
        (pull,),
    ).fetchone()
    assert row[:5] == ("pull", "api", "finished", 5, 1)
    assert json.loads(row[5]) == {"a": 1} and row[6] is not None
    with transaction(conn):
        assert runs.interrupt_running(conn, "pull") == 0  # the finished pull stays
        assert runs.interrupt_running(conn, "import", "it died") == 1
    assert conn.execute("SELECT state, error FROM runs WHERE id = ?", (imp,)).fetchone() == (
        "interrupted",
        "it died",
    )
    conn.close()
