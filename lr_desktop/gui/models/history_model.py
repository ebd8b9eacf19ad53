"""Sync history: the `runs` table, newest first (small, so loaded whole)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from lr_desktop.gui.models.events_model import fmt_time
from lr_desktop.run_labels import run_label, total_text
from lr_desktop.store.overview import RUN_COLUMNS
from lr_desktop.sync.scope import scope_caption

HEADERS = {
    "id": "Run",
    "started_at": "Started",
    "ended_at": "Ended",
    "kind": "Kind",
    "scope": "Second copies",
    "mode": "Mode",
    "state": "State",
    "total": "Total",
    "delivered": "Delivered",
    "rejected": "Rejected",
    "failed": "Failed",
    "waiting": "Waiting for ID",
    "error": "Error",
    "profiles": "Profiles updated",
}
MODES = {"upload": "Upload Events API", "attribution": "Attribution partner API"}
Index = QModelIndex | QPersistentModelIndex


class HistoryModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple] = []

    def set_rows(self, rows: list[tuple]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, row: int) -> tuple | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def detail(self, row: int) -> dict[str, Any]:
        """The run's stored detail (the JSON after RUN_COLUMNS), {} when there is none."""
        values = self.row(row)
        raw = values[len(RUN_COLUMNS)] if values and len(values) > len(RUN_COLUMNS) else None
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return doc if isinstance(doc, dict) else {}

    def total_text(self, row: int) -> str:
        """What the run's Total counts, with its parts (the Total cell's tooltip)."""
        values = self.row(row) or ()
        col = {k: i for i, k in enumerate(RUN_COLUMNS)}
        return total_text(
            values[col["kind"]] if values else None,
            values[col["state"]] if values else None,
            int(values[col["total"]] or 0) if values else 0,
            self.detail(row),
        )

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(RUN_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return HEADERS[RUN_COLUMNS[section]] if 0 <= section < len(RUN_COLUMNS) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        key = RUN_COLUMNS[index.column()]
        value = self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "total" and value is not None:
                return self.total_text(index.row())
            return str(value) if key == "error" and value else None
        if value is None:
            return ""
        if key in ("started_at", "ended_at"):
            return fmt_time(value)
        if key == "kind":  # named as a marketer reads it: "Send pending", "Full sync", …
            row = self._rows[index.row()]
            return run_label(value, row[RUN_COLUMNS.index("mode")], row[RUN_COLUMNS.index("scope")])
        if key == "scope":
            return scope_caption(value)
        if key == "mode":
            return MODES.get(value, value)
        if isinstance(value, int) and key != "id":
            return f"{value:,}"
        return str(value)
