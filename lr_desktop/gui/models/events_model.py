"""The install events table: lazy, SQL-sorted and SQL-filtered (after Anki's browser).

The model keeps only the matching rowids in display order (an `array`, computed off the
GUI thread on its own connection) and a small LRU cache of pages of rows, fetched by
rowid on demand from its own read connection. `refresh_rows()` drops the cache and repaints
what is visible, so a timer can keep the table current while a sync writes.
"""

from __future__ import annotations

import time
from array import array
from collections import OrderedDict
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
from lr_desktop.gui.queries import COLUMNS, ROW_COLUMNS, EventQuery
from lr_desktop.gui.workers import TaskRunner
from lr_desktop.model import STATUS_LABELS

PAGE = 100
MAX_PAGES = 40
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


class EventsModel(QAbstractTableModel):
    USER_ID_ROLE = _ROLE_USER_ID
    loaded = Signal()  # a query's rowids arrived and the model was reset
    loading = Signal(bool)

    def __init__(self, db_path: Path, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._runner = runner
        self._conn = queries.open_read(self._db_path)
        self._query = EventQuery()
        self._ids: array = array("q")
        self._pages: OrderedDict[int, dict[int, tuple]] = OrderedDict()
        self._generation = 0
        self._pending = False
        self._closed = False

    # -- querying ------------------------------------------------------------------------
    @property
    def query(self) -> EventQuery:
        return self._query

    def set_query(self, query: EventQuery) -> None:
        self._query = query
        self.reload()

    def reload(self) -> None:
        """Recompute the matching rowids in a worker; the table updates when they arrive."""
        if self._closed:
            return
        self._generation += 1
        generation = self._generation
        query = self._query
        path = self._db_path

        def work(_progress: Any, _cancel: Any) -> array:
            conn = queries.open_read(path)
            try:
                return queries.matching_rowids(conn, query)
            finally:
                conn.close()

        self._pending = True
        self.loading.emit(True)
        self._runner.start(
            "events-query", work, on_success=lambda ids: self._apply(generation, ids)
        )

    def _apply(self, generation: int, ids: array) -> None:
        if generation != self._generation:
            return  # a newer query is on its way
        self.beginResetModel()
        self._ids = ids
        self._pages.clear()
        self.endResetModel()
        self._pending = False
        self.loading.emit(False)
        self.loaded.emit()

    @property
    def is_loading(self) -> bool:
        return self._pending

    def refresh_rows(self) -> None:
        """Drop cached rows and repaint: the rows' contents changed (a sync is writing)."""
        self._pages.clear()
        if self._ids and not self._closed:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1)
            )

    def close(self) -> None:
        self._generation += 1
        self._closed = True
        self._conn.close()

    # -- rows ------------------------------------------------------------------------------
    def _row(self, row: int) -> tuple | None:
        page_no = row // PAGE
        page = self._pages.get(page_no)
        if page is None:
            ids = self._ids[page_no * PAGE : (page_no + 1) * PAGE]
            page = queries.rows_by_rowid(self._conn, ids)
            self._pages[page_no] = page
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        return page.get(self._ids[row])

    def user_id(self, row: int) -> str | None:
        if not 0 <= row < len(self._ids):
            return None
        r = self._row(row)
        return None if r is None else r[1]

    def row_values(self, row: int) -> dict[str, Any] | None:
        r = self._row(row) if 0 <= row < len(self._ids) else None
        return None if r is None else dict(zip(ROW_COLUMNS, r, strict=True))

    # -- Qt model API ---------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

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
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
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
