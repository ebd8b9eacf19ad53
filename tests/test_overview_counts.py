"""The Overview's counts are `lr-desktop status`'s counts (one function), and both match
a plain table scan of `installs`, on a database holding every delivery state."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from lr_desktop.cli.main import main
from lr_desktop.model import Status
from lr_desktop.store import connect, transaction
from lr_desktop.store.overview import overview_stats, overview_stats_at
from lr_desktop.store.reads import open_read
from tests.engine_helpers import fill, users

N = 200


def _scan(conn: sqlite3.Connection) -> dict[str, int]:
    """The counts by a full scan (GROUP BY and sums): the independent oracle."""
    counts = {str(s): 0 for s in Status}
    counts.update(conn.execute("SELECT status, count(*) FROM installs GROUP BY status"))
    row = conn.execute(
        "SELECT count(*), coalesce(sum(attribution_type = 'ORGANIC'), 0),"
        " coalesce(sum(attribution_type = 'INORGANIC'), 0),"
        " coalesce(sum(clevertap_id IS NULL), 0), coalesce(sum(possibly_duplicated), 0)"
        " FROM installs"
    ).fetchone()
    names = ("attributed", "organic", "inorganic", "without_clevertap_id", "possibly_duplicated")
    counts.update(zip(names, row, strict=True))
    return counts


@pytest.fixture
def seeded(db_path: Path) -> Path:
    fill(db_path, users(N, without_id_every=9))
    conn = connect(db_path)
    states = list(Status)
    with transaction(conn):
        rowids = [r for (r,) in conn.execute("SELECT rowid FROM installs ORDER BY rowid")]
        for n, rowid in enumerate(rowids):
            # uneven shares, so a count landing under the wrong state shows
            state = states[min(n % 17, len(states) - 1)]
            dup = 2 if n % 23 == 0 else (1 if n % 11 == 0 else 0)
            conn.execute(
                "UPDATE installs SET status = ?, possibly_duplicated = ? WHERE rowid = ?",
                (str(state), dup, rowid),
            )
    conn.close()
    return db_path


def test_overview_counts_are_status_counts(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(seeded), "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)["counts"]
    conn = open_read(seeded)
    try:
        scan = _scan(conn)
        at_once = overview_stats(conn).counts
    finally:
        conn.close()
    assert all(scan[str(s)] > 0 for s in Status)  # every state is present
    assert scan["without_clevertap_id"] > 0 and scan["possibly_duplicated"] > 0
    assert 0 < scan["organic"] < scan["attributed"] == N
    assert status == scan
    assert at_once == status
    assert overview_stats_at(seeded).counts == status
