"""Import of Linkrunner export files (CSV/JSON/JSONL) with the core's importer, in a
worker with progress; rejected rows are listed with reasons and can be saved as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lr_desktop.gui import changes
from lr_desktop.gui.workers import Task, TaskRunner

IMPORT_SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson")
MAX_SHOWN = 5000  # rejections listed in the dialog (all of them go into the CSV)


def importable(path: Path) -> bool:
    return path.suffix.lower() in IMPORT_SUFFIXES


def describe_report(report: Any) -> str:
    """The importer's report, in words."""
    head = "Import cancelled" if getattr(report, "cancelled", False) else "Import finished"
    parts = [
        f"{getattr(report, name, 0):,} {label}"
        for name, label in (
            ("read", "read"),
            ("imported", "new"),
            ("updated", "updated"),
            ("unchanged", "unchanged"),
            ("rejected", "rejected"),
        )
    ]
    text = f"{head}: " + ", ".join(parts) + "."
    unusable = list(getattr(report, "unusable", []) or [])
    if unusable:
        text += " Not read: " + "; ".join(unusable) + "."
    warnings = list(getattr(report, "warnings", []) or [])
    if warnings:
        text += " " + " ".join(warnings)
    return text


def describe_progress(p: Any) -> str:
    name = Path(str(getattr(p, "file", ""))).name
    total = getattr(p, "bytes_total", 0) or 0
    pct = f" ({100 * p.bytes_read // total}%)" if total else ""
    return (
        f"Importing {name}{pct}: {p.rows_read:,} rows read, {p.imported:,} new, "
        f"{p.updated:,} updated, {p.rejected:,} rejected"
    )


class RejectionsDialog(QDialog):
    def __init__(self, report: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rejectionsDialog")
        self.setWindowTitle("Rows that were not imported")
        self._report = report
        rows = list(report.rejections)
        table = QTableWidget(min(len(rows), MAX_SHOWN), 4, self, objectName="rejectionsTable")
        table.setHorizontalHeaderLabels(["File", "Row", "User ID", "Reason"])
        for r, (file, row, user_id, reason) in enumerate(rows[:MAX_SHOWN]):
            for c, value in enumerate((Path(str(file)).name, row, user_id, reason)):
                table.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        more = (
            f" (the first {MAX_SHOWN:,} are shown; the CSV has all)"
            if len(rows) > MAX_SHOWN
            else ""
        )
        label = QLabel(f"{len(rows):,} rows were not imported{more}:")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = buttons.addButton("Save as CSV…", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(lambda: self.save_csv())
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(label)
        lay.addWidget(table, 1)
        lay.addWidget(buttons)
        self.resize(860, 420)

    def save_csv(self, target: Path | None = None) -> Path | None:
        from lr_desktop.importer import write_rejections_csv

        if target is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "Save rejected rows", "rejected-rows.csv", "CSV (*.csv)"
            )
            if not name:
                return None
            target = Path(name)
        write_rejections_csv(self._report, target)
        return target


class ImportFlow(QObject):
    started = Signal()
    progressed = Signal(str)
    finished = Signal(object)  # the ImportReport, or the exception

    def __init__(self, db_path: Path, runner: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._runner = runner
        self._parent = parent
        self._task: Task[Any] | None = None
        self.dialog: RejectionsDialog | None = None
        self.last_report: Any = None
        self._quiet = False  # tests and scripts: no dialog

    @property
    def running(self) -> bool:
        return self._task is not None

    def choose_and_import(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self._parent,
            "Import Linkrunner attribution files",
            "",
            "Attribution files (*.csv *.json *.jsonl *.ndjson);;All files (*)",
        )
        if names:
            self.preview([Path(n) for n in names])

    def preview(self, paths: Sequence[Path]) -> None:
        """Show what the files hold first; Import in the preview starts the import."""
        from lr_desktop.gui.import_preview import ImportPreviewDialog

        self.preview_dialog = ImportPreviewDialog(paths, self._parent)
        self.preview_dialog.accepted.connect(lambda: self.start(paths))
        self.preview_dialog.open()

    def save_template(self, target: Path | None = None) -> Path | None:
        """File > Save import template: the documented columns and an example row."""
        from lr_desktop.gui.file_dialogs import save_path
        from lr_desktop.importer.preview import write_template

        target = target or save_path(
            self._parent, "Save import template", "attribution-template.csv", "CSV (*.csv)"
        )
        return write_template(target) if target is not None else None

    def start(self, paths: Sequence[Path]) -> bool:
        if self._task is not None:
            return False
        from lr_desktop.importer import import_files

        path = self._db_path
        files = [Path(p) for p in paths]

        def work(progress: Any, cancel: Any) -> Any:
            # the wait for another import's lock is told through the same queued signal
            return import_files(path, files, progress=progress, cancel=cancel, waiting=progress)

        self._task = self._runner.start(
            "import",
            work,
            on_success=self._succeeded,
            on_failure=self._failed,
            on_progress=lambda p: self.progressed.emit(
                f"Import: {p}" if isinstance(p, str) else describe_progress(p)
            ),
            on_done=self._ended,
            changes=changes.of_import,
        )
        self.started.emit()
        return True

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _succeeded(self, report: Any) -> None:
        self.last_report = report
        if getattr(report, "rejections", None) and not self._quiet:
            self.dialog = RejectionsDialog(report, self._parent)
            self.dialog.open()
        elif getattr(report, "warnings", None) and not self._quiet:
            shown = list(report.warnings)[:10]
            more = len(report.warnings) - len(shown)
            self.warnings_box = QMessageBox(
                QMessageBox.Icon.Information,
                "Imported, with warnings",
                "\n".join(f"• {w}" for w in shown) + (f"\n… and {more} more" if more else ""),
                parent=self._parent,
            )
            self.warnings_box.setObjectName("importWarnings")
            self.warnings_box.open()

    def _failed(self, exc: Exception) -> None:
        self.last_report = exc
        box = QMessageBox(QMessageBox.Icon.Warning, "Import failed", str(exc), parent=self._parent)
        box.open()

    def _ended(self) -> None:
        self._task = None
        self.finished.emit(self.last_report)
