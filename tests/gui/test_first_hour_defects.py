"""Defects a new user met in the first hour (issue 15), each driven through the real window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from .conftest import PASSCODE, PROJECT, TOKEN


def _active(qtbot, w):  # type: ignore[no-untyped-def]
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)


def test_save_and_test_keep_the_focus_on_their_button(
    make_window, qtbot, db_path: Path, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path)
    w.show_section(2)
    _active(qtbot, w)
    view = w.integrations
    view.project_id.setText(PROJECT)
    view.token.setText(TOKEN)
    view.passcode.setText(PASSCODE)
    for button, action in ((view.save_button, "save"), (view.test_button, "test")):
        with qtbot.waitSignal(view.action_finished, timeout=20_000) as done:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert done.args == [action]
        assert QApplication.focusWidget() is not w.linkrunner.key
        assert QApplication.focusWidget() is button


def test_the_title_names_the_app_once(make_window, db_path: Path, emulator) -> None:  # type: ignore[no-untyped-def]
    from lr_desktop import APP_NAME

    from .conftest import emulator_config

    for w in (make_window(db_path, settle=False), make_window(db_path, emulator_config(emulator))):
        title = w.windowTitle()
        # what the window manager shows: Qt appends the display name unless the title ends with it
        shown = title if title.endswith(APP_NAME) else f"{title} — {APP_NAME}"
        assert shown.count(APP_NAME) == 1
    assert "demo" in shown.lower()
