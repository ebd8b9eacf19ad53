"""Sync history: every run, newest first; double-click (or Return on) a run to see its
errors grouped by reason, with "Retry failed"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from lr_desktop.gui.models.history_model import HistoryModel
from lr_desktop.run_labels import run_label
from lr_desktop.store import overview, reads
from lr_desktop.store.overview import RUN_COLUMNS

if TYPE_CHECKING:
    from lr_desktop.gui.views.run_detail import RunDetailDialog
    from lr_desktop.gui.workers import TaskRunner


class HistoryView(QWidget):
    def __init__(
        self,
        db_path: Path,
        runner: TaskRunner | None = None,
        retry: Callable[[list[str]], None] | None = None,
        host: Callable[[], str] = lambda: "CleverTap",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._runner = runner
        self._retry = retry
        self._host = host
        self.detail: RunDetailDialog | None = None
        self.model = HistoryModel(self)
        self.table = QTableView(objectName="historyTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(lambda index: self.open_run(index.row()))
        self.table.setToolTip("Double-click a run to see why events failed")
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)

    def refresh(self) -> None:
        conn = reads.open_read(self._db_path)
        try:
            self.model.set_rows(overview.runs(conn))
        finally:
            conn.close()

    def open_run(self, row: int) -> RunDetailDialog | None:
        """The run's errors grouped by reason (a dialog; loads in a worker)."""
        from lr_desktop.gui.views.run_detail import RunDetailDialog

        values = self.model.row(row)
        if values is None or self._runner is None:
            return None
        run = dict(zip(RUN_COLUMNS, values, strict=False))
        run["kind_text"] = run_label(run.get("kind"), run.get("mode"))
        run["total_text"] = self.model.total_text(row)
        self.detail = RunDetailDialog(
            self._db_path, run, self._runner, self._retry or (lambda _ids: None), self._host(), self
        )
        self.detail.open()
        return self.detail
