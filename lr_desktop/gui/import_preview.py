"""Before an import: the file's first rows, which columns map to what and which are not
used, what the importer would reject, and the column reference (required or not,
formats, an example), all from the core's `importer.preview`."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lr_desktop.importer.preview import COLUMNS, FilePreview, preview_file


def reference_html() -> str:
    rows = "".join(
        f"<tr><td><code>{c.field}</code></td><td>{'required' if c.required else 'optional'}</td>"
        f"<td>{html.escape(c.format)}</td><td><code>{html.escape(c.example)}</code></td></tr>"
        for c in COLUMNS
    )
    return (
        "<b>Columns</b> (a header row names them; CSV, JSON or JSON Lines):"
        f"<table cellspacing='0' cellpadding='2'>{rows}</table>"
        "File &gt; Save import template… writes a CSV with these columns and an example row."
    )


class ImportPreviewDialog(QDialog):
    def __init__(self, paths: Sequence[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importPreview")
        self.setWindowTitle("Import attribution files")
        self.resize(900, 560)
        self.paths = [Path(p) for p in paths]
        self.preview: FilePreview = preview_file(self.paths[0])
        p = self.preview
        more = f" (and {len(self.paths) - 1} more files)" if len(self.paths) > 1 else ""
        self.summary = QLabel(objectName="previewSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(self, objectName="previewTable")
        self.reference = QLabel(reference_html(), objectName="columnReference")
        self.reference.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"<b>{html.escape(self.paths[0].name)}</b>{more}"))
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.reference)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.import_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        if p.error:
            self.summary.setText(f"This file cannot be imported: {p.error}.")
            self.summary.setProperty("error", True)
            self.import_button.setEnabled(len(self.paths) > 1)
            return
        mapped = [f"{n} → {f}" for n, f in p.columns if f is not None]
        text = "Recognised: " + (", ".join(mapped) or "none") + "."
        if p.unknown:
            text += " Not used: " + ", ".join(p.unknown) + "."
        bad = [r for r in p.rows if r.problem]
        if bad:
            text += f" {len(bad)} of the first {len(p.rows)} {p.unit}s would be rejected."
        self.summary.setText(text)
        self._fill_table(p)

    def _fill_table(self, p: FilePreview) -> None:
        names = [n for n, _f in p.columns]
        self.table.setColumnCount(len(names) + 2)
        self.table.setHorizontalHeaderLabels(
            [p.unit.capitalize(), "Check"] + [f"{n}\n→ {f or 'not used'}" for n, f in p.columns]
        )
        self.table.setRowCount(len(p.rows))
        for r, row in enumerate(p.rows):
            check = (
                f"✘ {row.problem}"
                if row.problem
                else f"⚠ {row.warning}"
                if row.warning
                else "✔ imports"
            )
            cells = [str(row.number), check] + [row.values.get(n, "") for n in names]
            for c, value in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
