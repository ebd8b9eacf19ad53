"""The summary tables the Overview and `lr-desktop status` read (store/summary.py) equal a
full GROUP BY recount of `installs` after any mix of writes: inserts, updates of every
counted column, deletes, bulk loads (triggers dropped, summary rebuilt) and a bulk load
killed between dropping the triggers and rebuilding. The counts read from the summary
equal the range counts they replace."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lr_desktop.model import Status
from lr_desktop.store import connect, summary, transaction
from lr_desktop.store.bulk import MIN_BULK_ROWS, bulk_load
from lr_desktop.store.overview import (
    _scanned_charts,
    _scanned_status_counts,
    overview_charts,
    overview_counts,
    status_counts,
)

ROOT = Path(__file__).resolve().parents[1]
NOW = 1_767_225_600 + 40_000  # mid-day: the chart's first day is a part of a day
DAY = 86400

STATUSES = [str(s) for s in Status] + ["odd state"]
VALUES: dict[str, Any] = {
    "status": st.sampled_from(STATUSES),
    "attribution_type": st.sampled_from(["ORGANIC", "INORGANIC", "OTHER"]),
    "ad_network": st.sampled_from([None, "", "META", "GOOGLE"]),
    "campaign_name": st.sampled_from([None, "", "Summer", "Brand"]),
    "clevertap_id": st.sampled_from([None, "ct-1", "ct-2"]),
    "possibly_duplicated": st.sampled_from([0, 1, 2]),
    # 40 days back to 2 days ahead, on and around day boundaries
    "installed_at": st.one_of(
        st.integers(NOW - 40 * DAY, NOW + 2 * DAY),
        st.integers(-3, 3).map(lambda k: (NOW // DAY - 30) * DAY + k),
        st.integers(-3, 3).map(lambda k: NOW - 30 * DAY + k),
        st.integers(-3, 3).map(lambda k: (NOW // DAY - 3) * DAY + k - 0.5),  # a REAL
        st.sampled_from([-1, -86_400, -86_401, -0.5]),  # before 1970 (a bad file)
    ),
}
COLUMNS = list(VALUES)
row = st.fixed_dictionaries(VALUES)
op = st.one_of(
    st.tuples(st.just("insert"), row),
    st.tuples(st.just("update"), st.integers(0, 10**6), row, st.sets(st.sampled_from(COLUMNS))),
    st.tuples(st.just("delete"), st.integers(0, 10**6)),
    st.tuples(st.just("bulk"), st.lists(row, max_size=6)),
    st.tuples(st.just("crash"), st.lists(row, max_size=4)),
)


Tables = tuple[set[tuple[Any, ...]], ...]


def recount(conn: sqlite3.Connection) -> Tables:
    """The summary as full GROUP BYs of installs compute it (the oracle)."""
    days: dict[tuple[int, str], int] = {}
    for at, kind, n in conn.execute(
        "SELECT installed_at, attribution_type, count(*) FROM installs GROUP BY 1, 2"
    ):
        days[at // DAY, kind] = days.get((at // DAY, kind), 0) + n
    return (
        set(conn.execute("SELECT status, count(*) FROM installs GROUP BY 1")),
        set(
            conn.execute(
                "SELECT sum(clevertap_id IS NULL), sum(possibly_duplicated) FROM installs "
                "HAVING count(*)"
            )
        ),
        {(day, kind, n) for (day, kind), n in days.items()},
        set(
            conn.execute(
                "SELECT attribution_type, ad_network, count(*) FROM installs GROUP BY 1, 2"
            )
        ),
        set(
            conn.execute(
                "SELECT campaign_name, count(*) FROM installs WHERE campaign_name IS NOT NULL "
                "GROUP BY 1"
            )
        ),
    )


def stored(conn: sqlite3.Connection) -> Tables:
    totals = set(conn.execute("SELECT * FROM summary_totals"))
    if not conn.execute("SELECT count(*) FROM installs").fetchone()[0]:
        assert totals == {(0, 0)}
        totals = set()
    return (
        set(conn.execute("SELECT * FROM summary_status WHERE n != 0")),
        totals,
        set(conn.execute("SELECT * FROM summary_days WHERE n != 0")),
        set(conn.execute("SELECT * FROM summary_networks WHERE n != 0")),
        set(conn.execute("SELECT * FROM summary_campaigns WHERE n != 0")),
    )


def _insert(conn: sqlite3.Connection, rows: list[dict[str, Any]], serial: list[int]) -> None:
    for r in rows:
        serial[0] += 1
        conn.execute(
            f"INSERT INTO installs (user_id, platform, {', '.join(COLUMNS)}) "
            f"VALUES (?, 'ios', {', '.join('?' * len(COLUMNS))})",
            (f"u{serial[0]}", *(r[c] for c in COLUMNS)),
        )


def _pick(conn: sqlite3.Connection, k: int) -> int | None:
    rowids = [r for (r,) in conn.execute("SELECT rowid FROM installs ORDER BY rowid")]
    return rowids[k % len(rowids)] if rowids else None


def _apply(
    conn: sqlite3.Connection, path: Path, step: tuple[Any, ...], serial: list[int]
) -> sqlite3.Connection:
    kind = step[0]
    if kind == "insert":
        with transaction(conn):
            _insert(conn, [step[1]], serial)
    elif kind == "update" and (rowid := _pick(conn, step[1])) is not None:
        cols = sorted(step[3]) or ["status"]
        with transaction(conn):
            conn.execute(
                f"UPDATE installs SET {', '.join(f'{c} = ?' for c in cols)} WHERE rowid = ?",
                (*(step[2][c] for c in cols), rowid),
            )
    elif kind == "delete" and (rowid := _pick(conn, step[1])) is not None:
        with transaction(conn):
            conn.execute("DELETE FROM installs WHERE rowid = ?", (rowid,))
    elif kind == "bulk":
        with bulk_load(conn, path, max(MIN_BULK_ROWS, 2 * serial[0])) as bulk:
            assert bulk and not summary.live(conn)
            with transaction(conn):
                _insert(conn, step[1], serial)
            _check_counts(conn)  # stale summary: the counts come from installs
    elif kind == "crash":
        # what a bulk load killed after dropping the triggers leaves: rows the summary
        # has not counted, and no triggers
        with transaction(conn):
            summary.drop_triggers(conn)
            _insert(conn, step[1], serial)
        _check_counts(conn)
        conn.close()
        conn = connect(path)  # the next open rebuilds it
        assert summary.live(conn)
    return conn


def _check_counts(conn: sqlite3.Connection) -> None:
    assert status_counts(conn) == _scanned_status_counts(conn)
    today_ends = (NOW // DAY + 1) * DAY
    assert overview_charts(conn, now=NOW) == _scanned_charts(conn, 30, today_ends)
    counts = overview_counts(conn, top=3)
    assert (
        counts["top_campaigns"]
        == sorted(
            conn.execute(
                "SELECT campaign_name, count(*) FROM installs WHERE campaign_name IS NOT NULL "
                "GROUP BY campaign_name"
            ),
            key=lambda x: (-x[1], x[0]),
        )[:3]
    )


def _at(*times: int) -> list[tuple[Any, ...]]:
    base = {
        "status": "queued",
        "attribution_type": "ORGANIC",
        "ad_network": None,
        "campaign_name": None,
        "clevertap_id": "ct-1",
        "possibly_duplicated": 0,
    }
    return [("insert", {**base, "installed_at": t}) for t in times]


# The chart's first day is the part of it after (newest - 30 days), on either side of
# the day's middle (counted by subtraction, or directly), with installs on its edges.
@example(steps=_at(NOW, NOW - 30 * DAY - 1, NOW - 30 * DAY, NOW - 30 * DAY + 1))
@example(steps=_at(NOW + 10_000, NOW + 10_000 - 30 * DAY, NOW + 10_001 - 30 * DAY))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=25))
def test_summary_equals_a_recount_after_any_writes(steps: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lr.sqlite"
        conn = connect(path)
        serial = [0]
        try:
            for step in steps:
                conn = _apply(conn, path, step, serial)
                assert stored(conn) == recount(conn), step
            _check_counts(conn)
        finally:
            conn.close()


CHANGES = {
    "status": "delivered",
    "attribution_type": "INORGANIC",
    "ad_network": "GOOGLE",
    "campaign_name": "Brand",
    "clevertap_id": None,
    "possibly_duplicated": 1,
    "installed_at": NOW - 3 * DAY,
}


@pytest.mark.parametrize("column", list(CHANGES))
def test_each_counted_column_changed_alone_moves_its_count(db_path: Path, column: str) -> None:
    conn = connect(db_path)
    try:
        with transaction(conn):
            _insert(conn, [_at(NOW)[0][1]] * 2, [0])
        before = stored(conn)
        with transaction(conn):
            conn.execute(f"UPDATE installs SET {column} = ? WHERE rowid = 1", (CHANGES[column],))
        assert stored(conn) != before and stored(conn) == recount(conn)
    finally:
        conn.close()


KILLED_MID_BULK = """
import os, sys
from lr_desktop.store import connect, transaction
from lr_desktop.store.bulk import MIN_BULK_ROWS, bulk_load
path = sys.argv[1]
conn = connect(path)
with bulk_load(conn, path, MIN_BULK_ROWS) as bulk:
    assert bulk
    with transaction(conn):
        conn.executemany(
            "INSERT INTO installs (user_id, platform, attribution_type, installed_at, status)"
            " VALUES (?, 'ios', 'ORGANIC', 1767225600, 'queued')",
            [(f"k{i}",) for i in range(500)],
        )
    os._exit(9)  # killed before the indexes and the summary are rebuilt
"""


def test_a_bulk_load_killed_before_the_rebuild_heals_on_the_next_open(db_path: Path) -> None:
    conn = connect(db_path)
    with transaction(conn):
        _insert(
            conn,
            [
                {
                    **{c: None for c in COLUMNS},
                    **dict(
                        status="delivered",
                        attribution_type="INORGANIC",
                        installed_at=NOW,
                        ad_network="META",
                        campaign_name="Summer",
                        possibly_duplicated=1,
                    ),
                }
            ],
            [0],
        )
    conn.close()
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_MID_BULK, str(db_path)], cwd=ROOT, timeout=120
    )
    assert proc.returncode == 9
    raw = sqlite3.connect(db_path)
    assert not summary.live(raw)  # the kill left the triggers dropped
    assert status_counts(raw)["queued"] == 500  # and the counts still exact, from installs
    raw.close()
    conn = connect(db_path)
    try:
        assert summary.live(conn)
        assert stored(conn) == recount(conn)
        counts = status_counts(conn)
        assert counts["queued"] == 500 and counts["delivered"] == 1 == counts["possibly_duplicated"]
        assert counts["attributed"] == 501 and counts["organic"] == 500
    finally:
        conn.close()
