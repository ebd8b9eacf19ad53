"""Help → About: versions, folders, and diagnostics that carry no secret and no user id."""

from __future__ import annotations

from pathlib import Path

import PySide6
from PySide6.QtCore import QTimer, qVersion
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel

from lr_desktop import __version__
from lr_desktop.gui.about import AboutDialog
from lr_desktop.paths import log_dir
from lr_desktop.store import connect
from tests.gui.conftest import PASSCODE, TOKEN, emulator_config


def test_about_shows_versions_and_folders_and_copies_redacted_diagnostics(
    make_window, sample_db: Path, emulator, qtbot
) -> None:  # type: ignore[no-untyped-def]
    window = make_window(sample_db, emulator_config(emulator))
    seen: dict[str, object] = {}

    def inspect() -> None:  # runs inside the dialog's own event loop
        dialog = QApplication.activeModalWidget()
        seen["dialog"] = dialog
        seen["labels"] = " ".join(label.text() for label in dialog.findChildren(QLabel))
        seen["copied"] = dialog.copy_diagnostics()
        seen["clipboard"] = QGuiApplication.clipboard().text()
        dialog.reject()

    QTimer.singleShot(0, inspect)
    window.findChild(QAction, "about").trigger()

    assert isinstance(seen["dialog"], AboutDialog)
    labels = str(seen["labels"])
    for shown in (
        __version__,
        qVersion(),
        PySide6.__version__,
        sample_db.name,
        str(log_dir().name),
    ):
        assert shown in labels
    text = str(seen["copied"])
    assert seen["clipboard"] == text
    assert (
        f"Linkrunner Desktop: {__version__}" in text and f"PySide6: {PySide6.__version__}" in text
    )
    assert f"Database: {sample_db}".replace(str(Path.home()), "~") in text
    conn = connect(sample_db)
    ids = [
        v for row in conn.execute("SELECT user_id, clevertap_id FROM installs") for v in row if v
    ]
    conn.close()
    assert ids and not [i for i in ids if i in text]
    assert TOKEN not in text and PASSCODE not in text
