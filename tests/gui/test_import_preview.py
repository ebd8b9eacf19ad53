"""Import: a preview before importing (first rows, which columns map to what, which
are unknown, what would be rejected), the column reference, a template that imports
as is, and the importer's warnings shown in the window."""

from __future__ import annotations

import csv
import time
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from lr_desktop.importer.preview import preview_file, write_template
from lr_desktop.store import connect


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_the_template_imports_as_is(tmp_path: Path) -> None:
    p = preview_file(write_template(tmp_path / "t.csv"))
    assert p.error is None and p.unknown == [] and len(p.rows) == 1
    assert p.rows[0].problem is None and p.rows[0].warning is None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_preview_uses_the_importers_recognition(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "f.csv",
        [
            ["User ID", "attribution_type", "platform", "installed_at", "clevertapId", "colour"],
            ["u1", "ORGANIC", "android", "2026-11-30T10:00:00Z", "ct-1", "blue"],
            ["u2", "ORGANIC", "windows", "2026-11-30T10:00:00Z", "ct-2", "red"],
            # tomorrow: imported (up to two days ahead), with the importer's future warning
            ["u3", "ORGANIC", "ios", _iso(time.time() + 86400), "ct-3", "red"],
        ],
    )
    p = preview_file(path)
    assert dict(p.columns)["user_id"] == "user_id"  # 'User ID', as the importer reads it
    assert "colour" in p.unknown and "user_id" not in p.unknown
    assert [r.number for r in p.rows] == [2, 3, 4]
    assert p.rows[0].problem is None and "platform" in (p.rows[1].problem or "")
    assert p.rows[2].warning and "future" in p.rows[2].warning


def test_the_window_previews_then_imports_and_saves_a_template(
    make_window, qtbot, db_path: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path)
    target = tmp_path / "template.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(target), ""))
    w.template_action.trigger()
    assert target.exists()
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a: ([str(target)], ""))
    w.import_action.trigger()
    dialog = w.importer.preview_dialog
    assert dialog.isVisible()
    assert "Recognised: user_id → user_id" in dialog.summary.text()
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 1).text() == "✔ imports"
    assert "required" in dialog.reference.text() and "optional" in dialog.reference.text()
    with qtbot.waitSignal(w.importer.finished, timeout=30_000):
        dialog.import_button.click()
    conn = connect(db_path)
    assert conn.execute("SELECT user_id FROM installs").fetchall() == [("user-1001",)]
    conn.close()


def test_import_warnings_are_shown_in_the_window(
    make_window, qtbot, db_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = _csv(
        tmp_path / "dup.csv",
        [
            ["user_id", "attribution_type", "platform", "installed_at"],
            ["u1", "ORGANIC", "android", "2026-11-30T10:00:00Z"],
            ["u1", "ORGANIC", "android", "2026-11-30T11:00:00Z"],
        ],
    )
    w = make_window(db_path)
    with qtbot.waitSignal(w.importer.finished, timeout=30_000):
        w.import_files([path])
    box = w.importer.warnings_box
    assert box.isVisible() and "appears in row 2 and again in row 3" in box.text()
    box.close()


def test_the_readme_lists_the_columns_the_importer_uses() -> None:
    from lr_desktop.importer.preview import columns_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert columns_markdown() in readme
