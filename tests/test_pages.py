"""The events table's row locator and page cache, without Qt: every row lands at its
place in the display order whichever way the pages are reached (jumps, forwards,
backwards; OFFSET, a rowid list, anchors or neighbours), and the cache stays bounded."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from lr_desktop.store import pages
from lr_desktop.store.reads import ROW_COLUMNS, EventFilter, EventQuery, open_read
from tests.engine_helpers import fill, users

N = 1500


@pytest.fixture
def conn(db_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pages, "LIST_MAX", 300)
    monkeypatch.setattr(pages, "ANCHOR_EVERY", 130)
    monkeypatch.setattr(pages, "MAX_ANCHORS", 4)
    monkeypatch.setattr(pages, "MAX_PAGES", 3)
    fill(db_path, users(N, without_id_every=7))
    c = open_read(db_path)
    yield c
    c.close()


def _expected(conn: sqlite3.Connection, q: EventQuery) -> list[int]:
    where, params = q.filter.where()
    d = " DESC" if q.descending else ""
    sql = f"SELECT rowid FROM installs WHERE {where} ORDER BY {q.sort_key}{d}, rowid{d}"
    return [r for (r,) in conn.execute(sql, params)]


QUERIES = [
    EventQuery(),  # index ordered: OFFSET from the nearer end
    EventQuery(EventFilter(attribution_type="ORGANIC"), "installed_at", False),  # composite
    EventQuery(EventFilter(platform="android"), "user_id", False),  # anchors and walks
    EventQuery(EventFilter(ad_network="META"), "installed_at", True),  # a rowid list
    EventQuery(EventFilter(status="waiting_id"), "clevertap_id", True),  # NULL keys only
]


@pytest.mark.parametrize("q", QUERIES, ids=range(len(QUERIES)))
def test_every_row_at_its_place(conn: sqlite3.Connection, q: EventQuery) -> None:
    want = _expected(conn, q)
    assert len(want) > 2 * pages.PAGE  # several pages
    cache = pages.PageCache()
    first = pages.first_page(conn, q)
    cache.show(q, first, len(first))
    msgs: list[tuple[Any, ...]] = []
    result = pages.run_query(conn, q, msgs.append, None, page=False)
    assert [m[0] for m in msgs] == ["count"] and msgs[0][1] == len(want)
    cache.counted(msgs[0][1], msgs[0][2])
    if result is not None:
        cache.every, cache.anchors = result
        assert len(cache.anchors) <= pages.MAX_ANCHORS
    n = len(want)
    rows = list(range(n))
    jumps = random.Random(7).sample(rows, min(n, 40))
    got: dict[int, int] = {}
    for r in jumps + rows + rows[::-1]:
        hit = cache.entry(conn, r)
        assert hit is not None
        page_rows, _texts, i = hit
        row = page_rows[i]
        assert row is not None
        got.setdefault(r, row[0])
        assert got[r] == row[0]  # the same row whenever it is asked for
        assert len(cache.pages) <= pages.MAX_PAGES
    assert [got[r] for r in rows] == want
    assert cache.entry(conn, n) is None


def test_a_big_filtered_set_uses_anchors_not_a_rowid_list(conn: sqlite3.Connection) -> None:
    q = QUERIES[2]
    msgs: list[tuple[Any, ...]] = []
    result = pages.run_query(conn, q, msgs.append, None)
    assert [m[0] for m in msgs] == ["page", "count"]
    assert msgs[1][1] > pages.LIST_MAX and msgs[1][2] is None  # memory: no rowid per row
    assert result is not None and result[1]
    assert not conn.in_transaction  # the read transaction ended


def test_forget_contents_rereads_rows_in_place(db_path: Path, conn: sqlite3.Connection) -> None:
    q = EventQuery()
    cache = pages.PageCache()
    first = pages.first_page(conn, q)
    cache.show(q, first, N)
    hit = cache.entry(conn, 0)
    assert hit is not None and hit[0][0] is not None
    rowid = hit[0][0][0]
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("UPDATE installs SET campaign_name = 'renamed' WHERE rowid = ?", (rowid,))
    writer.close()
    cache.forget_contents()
    hit = cache.entry(conn, 0)
    assert hit is not None and hit[0][0] is not None
    row = hit[0][0]
    assert row[0] == rowid and row[ROW_COLUMNS.index("campaign_name")] == "renamed"
