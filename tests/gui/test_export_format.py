"""Exports write times as ISO 8601 UTC (they wrote epoch seconds), and the save dialog
opens in Documents, then in the folder of the last export."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog

from lr_desktop.gui import file_dialogs
from lr_desktop.gui.main_window import ORGANIZATION
from lr_desktop.store import connect

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_export_writes_iso_utc_and_remembers_the_folder(
    make_window, qtbot, sample_db: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    QSettings(ORGANIZATION, "lr-desktop").remove(file_dialogs.SETTINGS_KEY)
    docs = tmp_path / "My Documents"  # Qt reads it from user-dirs.dirs (XDG_CONFIG_HOME: tmp)
    docs.mkdir()
    config = Path(os.environ["XDG_CONFIG_HOME"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "user-dirs.dirs").write_text(f'XDG_DOCUMENTS_DIR="{docs}"\n', encoding="utf-8")
    assert QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) == str(docs)
    asked: list[str] = []
    out_dir = tmp_path / "exports"
    out_dir.mkdir()

    def dialog(_parent, _title, start, _filters):  # type: ignore[no-untyped-def]
        asked.append(start)
        return str(out_dir / f"export{len(asked)}.csv"), "CSV (*.csv)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    view = make_window(sample_db).events
    for _ in range(2):
        with qtbot.waitSignal(view.export_finished, timeout=30_000):
            view.export_csv()
    assert Path(asked[0]).parent == docs
    assert Path(asked[1]).parent == out_dir
    rows = list(csv.DictReader((out_dir / "export1.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 400 and all(ISO.match(r["installed_at"]) for r in rows)
    conn = connect(sample_db)
    uid, ts = conn.execute("SELECT user_id, installed_at FROM installs LIMIT 1").fetchone()
    conn.close()
    from datetime import UTC, datetime

    row = next(r for r in rows if r["user_id"] == uid)
    assert (
        datetime.strptime(row["installed_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        == ts
    )
    QSettings(ORGANIZATION, "lr-desktop").remove(file_dialogs.SETTINGS_KEY)
