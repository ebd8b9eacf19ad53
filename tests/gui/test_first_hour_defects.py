"""Defects a new user met in the first hour (issue 15), each driven through the real window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

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


def test_a_small_window_keeps_sync_visible_and_the_toolbar_one_height(
    make_window, qtbot, sample_db: Path
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QToolBar

    w = make_window(sample_db)
    w.resize(640, 420)
    qtbot.waitUntil(lambda: w.width() >= 800 and w.height() >= 560)  # its minimum size
    toolbar = w.findChild(QToolBar, "mainToolbar")
    button = w.sync_panel.sync_button
    qtbot.waitUntil(lambda: button.isVisible())
    top_left = button.mapTo(w, button.rect().topLeft())
    assert w.rect().contains(top_left) and button.width() > 50
    height = toolbar.height()
    w.sync_panel.label.setText("CleverTap answered 503 Service Unavailable to every request. " * 8)
    w.sync_panel.resend.setChecked(True)  # the long re-send warning
    qtbot.wait(20)  # layouts settle on posted events; nothing else to await
    assert toolbar.height() == height
    assert w.sync_panel.label.text().startswith("⚠ Re-sending")  # the full text is kept
    assert w.sync_panel.label.is_cut() and w.sync_panel.label.toolTip() == w.sync_panel.label.text()
    w.sync_panel.resend.setChecked(False)


def test_every_focusable_widget_shows_its_keyboard_focus(
    make_window, qtbot, sample_db: Path
) -> None:  # type: ignore[no-untyped-def]
    from lr_desktop.gui.app import _stylesheet

    app = QApplication.instance()
    app.setStyleSheet(_stylesheet())  # the app's look, as make_app sets it
    try:
        w = make_window(sample_db)
        w.resize(1280, 800)
        _active(qtbot, w)
        unseen = []
        for section in range(4):
            w.show_section(section)
            qtbot.wait(20)  # painting settles; nothing to await
            widgets = [
                x
                for x in w.findChildren(QWidget)
                if x.isVisible() and x.isEnabled() and x.focusPolicy() & Qt.FocusPolicy.TabFocus
            ]
            for x in widgets:
                w.sidebar.setFocus()
                before = x.grab().toImage()
                x.setFocus(Qt.FocusReason.TabFocusReason)
                after = x.grab().toImage()
                if before == after and x is not w.sidebar:
                    unseen.append(f"{section}:{type(x).__name__}:{x.objectName()}")
        assert unseen == []
    finally:
        app.setStyleSheet("")


def test_re_send_in_the_sync_menu_is_a_toggle(make_window, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path, settle=False)
    action, box = w.resend_action, w.sync_panel.resend
    assert action.isCheckable() and not action.isChecked()
    action.trigger()
    assert box.isChecked() and action.isChecked()
    box.setChecked(False)
    assert not action.isChecked()
