"""The window's menus, shortcuts and toolbar (the sync and check panels sit in it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

from lr_desktop.gui.sections import SECTIONS

if TYPE_CHECKING:
    from lr_desktop.gui.main_window import MainWindow


def _operation(name: str) -> Any:
    from lr_desktop.sync import Operation

    return Operation[name]


def build_actions(w: MainWindow) -> None:
    """Menus and toolbar; the actions tests and other rooms use become the window's
    attributes (`import_action`, `sync_action`, …)."""

    def action(text: str, slot: Callable[..., Any], *keys: str, name: str = "") -> QAction:
        a = QAction(text, w)
        a.setObjectName(name or text)
        a.triggered.connect(slot)
        if keys:
            # from strings: QKeySequence(QKeySequence) would build PySide6's ~100 Qt
            # enums (~20 ms) just to pick the overload
            a.setShortcuts([QKeySequence(k) for k in keys])
        return a

    w.import_action = action(
        "&Import attribution files…",
        lambda: w.importer.choose_and_import(),
        "Ctrl+I",
        name="importAction",
    )
    # The Install events view owns these three; until it is built they stand in for
    # them (and build it when triggered), then its own actions take their places.
    w.export_action = action(
        "Export filtered rows as CSV…", lambda: w.events.export_csv(), name="exportRows"
    )
    retry = action("Retry selected", lambda: w.events.retry_selected(), name="retryRows")
    copy = action("Copy CleverTap ID", lambda: w.events.copy_clevertap_id(), name="copyClevertapId")
    w.quit_action = action("&Quit", w.close, "Ctrl+Q", name="quitAction")
    w.sync_action = action(
        "&Sync with CleverTap",
        lambda: w.sync_panel.start(_operation("FULL_SYNC")),
        "Ctrl+R",
        "F5",
        name="syncAction",
    )
    w.send_action = action(
        "Send &pending events",
        lambda: w.sync_panel.start(_operation("SEND_PENDING")),
        name="sendAction",
    )
    w.cancel_action = action("&Cancel sync", w.sync_panel.cancel, name="cancelAction")
    w.cancel_action.setEnabled(False)
    w.find_action = action("&Find…", w.find_rows, "Ctrl+F", name="findAction")

    menu = w.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.addAction(w.import_action)
    file_menu.addAction(w.export_action)
    w.template_action = action(
        "Save import &template…", lambda: w.importer.save_template(), name="saveTemplate"
    )
    file_menu.addAction(w.template_action)
    file_menu.addSeparator()
    file_menu.addAction(w.quit_action)
    edit_menu = menu.addMenu("&Edit")
    edit_menu.addAction(w.find_action)
    edit_menu.addAction(retry)
    edit_menu.addAction(copy)
    w.sections.events_proxies = [
        (file_menu, w.export_action, "export_action"),
        (edit_menu, retry, "retry_action"),
        (edit_menu, copy, "copy_action"),
    ]
    view_menu = menu.addMenu("&View")
    for i, name in enumerate(SECTIONS):
        view_menu.addAction(
            action(
                name,
                lambda _=False, i=i: w.show_section(i),
                f"Ctrl+{i + 1}",
                name=f"section{i}",
            )
        )
    sync_menu = menu.addMenu("&Sync")
    sync_menu.addAction(w.sync_action)
    sync_menu.addAction(w.send_action)
    sync_menu.addAction(w.cancel_action)
    w.check_action = action("Check &CleverTap…", lambda: w.check_panel.start(), name="checkAction")
    sync_menu.addAction(w.check_action)
    resend = w.sync_panel.resend  # a toggle in the menu too, kept in step with the box
    w.resend_action = QAction(resend.text(), w, checkable=True)
    w.resend_action.setObjectName("resendAction")
    w.resend_action.toggled.connect(resend.setChecked)
    resend.toggled.connect(w.resend_action.setChecked)
    sync_menu.addAction(w.resend_action)
    w.send_changed_action = action(  # asks with the count first (sync_panel)
        "Send c&orrected events…", w.sync_panel.send_changed, name="sendChangedAction"
    )
    sync_menu.addAction(w.send_changed_action)
    help_menu = menu.addMenu("&Help")
    help_menu.addAction(action("Open log folder", w.open_logs, name="openLogs"))
    help_menu.addAction(action("About", w.about, name="about"))

    toolbar = QToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(16, 16))
    toolbar.addAction(w.import_action)
    toolbar.addSeparator()
    toolbar.addWidget(w.sync_panel)
    toolbar.addWidget(w.check_panel)
    w.addToolBar(toolbar)  # the top toolbar area
