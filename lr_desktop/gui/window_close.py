"""Closing the window, and what it remembers between runs.

Closing goes: to the tray when automatic mode says so (`TrayController`); else the
questions (unsaved Integrations edits, a running sync); then every background task is
stopped and waited for, and the geometry, the open section and the table's layout are
saved (QSettings). The questions are the window's own methods, so tests answer them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings

from lr_desktop import APP_ID
from lr_desktop.gui.sections import EVENTS, INTEGRATIONS, SECTIONS

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from lr_desktop.gui.main_window import MainWindow

ORGANIZATION = "Linkrunner"


def settings() -> QSettings:
    return QSettings(ORGANIZATION, APP_ID)


def restore_state(w: MainWindow) -> None:
    s = settings()
    geometry = s.value("window/geometry")
    if geometry is not None:
        w.restoreGeometry(geometry)
    else:
        w.resize(1280, 800)
    state = s.value("window/state")
    if state is not None:
        w.restoreState(state)
    w.sections.events_splitter = s.value("events/splitter")
    section = s.value("window/section", 0, type=int)
    assert isinstance(section, int)
    w.sidebar.setCurrentRow(section if 0 <= section < len(SECTIONS) else 0)


def save_state(w: MainWindow) -> None:
    s = settings()
    s.setValue("window/geometry", w.saveGeometry())
    s.setValue("window/state", w.saveState())
    events = w.sections.built(EVENTS)
    if events is not None:  # else the state restored at start is still current
        s.setValue("events/splitter", events.splitter.saveState())
        events.columns.save()
    s.setValue("window/section", w.sidebar.currentRow())
    s.sync()


def close_dialogs(w: MainWindow) -> None:
    """Close any dialog first (its own event loop would keep the app running)."""
    from PySide6.QtWidgets import QApplication, QDialog

    for _ in range(10):  # nested dialogs, innermost first; bounded if one refuses
        modal = QApplication.activeModalWidget()
        if modal is None or modal is w:
            break
        if isinstance(modal, QDialog):
            modal.reject()  # also a message box without an Escape button
        else:
            modal.close()


def ask_close_during_sync(w: MainWindow) -> bool:
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        w,
        "A sync is running",
        "A sync with CleverTap is running. Stop it and quit? Events not yet sent stay queued "
        "for the next sync.",
    )
    return answer == QMessageBox.StandardButton.Yes


def unsaved_integrations(w: MainWindow) -> list[str]:
    """The Integrations boxes with edits not saved."""
    view = w.sections.built(INTEGRATIONS)
    form = w.sections.linkrunner
    out = []
    if view is not None and view.unsaved.dirty:
        out.append("CleverTap")
    if form is not None and form.unsaved.dirty:
        out.append("Linkrunner")
    return out


def ask_discard_edits(w: MainWindow, boxes: list[str]) -> bool:
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        w,
        "Unsaved changes",
        f"The {' and '.join(boxes)} settings under Integrations have changes that are not "
        "saved. Quit without saving them?",
    )
    return answer == QMessageBox.StandardButton.Yes


def handle_close(w: MainWindow, event: QCloseEvent) -> None:
    """The window's closeEvent."""
    if w.tray.intercept_close():  # close to tray: automation goes on
        event.ignore()
        return
    unsaved = [] if w.closing else w.unsaved_integrations()
    if unsaved and not w.confirm_discard_edits(unsaved) and not w.closing:
        w.show_section(INTEGRATIONS)
        event.ignore()
        return
    said_no = not w.closing and w.sync_panel.running and not w.confirm_close_during_sync()
    if said_no and not w.closing:  # closing by now: a signal came during the question
        event.ignore()
        return
    w.closing = True
    w.show_status("Stopping background work…")
    w.runs.stop()
    w.runner.shutdown()
    save_state(w)
    events = w.sections.built(EVENTS)
    if events is not None:
        events.close_db()
    event.accept()
    w.closed.emit()
