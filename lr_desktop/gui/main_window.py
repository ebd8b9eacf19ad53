"""The main window: sections in a sidebar, the sync panel on top, menus and shortcuts.

Start-up builds only what the first paint shows: the menus, the toolbar with the sync
panel, the sidebar and the section the window opens on. Everything else waits:

* the other sections are built on first use (visiting them, or reading `overview`,
  `events`, `integrations`, `linkrunner` or `history`), and load their data then
  (`sections.Sections`);
* right after the first paint (`_start_background`) the database is opened (created or
  migrated if needed), the first section loads its data and the automatic Linkrunner
  pull reads its settings;
* the import flow and the automatic pull are created when first needed
  (`window_runs.Runs`).

The modules behind them (QtCharts, the HTTP clients, the keyring) are imported then too.
The rooms: `window_actions` (menus, toolbar), `sections`, `window_runs` (what runs and
what follows it), `window_close` (closing, the state kept between runs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, QSize, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QVBoxLayout, QWidget

from lr_desktop import APP_NAME
from lr_desktop.clevertap.config_source import ConfigSource
from lr_desktop.gui import window_close
from lr_desktop.gui.check_panel import CheckPanel
from lr_desktop.gui.sections import EVENTS, HISTORY, INTEGRATIONS, OVERVIEW, SECTIONS, Sections
from lr_desktop.gui.sync_panel import SyncPanel
from lr_desktop.gui.window_actions import build_actions
from lr_desktop.gui.window_close import ORGANIZATION
from lr_desktop.gui.window_runs import REFRESH_MS, Runs
from lr_desktop.gui.workers import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent

    from lr_desktop.clevertap.config import CleverTapConfig
    from lr_desktop.gui.autopull import AutoPull
    from lr_desktop.gui.import_flow import ImportFlow
    from lr_desktop.gui.linkrunner_source import LinkrunnerSource
    from lr_desktop.gui.second_copies import RetryFlow
    from lr_desktop.gui.views.events import EventsView
    from lr_desktop.gui.views.history import HistoryView
    from lr_desktop.gui.views.integrations import IntegrationsView
    from lr_desktop.gui.views.linkrunner_form import LinkrunnerForm
    from lr_desktop.gui.views.overview import OverviewView

__all__ = [
    "EVENTS",
    "HISTORY",
    "INTEGRATIONS",
    "ORGANIZATION",
    "OVERVIEW",
    "REFRESH_MS",
    "SECTIONS",
    "MainWindow",
]

log = logging.getLogger(__name__)
# If the window is shown but never painted (e.g. it starts minimized), background work
# starts after this long anyway.
BACKGROUND_FALLBACK_MS = 1_000
MIN_SIZE = QSize(900, 620)


class _FirstPaint(QObject):
    """Calls `then` on the next turn of the event loop after the window's first paint."""

    def __init__(self, window: QWidget, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._then = then
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, self, self._then)
        return False


class MainWindow(QMainWindow):
    closed = Signal()
    # made by window_actions.build_actions
    import_action: QAction
    export_action: QAction
    quit_action: QAction
    sync_action: QAction
    send_action: QAction
    cancel_action: QAction
    find_action: QAction
    template_action: QAction
    check_action: QAction
    resend_action: QAction
    send_changed_action: QAction

    def __init__(
        self,
        db_path: Path,
        *,
        demo_config: CleverTapConfig | None = None,
        demo_linkrunner_key: str | None = None,
    ) -> None:
        """`demo_config`: the demo's CleverTap settings and secrets (memory only). In the
        demo the Linkrunner key is memory only too: `demo_linkrunner_key`, by default the
        bundled emulator's demo key."""
        super().__init__()
        self.db_path = Path(db_path)
        # Qt appends the application's display name to a title that does not end with it
        self.setWindowTitle(f"Demo — {APP_NAME}" if demo_config else APP_NAME)
        self.setObjectName("mainWindow")
        self.setMinimumSize(MIN_SIZE)  # below it the Sync button went into the toolbar's overflow
        self.setAcceptDrops(True)
        self.closing = False
        self.runner = TaskRunner(self)
        self.source = ConfigSource(self.db_path, demo_config)
        self._db_ready = False
        self._background_started = False

        self.sync_panel = SyncPanel(self.db_path, self.source, self.runner)
        self.check_panel = CheckPanel(self.db_path, self.source, self.runner)
        self.sections = Sections(self)
        self.stack = self.sections.stack

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.addItems(list(SECTIONS))
        self.sidebar.setFixedWidth(170)
        self.sidebar.currentRowChanged.connect(self._section_changed)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.sidebar)
        body.addWidget(self.stack, 1)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 0, 6, 6)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)

        build_actions(self)
        self.status_label = QLabel()
        self.status_label.setObjectName("statusText")
        self.statusBar().addWidget(self.status_label, 1)
        if demo_config is not None:
            demo = QLabel(" Demo: sample users, local Linkrunner and CleverTap emulators ")
            demo.setObjectName("demoBadge")
            self.statusBar().addPermanentWidget(demo)

        self.runs = Runs(self, demo_linkrunner_key)

        from lr_desktop.gui.first_run import FirstRun

        self.first_run = FirstRun(self)  # the checklist and Sync's readiness (not the demo)
        from lr_desktop.gui.tray import TrayController

        self.tray = TrayController(self)  # automatic mode: tray icon, notifications
        self.sync_panel.open_integrations.connect(lambda: self.show_section(INTEGRATIONS))
        if demo_config is not None:
            from lr_desktop.gui.demo_automatic import DemoAutomatic

            self.demo_automatic = DemoAutomatic(self)  # offered after the first sync
        window_close.restore_state(self)  # builds the section the window opens on
        if self.sidebar.currentRow() < 0:
            self.sidebar.setCurrentRow(0)
        self.sections.startup = False
        self._first_paint = _FirstPaint(self, self._start_background)

    # -- sections, built on first use ------------------------------------------------------
    @property
    def overview(self) -> OverviewView:
        return self.sections.get(OVERVIEW)  # type: ignore[return-value]

    @property
    def events(self) -> EventsView:
        return self.sections.get(EVENTS)  # type: ignore[return-value]

    @property
    def integrations(self) -> IntegrationsView:
        return self.sections.get(INTEGRATIONS)  # type: ignore[return-value]

    @property
    def history(self) -> HistoryView:
        return self.sections.get(HISTORY)  # type: ignore[return-value]

    @property
    def linkrunner(self) -> LinkrunnerForm:
        """Integrations > Linkrunner (built with the Integrations section)."""
        self.sections.get(INTEGRATIONS)
        assert self.sections.linkrunner is not None
        return self.sections.linkrunner

    def section_built(self, index: int) -> bool:
        """Whether the section has been built (sections are built on first use)."""
        return self.sections.is_built(index)

    def show_section(self, index: int) -> None:
        self.sidebar.setCurrentRow(index)

    def _section_changed(self, index: int) -> None:
        if not 0 <= index < len(SECTIONS):
            return
        first_visit = not self.sections.is_loaded(index)
        self.stack.setCurrentWidget(self.sections.get(index))
        if index == HISTORY and not first_visit:
            self.history.refresh()

    # -- what runs (window_runs) -----------------------------------------------------------
    @property
    def linkrunner_source(self) -> LinkrunnerSource:
        return self.runs.linkrunner_source

    @property
    def autopull(self) -> AutoPull:
        return self.runs.autopull

    @property
    def importer(self) -> ImportFlow:
        return self.runs.importer

    @property
    def retry_flow(self) -> RetryFlow:
        return self.runs.retry_flow

    def retry_users(self, user_ids: list[str]) -> None:
        self.runs.retry_users(user_ids)

    def pull_now(self) -> None:
        self.runs.pull_now()

    def import_files(self, paths: list[Path]) -> bool:
        return self.importer.start(paths)

    # -- after the first paint -------------------------------------------------------------
    def ensure_db(self) -> None:
        """Create or migrate the database (once) before anything reads it."""
        if self._db_ready:
            return
        from lr_desktop.store import connect

        connect(self.db_path).close()  # creates and migrates the database if needed
        self._db_ready = True

    def _start_background(self) -> None:
        """Right after the first paint: the database, the first section's data and the
        automatic Linkrunner pull's settings."""
        if self._background_started or self.closing:
            return
        self._background_started = True
        try:
            self.ensure_db()
        except Exception:
            QTimer.singleShot(0, self.close)  # as before: the error is shown, the app ends
            raise
        self.sync_panel.build_hidden()
        self.sections.load_built()
        self.first_run.refresh()
        self.sync_panel.refresh_changed()
        self.runs.read_linkrunner_settings()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._background_started:
            QTimer.singleShot(BACKGROUND_FALLBACK_MS, self, self._start_background)

    # -- small things ----------------------------------------------------------------------
    def _settings(self) -> QSettings:
        return window_close.settings()

    def find_rows(self) -> None:
        """Edit > Find: the Install events search box."""
        self.show_section(EVENTS)
        self.events.focus_search()

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def config_changed(self, cfg: CleverTapConfig) -> None:
        self.sync_panel.config_saved()
        self.tray.refresh()
        self.first_run.refresh()
        events = self.sections.built(EVENTS)
        if events is not None:
            events.detail.set_config(cfg)

    def config_removed(self) -> None:
        from lr_desktop.clevertap.config import CleverTapConfig

        self.config_changed(CleverTapConfig())

    def open_logs(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from lr_desktop.paths import log_dir

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir())))

    def about(self) -> None:
        from lr_desktop.gui.about import AboutDialog

        AboutDialog(self.db_path, self).exec()

    # -- drag and drop ---------------------------------------------------------------------
    def _dropped_files(self, event: QDragEnterEvent | QDropEvent) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if not paths:
            return []
        from lr_desktop.gui.import_flow import importable

        return [p for p in paths if importable(p)]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = self._dropped_files(event)
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    # -- closing (window_close) ------------------------------------------------------------
    def close_without_asking(self) -> None:
        """Close as a user would, without the question about a running sync, and close
        any dialog first (its own event loop would keep the app running): SIGTERM/SIGINT."""
        self.closing = True
        window_close.close_dialogs(self)
        self.close()  # ignored when the dialog was this window's own close question

    def confirm_close_during_sync(self) -> bool:
        return window_close.ask_close_during_sync(self)

    def unsaved_integrations(self) -> list[str]:
        """The Integrations boxes with edits not saved."""
        return window_close.unsaved_integrations(self)

    def confirm_discard_edits(self, boxes: list[str]) -> bool:
        return window_close.ask_discard_edits(self, boxes)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        window_close.handle_close(self, event)
