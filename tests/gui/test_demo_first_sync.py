"""The demo lets the user press Sync first (automatic pull and send start off), then
offers automatic mode and turns it on."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from lr_desktop.demo import DemoSession


def test_the_demo_waits_for_sync_then_offers_automatic_mode(
    make_window, qtbot, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    with DemoSession(users=80, latency=0.0, pull_interval_seconds=0.3, trickle_every=0.2) as demo:
        assert demo.emulator is not None
        w = make_window(demo.db_path, demo.config)
        qtbot.waitUntil(lambda: w.linkrunner.loaded_once)
        assert not w.integrations.send_automatically.isChecked()
        assert not w.linkrunner.auto_pull.isChecked()
        assert not w.autopull.enabled
        assert demo.emulator.events() == []  # nothing sent before the user clicks
        with qtbot.waitSignal(w.sync_panel.finished, timeout=60_000):
            qtbot.mouseClick(w.sync_panel.sync_button, Qt.MouseButton.LeftButton)
        box = w.demo_automatic.box
        assert box is not None and box.isVisible() and "automatic mode" in box.text()
        with qtbot.waitSignal(w.linkrunner.action_finished, timeout=20_000):
            box.button(QMessageBox.StandardButton.Yes).click()
        assert w.autopull.enabled
        assert w.source.public().send_automatically
        assert w.linkrunner.auto_pull.isChecked() and w.integrations.send_automatically.isChecked()
        w.close()
