"""Automatic mode as a background app: a tray icon with the state (last pull, last
send, failures) read from the core's run records, a notification when a run fails or
CleverTap rejects users, and "close to tray" (asked once, remembered in QSettings).

Without a system tray (offscreen, CI, some desktops) there is no icon and closing
the window really closes it; the state and the notifications are still worked out, so
they can be tested."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon

if TYPE_CHECKING:  # the core's automation (and the store under it) loads after the paint
    from PySide6.QtWidgets import QMenu  # with QMessageBox, when needed (not before the paint)

    from lr_desktop.automation import AutomationState
    from lr_desktop.gui.main_window import MainWindow

CLOSE_TO_TRAY_KEY = "tray/close_to_tray"  # "true" | "false"; absent: not asked yet


class TrayController(QObject):
    updated = Signal()  # after the state was read again
    notified = Signal(str, str)  # title, message

    def __init__(self, window: MainWindow, *, available: bool | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self.state: AutomationState | None = None
        self.tooltip = ""
        self.notifications: list[tuple[str, str]] = []
        self.quitting = False
        self._seen: int | None = None  # newest run id already looked at
        self._reading = False
        self.icon: QSystemTrayIcon | None = None
        self.menu: QMenu | None = None
        window.sync_panel.finished.connect(self.refresh)

    # -- automatic mode --------------------------------------------------------------------
    def automatic(self) -> bool:
        w = self.window
        pull = w.runs.made_autopull is not None and w.runs.made_autopull.enabled
        return bool(pull or w.runs.send_automatically())

    def refresh(self, *_args: object) -> None:
        """Read the state again (off the GUI thread) after a run, a pull or a setting."""
        if self._reading or self.window.closing:
            return
        self._reading = True
        db_path, seen = self.window.db_path, self._seen

        def work(_p: Any, _c: Any) -> tuple[AutomationState, list]:
            from lr_desktop.automation import finished_runs_after, read_state
            from lr_desktop.store import connect

            conn = connect(db_path)
            try:
                state = read_state(conn)
                new = [] if seen is None else finished_runs_after(conn, seen)
                return state, new
            finally:
                conn.close()

        task = self.window.runner.start("tray-state", work, on_success=self._read)
        task.done.connect(self._read_ended)

    def _read_ended(self) -> None:
        self._reading = False

    def _read(self, result: tuple[AutomationState, list]) -> None:
        from lr_desktop.automation import notification
        from lr_desktop.automation import tooltip as state_tooltip

        state, new = result
        self.state = state
        self.tooltip = state_tooltip(state)
        first = self._seen is None
        self._seen = max(state.newest_run_id, self._seen or 0)
        if not first:  # runs older than the window are not news
            for run in new:
                note = notification(run)
                if note is not None:
                    self._notify(*note)
        self._show_icon()
        self.updated.emit()

    def _notify(self, title: str, message: str) -> None:
        self.notifications.append((title, message))
        if self.icon is not None and self.icon.isVisible():
            self.icon.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning)
        self.notified.emit(title, message)

    # -- the icon --------------------------------------------------------------------------
    def _show_icon(self) -> None:
        wanted = self.available and self.automatic()
        if wanted and self.icon is None:
            from PySide6.QtWidgets import QMenu

            from lr_desktop.gui.app import app_icon

            self.icon = QSystemTrayIcon(app_icon(), self)
            self.menu = QMenu()
            self.menu.addAction("Open", self.open_window)
            self.menu.addAction("Sync now", self.window.sync_action.trigger)
            self.menu.addSeparator()
            self.menu.addAction("Quit", self.quit)
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._activated)
        if self.icon is not None:
            self.icon.setToolTip(self.tooltip)
            self.icon.setVisible(wanted)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.open_window()

    def open_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    # -- closing ---------------------------------------------------------------------------
    def close_to_tray(self) -> bool:
        """The remembered answer; asked once, the first time it matters."""
        s = self.window._settings()
        value = s.value(CLOSE_TO_TRAY_KEY)
        if value is None:
            value = "true" if self.ask_close_to_tray() else "false"
            s.setValue(CLOSE_TO_TRAY_KEY, value)
            s.sync()
        return str(value).lower() == "true"

    def ask_close_to_tray(self) -> bool:
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self.window,
            "Keep running in the tray?",
            "Automatic mode is on. Keep Linkrunner Desktop running in the system tray when "
            "the window is closed, so pulls and sends go on? (Quit from the tray icon's menu "
            "to stop it.) You will not be asked again.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def hides_on_close(self) -> bool:
        """Closing the window hides it: a tray to go to, automatic mode on, the user
        said so, and no quit (from the tray, a signal) under way."""
        if self.quitting or self.window.closing or not self.available:
            return False
        return self.automatic() and self.close_to_tray()

    def intercept_close(self) -> bool:
        """For the window's closeEvent: True when the window was hidden instead."""
        if not self.hides_on_close():
            return False
        self._show_icon()
        self.window.hide()
        return True

    def quit(self) -> None:
        """Quit from the tray: the window's own close path (which stops the workers)."""
        self.quitting = True
        self.window.close()
        if self.window.closing:
            self.quit_app()
        else:
            self.quitting = False  # the user kept it open (a sync question, unsaved edits)

    def quit_app(self) -> None:
        from PySide6.QtWidgets import QApplication

        # a hidden window's close does not end the app: Qt quits on the last *visible* one
        QTimer.singleShot(0, QApplication.quit)
