"""The demo's second act: it starts with automatic mode off so the user presses Sync
first; after that first sync it offers automatic mode (pull from Linkrunner every few
seconds and send new attributions at once) and turns it on when accepted."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from lr_desktop.gui.main_window import MainWindow

QUESTION = (
    "Your first sync is done. Turn on automatic mode? The demo's Linkrunner attributes a few "
    "new users every few seconds; the app then pulls them and sends them to CleverTap without "
    "a click (Integrations: “Pull new attributions automatically” and “Send new attributions "
    "to CleverTap automatically”)."
)


class DemoAutomatic(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.offered = False
        self.box: QMessageBox | None = None
        window.sync_panel.finished.connect(self._sync_finished)

    def _sync_finished(self, result: object) -> None:
        from lr_desktop.sync import SyncSummary

        w = self._window
        if self.offered or w.closing or not isinstance(result, SyncSummary):
            return
        if w.source.public().send_automatically:
            return  # already automatic
        self.offered = True
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Automatic mode",
            QUESTION,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            w,
        )
        box.setObjectName("demoAutomatic")
        box.button(QMessageBox.StandardButton.Yes).setText("Turn on automatic mode")
        box.button(QMessageBox.StandardButton.No).setText("Not now")
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(lambda b: self.turn_on() if b is yes else None)
        self.box = box
        box.open()

    def turn_on(self) -> None:
        """Send automatically, and pull automatically at the demo's interval."""
        w = self._window
        if w.closing or w.source.public().send_automatically:
            return
        source, lr = w.source, w.linkrunner_source

        def work(_p: object, _c: object) -> float:
            source.save(replace(source.for_run(), send_automatically=True))
            minutes = lr.settings().pull_interval_minutes
            lr.save_settings(pull_interval_minutes=minutes, auto_pull=True)
            return minutes

        w.runner.start("demo-automatic", work, on_success=self._on)

    def _on(self, minutes: float) -> None:
        w = self._window
        if w.closing:
            return
        w.autopull.configure(True, minutes)
        if w.section_built(2):  # Integrations shows the switches on
            w.integrations.load()
            w.linkrunner.load()
        w.show_status("Automatic mode is on: new attributions are pulled and sent as they arrive.")
