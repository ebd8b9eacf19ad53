"""The install events table: lazy, SQL-sorted and SQL-filtered, in memory that does not
grow with the table.

A query shows its first page before anything is counted. Without a search the page is
read at once on the model's connection (one LIMIT over the sort index; a filter without
a composite index gets GUI_PAGE_BUDGET to find its matches along it, else the worker
reads the page); rowCount is then the rows read so far, not a guess. The exact count
(indexed `count(*)`) runs in a worker on its own connection (one read snapshot),
started once control is back in the event loop, so the first rows get painted without
a scan competing for the CPU; when it arrives rowCount grows to it (rows inserted,
`loaded`). A reload of the query already shown keeps its row count meanwhile, so the
scroll position survives a refresh. Until the count is known rows are located from the
start only. Rows are located by position on the model's own read connection, a page at
a time:

* no filter, or one filter served by a composite (filter, sort) index:
  `ORDER BY <col>, rowid LIMIT .. OFFSET ..` over that index (it covers the rowids),
  from whichever end is nearer (< 10 ms at 1,000,000 rows);
* a filter matching at most LIST_MAX rows: the worker reads every matching rowid in
  order (at most LIST_MAX * 8 bytes) and pages are fetched by rowid;
* a larger filtered set: keyset seeks (`reads.walk`) from the nearest known row: the
  neighbouring cached page, or one of the sparse anchors (every ANCHOR_EVERY-th row,
  at most MAX_ANCHORS of them) the worker collects after the count.

A small LRU cache keeps PAGE-row pages (their rowids, the rows and their display
texts, made once per row rather than on every paint). `refresh_rows()` re-reads the
cached rows' contents (same rowids, same places) and repaints, so a timer can keep the
table current while a sync writes; `reload()` re-runs the query.
"""

from __future__ import annotations

import sqlite3
import time
from array import array
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from lr_desktop.errors import interrupted
from lr_desktop.gui.models.verdict_words import verdict_text, verdict_tooltip
from lr_desktop.gui.workers import Task, TaskRunner
from lr_desktop.model import STATUS_LABELS
from lr_desktop.store import reads
from lr_desktop.store.pages import KEY_POS, PAGE, PageCache, run_query
from lr_desktop.store.reads import COLUMNS, ROW_COLUMNS, EventQuery

GUI_PAGE_BUDGET = 0.005  # GUI thread: the same, before leaving the page to the worker

# data() runs for every role of every painted cell (7 roles x ~250 cells a paint): plain
# ints, one set lookup for the roles not answered, and texts made once per row.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_ROLE_USER_ID = int(Qt.ItemDataRole.UserRole.value) + 1
_ROLES = frozenset({_DISPLAY, _TOOLTIP, _FOREGROUND, _ROLE_USER_ID})
_HORIZONTAL = Qt.Orientation.Horizontal
_TITLES = tuple(c.title for c in COLUMNS)
_KEYS = tuple(c.key for c in COLUMNS)
_KEY_POS = KEY_POS
_STATUS_POS = ROW_COLUMNS.index("status")
_STATUS_COL = _KEYS.index("status")
_ANSWER_COL = _KEYS.index("last_code")
_VERDICT_COL = _KEYS.index("ct_verdict")
_VERDICT_POS = tuple(ROW_COLUMNS.index(c) for c in ("ct_verdict", "ct_copies", "ct_fields"))
_CHECK_POS = ROW_COLUMNS.index("ct_check")
_VERDICT_TIP = "What CleverTap held for the user at the last check (Sync > Check CleverTap)"
_STATUS_COLOURS = {
    "delivered": QColor("#1b7f3b"),
    "rejected": QColor("#b3261e"),
    "failed": QColor("#b36b00"),
    "in_flight": QColor("#1f5fbf"),
    "waiting_id": QColor("#6b6b6b"),
    "changed": QColor("#6a4fb3"),  # delivered, then changed: CleverTap holds the old version
    "unmatched": QColor("#a1386b"),  # maybe delivered: CleverTap's answer did not say
}
_STATUS_BRUSHES = {k: QBrush(c) for k, c in _STATUS_COLOURS.items()}
_VERDICT_BRUSHES = {
    "present": _STATUS_BRUSHES["delivered"],
    "missing": _STATUS_BRUSHES["rejected"],
    "duplicated": _STATUS_BRUSHES["failed"],
    "different": _STATUS_BRUSHES["changed"],
}

Index = QModelIndex | QPersistentModelIndex


def fmt_time(ts: Any) -> str:
    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(int(ts)))


class EventsModel(QAbstractTableModel):
    USER_ID_ROLE = _ROLE_USER_ID
    first_rows = Signal()  # the query's first page is shown; the count may still be coming
    loaded = Signal()  # the count arrived: rowCount is exact for this query
    loading = Signal(bool)  # True: the first page comes from the worker (old rows stay)

    def __init__(self, db_path: Path, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._runner = runner
        self._conn = reads.open_read(self._db_path)
        self._query = EventQuery()  # asked for (set_query, sort)
        self._shown_query = EventQuery()  # whose rows are shown
        self._n = 0  # rows shown (rowCount)
        self._rows_shown = False  # the first page of the current reload is shown
        self._cache = PageCache()  # the shown query's located pages
        self._generation = 0
        self._pending = False
        self._closed = False
        self._task: Task | None = None

    # -- querying ------------------------------------------------------------------------
    @property
    def query(self) -> EventQuery:
        """The query asked for (once shown: with the search mode that was used)."""
        return self._query

    @property
    def is_loading(self) -> bool:
        """True until the exact count of the current query is known."""
        return self._pending

    @property
    def rows_shown(self) -> bool:
        """The current query's first rows are shown (the count may still be coming)."""
        return self._rows_shown

    def set_query(self, query: EventQuery) -> None:
        self._query = query
        self.reload()

    def reload(self) -> None:
        """Re-run the query: its first page now when an index finds it quickly, else
        from the worker (the rows shown until then stay); the exact count follows."""
        if self._closed:
            return
        self._generation += 1
        generation = self._generation
        if self._task is not None:
            self._task.cancel()
            self._task = None
        query = replace(self._query, filter=replace(self._query.filter, substring=False))
        keep = self._n if query == self._shown_query else 0  # a refresh keeps its place
        self._pending = True
        self._rows_shown = False
        rows = self._quick_first_page(query)
        if rows is None:
            self.loading.emit(True)
            self._start(generation, query, keep, page=True)
            return
        self._show(query, rows, keep)
        if len(rows) < PAGE:  # all of it: nothing to count
            self._counted(len(rows), None)
        else:  # after this event is handled (and the rows painted)
            QTimer.singleShot(0, self, lambda: self._start(generation, query, keep, page=False))

    def _quick_first_page(self, query: EventQuery) -> list[tuple] | None:
        """The first page on the GUI thread, or None to leave it to the worker (a search,
        or matches too rare along the sort index to find within GUI_PAGE_BUDGET)."""
        if query.filter.search:
            return None
        if query.index_ordered():  # one LIMIT over one index: a few hundred microseconds
            return reads.page_rows(self._conn, query, 0, PAGE)
        try:
            with reads.budget(self._conn, GUI_PAGE_BUDGET):
                return reads.page_rows(self._conn, query, 0, PAGE)
        except sqlite3.OperationalError as exc:
            if not interrupted(exc):
                raise
            return None

    def _start(self, generation: int, query: EventQuery, keep: int, *, page: bool) -> None:
        if generation != self._generation or self._closed:
            return  # a newer query replaced this one before its count started
        path = self._db_path

        def work(progress: Any, cancel: Any) -> Any:
            conn = reads.open_read(path)
            try:
                return run_query(conn, query, progress, cancel, page=page)
            finally:
                conn.close()

        self._task = self._runner.start(
            "events-query",
            work,
            on_progress=lambda msg: self._progress(generation, keep, msg),
            on_success=lambda result: self._anchored(generation, result),
            on_failure=lambda exc: self._failed(generation, exc),
        )

    def _progress(self, generation: int, keep: int, msg: tuple) -> None:
        if generation != self._generation or self._closed:
            return  # a newer query is on its way
        if msg[0] == "page":
            _kind, query, rows = msg
            self.loading.emit(False)
            self._show(query, rows, keep)
        else:
            _kind, n, ids = msg
            self._counted(n, ids)

    def _show(self, query: EventQuery, rows: list[tuple], keep: int) -> None:
        """Show another query's first page: the contents change as a layout change
        (persistent indexes, i.e. the selection, are dropped), then rows are removed or
        appended: a view's header keeps its sections, where a model reset makes it
        re-create one per row (tens of ms at 1,000,000 rows). rowCount: the rows read
        (all of them when the page is not full), or `keep` for a refresh."""
        n = len(rows) if len(rows) < PAGE else max(len(rows), keep)
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        self._query = self._shown_query = query
        self._cache.show(query, rows, n)
        self.changePersistentIndexList(old, [QModelIndex()] * len(old))
        self.layoutChanged.emit()
        self._resize(n)
        self._rows_shown = True
        self.first_rows.emit()

    def _counted(self, n: int, ids: array | None) -> None:
        """The exact count: rowCount becomes it. Pages cut short by the provisional
        count are dropped (they are read again when next painted)."""
        changed = self._cache.counted(n, ids)
        self._resize(n)
        if changed and n:
            self.dataChanged.emit(self.index(0, 0), self.index(n - 1, len(COLUMNS) - 1))
        self._pending = False
        self.loaded.emit()

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
        self._cache.every, self._cache.anchors = result

    def _failed(self, generation: int, exc: Exception) -> None:
        if generation != self._generation or self._closed:
            return  # cancelled (interrupted) because a newer query started
        self._pending = False
        self.loading.emit(False)
        raise exc

    def refresh_rows(self) -> None:
        """Re-read the shown rows' contents and repaint: a sync is writing. The rows keep
        their places (and the filter its members) until the next reload."""
        self._cache.forget_contents()
        if self._n and not self._closed:
            self.dataChanged.emit(self.index(0, 0), self.index(self._n - 1, len(COLUMNS) - 1))

    def close(self) -> None:
        self._generation += 1
        self._closed = True
        if self._task is not None:
            self._task.cancel()
        self._conn.close()

    # -- rows ------------------------------------------------------------------------------
    def _row(self, row: int) -> tuple | None:
        hit = self._cache.entry(self._conn, row) if 0 <= row < self._n else None
        return None if hit is None else hit[0][hit[2]]

    def user_id(self, row: int) -> str | None:
        r = self._row(row)
        return None if r is None else r[1]

    @property
    def db_path(self) -> Path:
        return self._db_path

    def rows_of(self, user_ids: list[str], *, near: int = 0) -> list[int]:
        """The rows showing these users, looked for on the pages already read and on
        the pages around `near` (a bounded search: a user further away is not found)."""
        wanted = set(user_ids)
        around = {p for p in (near // PAGE - 1, near // PAGE, near // PAGE + 1) if p >= 0}
        found = []
        for page_no in sorted(set(self._cache.pages) | around):
            for row in range(page_no * PAGE, min((page_no + 1) * PAGE, self._n)):
                if self.user_id(row) in wanted:
                    found.append(row)
        return found

    def row_values(self, row: int) -> dict[str, Any] | None:
        r = self._row(row)
        return None if r is None else dict(zip(ROW_COLUMNS, r, strict=True))

    # -- Qt model API (flags: QAbstractTableModel's own, enabled and selectable) -----------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _TOOLTIP and orientation == _HORIZONTAL and section == _VERDICT_COL:
            return _VERDICT_TIP
        if role != _DISPLAY:
            return None
        if orientation == _HORIZONTAL:
            return _TITLES[section] if 0 <= section < len(_TITLES) else None
        return str(section + 1)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if role not in _ROLES:
            return None
        row = index.row()  # -1 for an invalid index
        hit = self._cache.entry(self._conn, row) if 0 <= row < self._n else None
        if hit is None:
            return None
        rows, texts, i = hit
        r = rows[i]
        if r is None:
            return None  # deleted meanwhile
        if role == _DISPLAY:
            shown = texts[i]
            if shown is None:
                shown = texts[i] = self._texts(r)
            return shown[index.column()]
        column = index.column()
        if role == _FOREGROUND:
            if column == _VERDICT_COL:
                return _VERDICT_BRUSHES.get(r[_VERDICT_POS[0]])
            return _STATUS_BRUSHES.get(r[_STATUS_POS]) if column == _STATUS_COL else None
        if role == _TOOLTIP:
            if column == _VERDICT_COL:
                verdict, copies, fields = (r[p] for p in _VERDICT_POS)
                return verdict_tooltip(verdict, copies, fields, checked=r[_CHECK_POS] is not None)
            return self._answer(r, tooltip=True) if column == _ANSWER_COL else None
        return r[1]  # USER_ID_ROLE

    @classmethod
    def _texts(cls, r: tuple) -> tuple[str | None, ...]:
        out: list[str | None] = []
        for key, pos in _KEY_POS.items():
            if key == "last_code":
                out.append(cls._answer(r, tooltip=False))
            elif key == "ct_verdict":
                out.append(verdict_text(*(r[p] for p in _VERDICT_POS)))
            else:
                out.append(cls.display(key, r[pos]))
        return tuple(out)

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
        if not 0 <= column < len(COLUMNS) or not COLUMNS[column].sortable:
            return  # the view puts the sort indicator back
        descending = order == Qt.SortOrder.DescendingOrder
        key = COLUMNS[column].key
        if (
            key == self._query.sort_key
            and descending == self._query.descending
            and not self._pending
        ):
            return
        self.set_query(EventQuery(self._query.filter, key, descending))
