"""The install events table: lazy, SQL-sorted and SQL-filtered, in memory that does not
grow with the table.

A query runs in a worker on its own connection (one read snapshot): the first page is
shown as soon as it is read, then the exact count (indexed `count(*)`) sets rowCount.
Without a filter the first page (one LIMIT over the sort index) and max(rowid) as the
count estimate are read at once on the model's connection, and the worker only counts.
Rows are located by position on the model's own read connection, a page at a time:

* no filter, or one filter served by a composite (filter, sort) index:
  `ORDER BY <col>, rowid LIMIT .. OFFSET ..` over that index (it covers the rowids),
  from whichever end is nearer (< 10 ms at 1,000,000 rows);
* a filter matching at most LIST_MAX rows: the worker reads every matching rowid in
  order (at most LIST_MAX * 8 bytes) and pages are fetched by rowid;
* a larger filtered set: keyset seeks (`queries.walk`) from the nearest known row: the
  neighbouring cached page, or one of the sparse anchors (every ANCHOR_EVERY-th row,
  at most MAX_ANCHORS of them) the worker collects after the count.

A small LRU cache keeps PAGE-row pages (their rowids and the rows). `refresh_rows()`
re-reads the cached rows' contents (same rowids, same places) and repaints, so a timer
can keep the table current while a sync writes; `reload()` re-runs the query.
"""

from __future__ import annotations

import sqlite3
import time
from array import array
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from lr_desktop.gui import queries
from lr_desktop.gui.queries import COLUMNS, ROW_COLUMNS, EventQuery, Pair
from lr_desktop.gui.workers import Task, TaskRunner
from lr_desktop.model import STATUS_LABELS

PAGE = 100
MAX_PAGES = 40
LIST_MAX = 20_000  # filtered sets up to this size keep their rowids (<= 160 KB)
ANCHOR_EVERY = 500  # a filtered row's place is at most this far from a known one...
MAX_ANCHORS = 4_000  # ...and the anchors never exceed this many (spacing grows instead)
FIRST_PAGE_BUDGET = 0.02  # seconds to find the first page along the sort index
_ROLE_USER_ID = Qt.ItemDataRole.UserRole + 1
_KEY_POS = {c.key: ROW_COLUMNS.index(c.key) for c in COLUMNS}
_STATUS_COLOURS = {
    "delivered": QColor("#1b7f3b"),
    "rejected": QColor("#b3261e"),
    "failed": QColor("#b36b00"),
    "in_flight": QColor("#1f5fbf"),
    "waiting_id": QColor("#6b6b6b"),
}

Index = QModelIndex | QPersistentModelIndex


def fmt_time(ts: Any) -> str:
    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(int(ts)))


@dataclass
class _Page:
    ids: list[int]  # rowids in display order (fixed until the next reload)
    keys: list[Any] | None  # their sort keys, for keyset seeks to the neighbours
    rows: dict[int, tuple] | None = None  # contents; dropped by refresh_rows()


def first_page(conn: sqlite3.Connection, query: EventQuery, cancel: Any = None) -> list[Pair]:
    """The first PAGE rows: along the sort index when matches come soon (bounded by a
    time budget), else the plan SQLite picks (a filter index, then a sort)."""
    if not query.filter.is_empty():
        try:
            with queries.budget(conn, FIRST_PAGE_BUDGET, cancel):
                return queries.ordered_slice(conn, query, 0, PAGE)
        except sqlite3.OperationalError as exc:
            if "interrupt" not in str(exc) or (cancel is not None and cancel.is_set()):
                raise
    with queries.budget(conn, None, cancel):
        return queries.ordered_slice(conn, query, 0, PAGE, follow_index=False)


def run_query(
    conn: sqlite3.Connection, query: EventQuery, emit: Any, cancel: Any, *, shown: bool = False
) -> Any:
    """Worker side of a reload, in one read transaction. Emits ("page", query, rows)
    (unless the model `shown` it already), then ("count", n, rowids or None); returns
    the anchors (or None)."""
    conn.execute("BEGIN")
    try:
        if shown:
            with queries.budget(conn, None, cancel):
                emit(("count", queries.count_rows(conn, query.filter), None))
            return None
        with queries.budget(conn, None, cancel):
            f = queries.resolve_search(conn, query.filter)
        query = replace(query, filter=f)
        page_ids = [r for _k, r in first_page(conn, query, cancel)]
        by_id = queries.rows_by_rowid(conn, page_ids)
        emit(("page", query, [by_id[r] for r in page_ids if r in by_id]))
        with queries.budget(conn, None, cancel):
            n = queries.count_rows(conn, f)
            ids = None
            if not query.index_ordered() and n <= LIST_MAX:
                ids = queries.all_rowids(conn, query)
            emit(("count", n, ids))
            if ids is not None or query.index_ordered() or n <= PAGE:
                return None
            every = max(ANCHOR_EVERY, -(-n // MAX_ANCHORS))
            return every, queries.anchors(conn, query, every)
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


class EventsModel(QAbstractTableModel):
    USER_ID_ROLE = _ROLE_USER_ID
    first_rows = Signal()  # the first page is shown; the count may still be coming
    loaded = Signal()  # the count arrived: rowCount is final for this query
    loading = Signal(bool)

    def __init__(self, db_path: Path, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._runner = runner
        self._conn = queries.open_read(self._db_path)
        self._query = EventQuery()
        self._n = 0  # rows shown (rowCount)
        self._count = 0  # rows of the current query known so far
        self._ids: array | None = None  # every matching rowid, only for small sets
        self._anchors: list[Pair] = []
        self._every = ANCHOR_EVERY
        self._pages: OrderedDict[int, _Page] = OrderedDict()
        self._generation = 0
        self._pending = False
        self._closed = False
        self._task: Task | None = None

    # -- querying ------------------------------------------------------------------------
    @property
    def query(self) -> EventQuery:
        """The shown query (after a reload: with the search mode that was used)."""
        return self._query

    def set_query(self, query: EventQuery) -> None:
        self._query = query
        self.reload()

    def reload(self) -> None:
        """Re-run the query. Without a filter the first page and an estimated count are
        shown at once; otherwise the rows shown now stay until the worker's first page."""
        if self._closed:
            return
        self._generation += 1
        generation = self._generation
        query = replace(self._query, filter=replace(self._query.filter, substring=False))
        path = self._db_path
        if self._task is not None:
            self._task.cancel()

        shown = query.filter.is_empty()
        if shown:
            # No filter: the first page is one LIMIT over the sort index and max(rowid)
            # estimates the count (exact while rows are never deleted), both O(log n);
            # shown at once, like scrolling reads pages. The worker only counts.
            pairs = queries.ordered_slice(self._conn, query, 0, PAGE)
            by_id = queries.rows_by_rowid(self._conn, [r for _k, r in pairs])
            rows = [by_id[r] for _k, r in pairs if r in by_id]
            estimate = self._conn.execute(
                "SELECT coalesce(max(rowid), 0) FROM installs"
            ).fetchone()[0]
            n = estimate if len(rows) == PAGE else len(rows)
            self._show_page(query, rows, n, estimated=True)
            self._pending = False
            self.loaded.emit()  # again, if the worker's count differs from the estimate
        else:
            self._pending = True
            self.loading.emit(True)

        def work(progress: Any, cancel: Any) -> Any:
            conn = queries.open_read(path)
            try:
                return run_query(conn, query, progress, cancel, shown=shown)
            finally:
                conn.close()

        self._task = self._runner.start(
            "events-query",
            work,
            on_progress=lambda msg: self._progress(generation, msg),
            on_success=lambda result: self._anchored(generation, result),
            on_failure=lambda exc: self._failed(generation, exc),
        )

    def _progress(self, generation: int, msg: tuple) -> None:
        if generation != self._generation or self._closed:
            return  # a newer query is on its way
        if msg[0] == "page":
            _kind, query, rows = msg
            # A full first page: the count follows; until then the rows below stay (blank).
            self._show_page(query, rows, len(rows) if len(rows) < PAGE else max(PAGE, self._n))
        else:
            _kind, n, ids = msg
            self._ids = ids
            if not self._pending and n == self._count:
                return  # the estimate shown was exact
            if n != self._count:
                self._pages.clear()  # located with the estimate
            self._count = n
            self._resize(n)
            self._pending = False
            self.loading.emit(False)
            self.loaded.emit()

    def _show_page(
        self, query: EventQuery, rows: list[tuple], shown: int, *, estimated: bool = False
    ) -> None:
        pages: dict[int, _Page] = {}
        if rows:
            key = _KEY_POS[query.sort_key]
            pages[0] = _Page([r[0] for r in rows], [r[key] for r in rows], {r[0]: r for r in rows})
        self._switch(shown if estimated else len(rows), query, pages, shown)
        self.first_rows.emit()

    def _switch(self, n: int, query: EventQuery, pages: dict[int, _Page], shown: int) -> None:
        """Show another query's rows (`n` known or estimated, `shown` given to views).
        The contents change as a layout change (persistent indexes, i.e. the selection,
        are dropped), then rows are removed or appended: a view's header keeps its
        sections, where a model reset makes it re-create one per row (tens of ms at
        1,000,000 rows)."""
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        self._query = query
        self._ids = None
        self._anchors = []
        self._pages = OrderedDict(pages)
        self._count = n
        self.changePersistentIndexList(old, [QModelIndex()] * len(old))
        self.layoutChanged.emit()
        self._resize(shown)

    def _resize(self, n: int) -> None:
        if n > self._n:
            self.beginInsertRows(QModelIndex(), self._n, n - 1)
            self._n = n
            self.endInsertRows()
        elif n < self._n:
            self.beginRemoveRows(QModelIndex(), n, self._n - 1)
            self._n = n
            self.endRemoveRows()

    def _anchored(self, generation: int, result: Any) -> None:
        if generation != self._generation or self._closed or result is None:
            return
        self._every, self._anchors = result

    def _failed(self, generation: int, exc: Exception) -> None:
        if generation != self._generation or self._closed:
            return  # cancelled (interrupted) because a newer query started
        self._pending = False
        self.loading.emit(False)
        raise exc

    @property
    def is_loading(self) -> bool:
        return self._pending

    def refresh_rows(self) -> None:
        """Re-read the shown rows' contents and repaint: a sync is writing. The rows keep
        their places (and the filter its members) until the next reload."""
        for page in self._pages.values():
            page.rows = None
        if self._n and not self._closed:
            self.dataChanged.emit(self.index(0, 0), self.index(self._n - 1, len(COLUMNS) - 1))

    def close(self) -> None:
        self._generation += 1
        self._closed = True
        if self._task is not None:
            self._task.cancel()
        self._conn.close()

    # -- rows ------------------------------------------------------------------------------
    def _locate(self, page_no: int) -> _Page:
        """Which rows are on a page (GUI thread, the model's connection)."""
        s = page_no * PAGE
        e = min(s + PAGE, self._count)
        if self._ids is not None:
            return _Page(list(self._ids[s:e]), None)
        q, conn = self._query, self._conn
        pairs: list[Pair]
        if q.index_ordered():  # OFFSET over one index, from the nearer end, is cheap
            if s <= self._count - e:
                pairs = queries.ordered_slice(conn, q, s, e - s)
            else:
                pairs = queries.ordered_slice(conn, q, self._count - e, e - s, reverse=True)[::-1]
        else:
            prev, nxt = self._pages.get(page_no - 1), self._pages.get(page_no + 1)
            anchor_pos = (s // self._every) * self._every - 1
            anchor_no = (s // self._every) - 1
            if prev is not None and prev.keys:
                pairs = queries.walk(conn, q, (prev.keys[-1], prev.ids[-1]), e - s)
            elif nxt is not None and nxt.keys and len(nxt.ids) and e - s == PAGE:
                pairs = queries.walk(conn, q, (nxt.keys[0], nxt.ids[0]), e - s, reverse=True)
                pairs.reverse()
            elif 0 <= anchor_no < len(self._anchors) and s - anchor_pos <= self._count - e:
                skip = s - anchor_pos - 1
                pairs = queries.walk(conn, q, self._anchors[anchor_no], skip + e - s)[skip:]
            elif s <= self._count - e:
                pairs = queries.ordered_slice(conn, q, s, e - s, follow_index=s < PAGE)
            else:
                pairs = queries.ordered_slice(
                    conn,
                    q,
                    self._count - e,
                    e - s,
                    reverse=True,
                    follow_index=self._count - e < PAGE,
                )[::-1]
        return _Page([r for _k, r in pairs], [k for k, _r in pairs])

    def _row(self, row: int) -> tuple | None:
        if row >= self._count:
            return None  # about to be removed (a new query has fewer rows)
        page_no = row // PAGE
        page = self._pages.get(page_no)
        if page is None:
            page = self._locate(page_no)
            self._pages[page_no] = page
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        if page.rows is None:
            page.rows = queries.rows_by_rowid(self._conn, page.ids)
        i = row - page_no * PAGE
        return page.rows.get(page.ids[i]) if i < len(page.ids) else None

    def user_id(self, row: int) -> str | None:
        if not 0 <= row < self._n:
            return None
        r = self._row(row)
        return None if r is None else r[1]

    def row_values(self, row: int) -> dict[str, Any] | None:
        r = self._row(row) if 0 <= row < self._n else None
        return None if r is None else dict(zip(ROW_COLUMNS, r, strict=True))

    # -- Qt model API ---------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section].title if 0 <= section < len(COLUMNS) else None
        return str(section + 1)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._n:
            return None
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.ForegroundRole,
            _ROLE_USER_ID,
        ):
            return None
        r = self._row(index.row())
        if r is None:
            return None  # deleted meanwhile
        key = COLUMNS[index.column()].key
        value = r[_KEY_POS[key]]
        if role == _ROLE_USER_ID:
            return r[1]
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = _STATUS_COLOURS.get(r[_KEY_POS["status"]]) if key == "status" else None
            return QBrush(colour) if colour is not None else None
        if key == "last_code":
            return self._answer(r, tooltip=role == Qt.ItemDataRole.ToolTipRole)
        if role == Qt.ItemDataRole.ToolTipRole:
            return None
        return self.display(key, value)

    @staticmethod
    def display(key: str, value: Any) -> str:
        if value is None:
            return ""
        if key in ("installed_at", "last_attempt_at"):
            return fmt_time(value)
        if key == "status":
            return STATUS_LABELS.get(value, str(value))
        if key == "attribution_type":
            return str(value).capitalize()
        return str(value)

    @staticmethod
    def _answer(r: tuple, *, tooltip: bool) -> str | None:
        code = r[_KEY_POS["last_code"]]
        error = r[ROW_COLUMNS.index("last_error")]
        if code is None and not error:
            return None
        text = (
            f"{code}: {error}"
            if code is not None and error
            else str(code if code is not None else error)
        )
        return text if tooltip or len(text) <= 90 else text[:87] + "..."

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        key = COLUMNS[column].key
        if (
            key == self._query.sort_key
            and descending == self._query.descending
            and not self._pending
        ):
            return
        self.set_query(EventQuery(self._query.filter, key, descending))
