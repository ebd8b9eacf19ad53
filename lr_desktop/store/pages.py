"""The events table's pages, Qt-free: which rows sit on a page of a query's display
order (the row locator), a small LRU cache of pages, and the worker side of a reload.
`gui/models/events_model.py` explains the strategies; the model is the Qt face of this.
"""

from __future__ import annotations

import sqlite3
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from lr_desktop.errors import interrupted
from lr_desktop.store import reads
from lr_desktop.store.db import transaction
from lr_desktop.store.reads import COLUMNS, ROW_COLUMNS, EventQuery, Pair

PAGE = 100
MAX_PAGES = 40
LIST_MAX = 20_000  # filtered sets up to this size keep their rowids (<= 160 KB)
ANCHOR_EVERY = 500  # a filtered row's place is at most this far from a known one...
MAX_ANCHORS = 4_000  # ...and the anchors never exceed this many (spacing grows instead)
FIRST_PAGE_BUDGET = 0.02  # worker: seconds to find the first page along the sort index

KEY_POS = {c.key: ROW_COLUMNS.index(c.key) for c in COLUMNS}

Row = tuple[Any, ...]
Texts = tuple[str | None, ...]


@dataclass
class Page:
    ids: list[int]  # rowids in display order (fixed until the next reload)
    keys: list[Any] | None  # their sort keys, for keyset seeks to the neighbours
    rows: list[Row | None] | None = None  # contents, by position; dropped by forget_contents()
    texts: list[Texts | None] | None = None  # display texts, made when first shown


def page_of(query: EventQuery, rows: list[Row]) -> Page:
    key = KEY_POS[query.sort_key]
    return Page([r[0] for r in rows], [r[key] for r in rows], list(rows), [None] * len(rows))


def first_page(
    conn: sqlite3.Connection, query: EventQuery, cancel: threading.Event | None = None
) -> list[Row]:
    """The first PAGE rows: along the sort index when matches come soon (bounded by a
    time budget), else the plan SQLite picks (a filter index, then a sort)."""
    if not query.filter.is_empty():
        try:
            with reads.budget(conn, FIRST_PAGE_BUDGET, cancel):
                return reads.page_rows(conn, query, 0, PAGE)
        except sqlite3.OperationalError as exc:
            if not interrupted(exc) or (cancel is not None and cancel.is_set()):
                raise
    with reads.budget(conn, None, cancel):
        return reads.page_rows(conn, query, 0, PAGE, follow_index=False)


def run_query(
    conn: sqlite3.Connection,
    query: EventQuery,
    emit: Callable[[tuple[Any, ...]], object],
    cancel: threading.Event | None,
    *,
    page: bool = True,
) -> tuple[int, list[Pair]] | None:
    """Worker side of a reload, in one read transaction. Emits ("page", query, rows)
    (only with `page`: the model could not read it at once), then ("count", n, rowids
    or None); returns (spacing, anchors) or None."""
    with transaction(conn, immediate=False):
        if page:
            with reads.budget(conn, None, cancel):
                f = reads.resolve_search(conn, query.filter)
            query = replace(query, filter=f)
            emit(("page", query, first_page(conn, query, cancel)))
        with reads.budget(conn, None, cancel):
            n = reads.count_rows(conn, query.filter)
            ids = None
            if not query.index_ordered() and n <= LIST_MAX:
                ids = reads.all_rowids(conn, query)
            emit(("count", n, ids))
            if ids is not None or query.index_ordered() or n <= PAGE:
                return None
            every = max(ANCHOR_EVERY, -(-n // MAX_ANCHORS))
            return every, reads.anchors(conn, query, every)


@dataclass
class PageCache:
    """The shown query's pages: located by position on `conn` (the caller's thread), a
    page at a time, the last MAX_PAGES kept. `count` is the rows of the query (exact
    once `exact`; until then rows are located from the start only)."""

    query: EventQuery = field(default_factory=EventQuery)
    count: int = 0
    exact: bool = True
    ids: array[int] | None = None  # every matching rowid, only for small sets
    anchors: list[Pair] = field(default_factory=list)
    every: int = ANCHOR_EVERY
    pages: OrderedDict[int, Page] = field(default_factory=OrderedDict)

    def show(self, query: EventQuery, rows: list[Row], count: int) -> None:
        """Another query, with its first page read."""
        self.query = query
        self.ids = None
        self.anchors = []
        self.every = ANCHOR_EVERY
        self.pages = OrderedDict({0: page_of(query, rows)} if rows else {})
        self.count = count
        self.exact = len(rows) < PAGE

    def counted(self, n: int, ids: array[int] | None) -> bool:
        """The exact count arrived; whether it changed. Pages cut short by the
        provisional count are dropped (read again when next asked for)."""
        self.ids = ids
        changed = n != self.count
        if changed:
            for page_no in [p for p, page in self.pages.items() if len(page.ids) < PAGE]:
                del self.pages[page_no]
        self.count = n
        self.exact = True
        return changed

    def forget_contents(self) -> None:
        """Read the pages' rows again when next asked for (same rowids, same places)."""
        for page in self.pages.values():
            page.rows = page.texts = None

    def entry(
        self, conn: sqlite3.Connection, row: int
    ) -> tuple[list[Row | None], list[Texts | None], int] | None:
        """The rows and texts of the page holding `row` (located and read if needed) and
        the row's place on it."""
        if row >= self.count:
            return None  # about to be removed (a new query has fewer rows)
        page_no = row // PAGE
        page = self.pages.get(page_no)
        if page is None:
            page = self.locate(conn, page_no)
            self.pages[page_no] = page
            while len(self.pages) > MAX_PAGES:
                self.pages.popitem(last=False)
        else:
            self.pages.move_to_end(page_no)
        rows, texts = page.rows, page.texts
        if rows is None or texts is None:
            by_id = reads.rows_by_rowid(conn, page.ids)
            rows = page.rows = [by_id.get(r) for r in page.ids]
            texts = page.texts = [None] * len(page.ids)
        i = row - page_no * PAGE
        return (rows, texts, i) if i < len(rows) else None

    def locate(self, conn: sqlite3.Connection, page_no: int) -> Page:
        """Which rows are on a page. From the end only once the count is exact."""
        s = page_no * PAGE
        e = min(s + PAGE, self.count)
        if self.ids is not None:
            return Page(list(self.ids[s:e]), None)
        q, count = self.query, self.count
        from_start = not self.exact or s <= count - e
        pairs: list[Pair]
        if q.index_ordered():  # OFFSET over one index, from the nearer end, is cheap
            if from_start:
                pairs = reads.ordered_slice(conn, q, s, e - s)
            else:
                pairs = reads.ordered_slice(conn, q, count - e, e - s, reverse=True)[::-1]
        else:
            prev, nxt = self.pages.get(page_no - 1), self.pages.get(page_no + 1)
            anchor_pos = (s // self.every) * self.every - 1
            anchor_no = (s // self.every) - 1
            if prev is not None and prev.keys:
                pairs = reads.walk(conn, q, (prev.keys[-1], prev.ids[-1]), e - s)
            elif nxt is not None and nxt.keys and len(nxt.ids) and e - s == PAGE:
                pairs = reads.walk(conn, q, (nxt.keys[0], nxt.ids[0]), e - s, reverse=True)
                pairs.reverse()
            elif 0 <= anchor_no < len(self.anchors) and s - anchor_pos <= count - e:
                skip = s - anchor_pos - 1
                pairs = reads.walk(conn, q, self.anchors[anchor_no], skip + e - s)[skip:]
            elif from_start:
                pairs = reads.ordered_slice(conn, q, s, e - s, follow_index=s < PAGE)
            else:
                pairs = reads.ordered_slice(
                    conn, q, count - e, e - s, reverse=True, follow_index=count - e < PAGE
                )[::-1]
        return Page([r for _k, r in pairs], [k for k, _r in pairs])
