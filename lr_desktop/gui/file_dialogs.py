"""Save dialogs that open where the user works: the folder of the last file saved, else
Documents (not the folder the app was started from)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from lr_desktop import APP_ID

SETTINGS_KEY = "files/last_save_dir"
ORGANIZATION = "Linkrunner"  # main_window.ORGANIZATION


def start_dir() -> Path:
    last = QSettings(ORGANIZATION, APP_ID).value(SETTINGS_KEY)
    if isinstance(last, str) and last and Path(last).is_dir():
        return Path(last)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs) if docs and Path(docs).is_dir() else Path.home()


def remember(path: Path) -> None:
    s = QSettings(ORGANIZATION, APP_ID)
    s.setValue(SETTINGS_KEY, str(path.parent))
    s.sync()


def save_path(parent: QWidget, title: str, name: str, filters: str) -> Path | None:
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start_dir() / name), filters)
    if not chosen:
        return None
    path = Path(chosen)
    remember(path)
    return path
