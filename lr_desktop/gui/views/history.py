"""Sync history: every run, newest first."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from lr_desktop.gui import queries
from lr_desktop.gui.models.history_model import HistoryModel


class HistoryView(QWidget):
    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self.model = HistoryModel(self)
        self.table = QTableView(objectName="historyTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)

    def refresh(self) -> None:
        conn = queries.open_read(self._db_path)
        try:
            self.model.set_rows(queries.runs(conn))
        finally:
            conn.close()
