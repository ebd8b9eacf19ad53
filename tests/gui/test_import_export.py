"""Import (menu/drop) with rejections and automatic send; CSV export of filtered rows."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.store import connect
from lr_desktop.sync import SyncSummary

from .conftest import emulator_config

HEADER = "user_id,clevertap_id,platform,attribution_type,ad_network,campaign_name,installed_at\n"


def _file(tmp_path: Path) -> Path:
    rows = [
        f'u{i},ct-{i},android,INORGANIC,META,=HYPERLINK("x"),{1767225600 + i}\n' for i in range(20)
    ]
    rows.append("bad,ct-x,ios,ORGANIC,,,1767225600000\n")  # milliseconds: rejected
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_import_lists_rejections_and_sends_automatically(
    make_window, qtbot, db_path: Path, tmp_path: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    cfg = replace(emulator_config(emulator), send_automatically=True)
    w = make_window(db_path, cfg)
    with (
        qtbot.waitSignal(w.sync_panel.finished, timeout=30_000) as sent,
        qtbot.waitSignal(w.importer.finished, timeout=30_000) as imported,
    ):
        assert w.import_files([_file(tmp_path)])
    report = imported.args[0]
    assert report.imported == 20 and report.rejected == 1
    assert "20 new" in w.status_label.text() or isinstance(sent.args[0], SyncSummary)
    dialog = w.importer.dialog
    assert dialog is not None and dialog.table.rowCount() == 1
    assert "milliseconds" in dialog.table.item(0, 3).text()
    saved = dialog.save_csv(tmp_path / "rejected.csv")
    assert saved is not None and "milliseconds" in saved.read_text(encoding="utf-8-sig")
    dialog.close()
    summary = sent.args[0]
    assert (
        isinstance(summary, SyncSummary) and summary.operation == "send" and summary.delivered == 20
    )
    qtbot.waitUntil(lambda: not w.events.model.is_loading)
    assert w.events.model.rowCount() == 20


def test_dropping_a_file_imports_it(make_window, qtbot, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path)
    w.importer._quiet = True
    mime = QMimeData()
    mime.setUrls(
        [QUrl.fromLocalFile(str(_file(tmp_path))), QUrl.fromLocalFile(str(tmp_path / "x.png"))]
    )
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(w.importer.finished, timeout=30_000):
        w.dropEvent(event)
    qtbot.waitUntil(lambda: w.events.model.rowCount() == 20 and not w.events.model.is_loading)
    assert w.events.network_combo.findData("META") > 0


def test_export_filtered_rows_is_spreadsheet_safe(
    make_window, qtbot, db_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path)
    w.importer._quiet = True
    with qtbot.waitSignal(w.importer.finished, timeout=30_000):
        w.import_files([_file(tmp_path)])
    qtbot.waitUntil(lambda: not w.events.model.is_loading)
    with qtbot.waitSignal(w.events.model.loaded):
        w.events.search.setText("u1")  # u1, u10..u19
    target = tmp_path / "out.csv"
    with qtbot.waitSignal(w.events.export_finished, timeout=30_000) as done:
        w.events.export_csv(target)
    assert done.args[0] == 11
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert len(rows) == 11 and all(r["user_id"].startswith("u1") for r in rows)
    assert all(r["campaign_name"].startswith("'=") for r in rows)
    conn = connect(db_path)
    assert conn.execute("SELECT count(*) FROM installs").fetchone()[0] == 20
    conn.close()
