"""The main window: sections in a sidebar, the sync panel on top, menus and shortcuts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from lr_desktop import APP_ID, APP_NAME, __version__
from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.gui.autopull import AutoPull
from lr_desktop.gui.config_source import ConfigSource
from lr_desktop.gui.import_flow import ImportFlow, describe_report, importable
from lr_desktop.gui.linkrunner_source import (
    LinkrunnerSource,
    LinkrunnerState,
    PullOutcome,
    describe_pull,
)
from lr_desktop.gui.sync_panel import SyncPanel
from lr_desktop.gui.views.events import EventsView
from lr_desktop.gui.views.history import HistoryView
from lr_desktop.gui.views.integrations import IntegrationsView
from lr_desktop.gui.views.linkrunner_form import LinkrunnerForm
from lr_desktop.gui.views.overview import OverviewView
from lr_desktop.gui.workers import TaskRunner
from lr_desktop.paths import log_dir
from lr_desktop.store import connect
from lr_desktop.sync import Operation, SyncSummary

log = logging.getLogger(__name__)
ORGANIZATION = "Linkrunner"
SECTIONS = ("Overview", "Install events", "Integrations", "Sync history")
REFRESH_MS = 500  # at most this often the table repaints while a sync writes


class MainWindow(QMainWindow):
    closed = Signal()

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
        conn = connect(self.db_path)  # creates and migrates the database if needed
        conn.close()
        self.setWindowTitle(f"{APP_NAME}{' — demo' if demo_config else ''}")
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.runner = TaskRunner(self)
        self.source = ConfigSource(self.db_path, demo_config)
        if demo_config is not None and demo_linkrunner_key is None:
            from lr_desktop.emulators.linkrunner import DEMO_KEY

            demo_linkrunner_key = DEMO_KEY
        self.linkrunner_source = LinkrunnerSource(self.db_path, demo_linkrunner_key)

        self.overview = OverviewView(self.db_path, self.runner)
        self.events = EventsView(self.db_path, self.runner, self.retry_users)
        self.integrations = IntegrationsView(self.source, self.runner)
        self.history = HistoryView(self.db_path)
        self.sync_panel = SyncPanel(self.db_path, self.source, self.runner)
        self.importer = ImportFlow(self.db_path, self.runner, self)
        self.linkrunner = LinkrunnerForm(self.db_path, self.linkrunner_source, self.runner)
        self.integrations.add_section(self.linkrunner)
        self.autopull = AutoPull(
            self.db_path,
            self.linkrunner_source,
            self.source,
            self.runner,
            lambda: self.sync_panel.running,
            self,
        )

        self.sidebar = QListWidget(objectName="sidebar")
        self.sidebar.addItems(list(SECTIONS))
        self.sidebar.setFixedWidth(170)
        self.stack = QStackedWidget(objectName="sections")
        for w in (self.overview, self.events, self.integrations, self.history):
            self.stack.addWidget(w)
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

        self._build_actions()
        self.status_label = QLabel(objectName="statusText")
        self.statusBar().addWidget(self.status_label, 1)
        if demo_config is not None:
            demo = QLabel(
                " Demo: sample users, local Linkrunner and CleverTap emulators ",
                objectName="demoBadge",
            )
            self.statusBar().addPermanentWidget(demo)

        self.refresh_timer = QTimer(self, interval=REFRESH_MS)
        self.refresh_timer.timeout.connect(self._refresh_during_sync)
        self._ticks = 0
        self.closing = False

        self.sync_panel.sync_running.connect(self._sync_running)
        self.sync_panel.finished.connect(self._sync_finished)
        self.importer.started.connect(lambda: self.show_status("Importing…"))
        self.importer.progressed.connect(self.show_status)
        self.importer.finished.connect(self._import_finished)
        self.integrations.config_saved.connect(self._config_changed)
        self.integrations.config_removed.connect(lambda: self._config_changed(CleverTapConfig()))
        self.events.status_message.connect(self.show_status)
        self.linkrunner.loaded.connect(self._linkrunner_settings)
        self.linkrunner.settings_saved.connect(self._linkrunner_settings)
        self.linkrunner.pull_requested.connect(self.pull_now)
        self.linkrunner.mapping_finished.connect(self._mapping_finished)
        self.autopull.started.connect(lambda: self.show_status("Pulling from Linkrunner…"))
        self.autopull.finished.connect(self._pull_finished)
        self.autopull.running_changed.connect(
            lambda running: self.linkrunner.pull_button.setEnabled(not running)
        )
        self.sync_panel.finished.connect(lambda _result: self.autopull.sync_ended())

        self._restore_state()
        if self.sidebar.currentRow() < 0:
            self.sidebar.setCurrentRow(0)
        self._config_changed(self.source.public())
        self.events.start()
        self.overview.refresh()
        self.history.refresh()
        self.integrations.load()
        self.linkrunner.load()

    # -- building ------------------------------------------------------------------------
    def _build_actions(self) -> None:
        def action(text: str, slot: Any, *keys: QKeySequence | str, name: str = "") -> QAction:
            a = QAction(text, self, objectName=name or text)
            a.triggered.connect(slot)
            if keys:
                a.setShortcuts([QKeySequence(k) for k in keys])
            return a

        self.import_action = action(
            "&Import attribution files…",
            self.importer.choose_and_import,
            QKeySequence("Ctrl+I"),
            name="importAction",
        )
        self.export_action = self.events.export_action
        self.quit_action = action("&Quit", self.close, QKeySequence("Ctrl+Q"), name="quitAction")
        self.sync_action = action(
            "&Sync with CleverTap",
            lambda: self.sync_panel.start(Operation.FULL_SYNC),
            QKeySequence("Ctrl+R"),
            QKeySequence("F5"),
            name="syncAction",
        )
        self.send_action = action(
            "Send &pending events",
            lambda: self.sync_panel.start(Operation.SEND_PENDING),
            name="sendAction",
        )
        self.cancel_action = action("&Cancel sync", self.sync_panel.cancel, name="cancelAction")
        self.cancel_action.setEnabled(False)
        self.find_action = action("&Find…", self.find, QKeySequence("Ctrl+F"), name="findAction")

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addAction(self.find_action)
        edit_menu.addAction(self.events.retry_action)
        edit_menu.addAction(self.events.copy_action)
        view_menu = menu.addMenu("&View")
        for i, name in enumerate(SECTIONS):
            view_menu.addAction(
                action(
                    name,
                    lambda _=False, i=i: self.show_section(i),
                    QKeySequence(f"Ctrl+{i + 1}"),
                    name=f"section{i}",
                )
            )
        sync_menu = menu.addMenu("&Sync")
        sync_menu.addAction(self.sync_action)
        sync_menu.addAction(self.send_action)
        sync_menu.addAction(self.cancel_action)
        sync_menu.addAction(self.sync_panel.resend.text(), self.sync_panel.resend.toggle)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(action("Open log folder", self._open_logs, name="openLogs"))
        help_menu.addAction(action("About", self._about, name="about"))

        toolbar = QToolBar("Main", objectName="mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(16, 16))
        toolbar.addAction(self.import_action)
        toolbar.addSeparator()
        toolbar.addWidget(self.sync_panel)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)

    # -- state ---------------------------------------------------------------------------
    def _settings(self) -> QSettings:
        return QSettings(ORGANIZATION, APP_ID)

    def _restore_state(self) -> None:
        s = self._settings()
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = s.value("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = s.value("events/splitter")
        if splitter is not None:
            self.events.splitter.restoreState(splitter)
        section = s.value("window/section", 0, type=int)
        self.sidebar.setCurrentRow(section if 0 <= section < len(SECTIONS) else 0)

    def _save_state(self) -> None:
        s = self._settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("events/splitter", self.events.splitter.saveState())
        s.setValue("window/section", self.sidebar.currentRow())
        s.sync()

    # -- sections ------------------------------------------------------------------------
    def show_section(self, index: int) -> None:
        self.sidebar.setCurrentRow(index)

    def _section_changed(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        if self.stack.currentWidget() is self.history:
            self.history.refresh()

    def find(self) -> None:
        self.show_section(1)
        self.events.focus_search()

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    # -- actions -------------------------------------------------------------------------
    def retry_users(self, user_ids: list[str]) -> None:
        from lr_desktop.sync.state import retry_users

        conn = connect(self.db_path)
        try:
            n = retry_users(conn, user_ids)
        finally:
            conn.close()
        self.show_status(
            f"{n:,} event{'s' if n != 1 else ''} queued again; they go out with the next sync."
        )
        self.events.refresh_rows()
        self.overview.refresh()

    def _config_changed(self, cfg: CleverTapConfig) -> None:
        self.events.detail.set_config(cfg)

    def _sync_running(self, running: bool) -> None:
        self.sync_action.setEnabled(not running)
        self.send_action.setEnabled(not running)
        self.cancel_action.setEnabled(running)
        if running:
            self._ticks = 0
            self.refresh_timer.start()
        else:
            self.refresh_timer.stop()

    def _refresh_during_sync(self) -> None:
        if self.closing:
            return
        self.events.refresh_rows()
        self._ticks += 1
        if self._ticks % 4 == 0 and self.stack.currentWidget() is self.overview:
            self.overview.refresh()

    def _sync_finished(self, result: object) -> None:
        if self.closing:
            return
        self.events.model.reload()
        self.overview.refresh()
        self.history.refresh()
        if isinstance(result, SyncSummary):
            self.show_status(self.sync_panel.label.text())

    def _import_finished(self, report: object) -> None:
        if self.closing:
            return
        if isinstance(report, Exception):
            self.show_status(f"Import failed: {report}")
            return
        self.show_status(describe_report(report))
        self.events.reload_networks()
        self.events.model.reload()
        self.overview.refresh()
        self.history.refresh()
        if self.source.public().send_automatically and self.source.is_configured():
            self.sync_panel.start(Operation.SEND_PENDING)

    # -- Linkrunner ------------------------------------------------------------------------
    def _linkrunner_settings(self, state: object) -> None:
        if self.closing or not isinstance(state, LinkrunnerState):
            return
        self.autopull.configure(state.auto_pull, state.settings.pull_interval_minutes)

    def pull_now(self) -> None:
        if self.autopull.run_now():
            return
        if self.sync_panel.running:
            self.show_status("A sync is running; the Linkrunner pull starts when it ends.")
        else:
            self.show_status("A Linkrunner pull is already running.")

    def _pull_finished(self, outcome: PullOutcome) -> None:
        if self.closing:
            return
        if outcome.settings is not None:
            self.linkrunner.show_last_pull(outcome.settings)
        if not outcome.quiet:
            self.show_status(describe_pull(outcome))
        report = outcome.report
        if report is None or report.cancelled:
            return
        if report.imported:
            self.events.reload_networks()
            self.events.model.reload()
        elif report.updated:
            self.events.refresh_rows()
        if report.imported or report.updated:
            self.overview.refresh()
        self.history.refresh()
        if outcome.send and outcome.due:
            self.sync_panel.start(Operation.SEND_PENDING)  # queued behind a running sync

    def _mapping_finished(self, report: object) -> None:
        if self.closing:
            return
        self.history.refresh()
        if isinstance(report, Exception):
            return
        self.events.model.reload()
        self.overview.refresh()
        matched = getattr(report, "matched", 0)
        self.show_status(
            f"ID mapping: {matched:,} user{'s' if matched != 1 else ''} got a CleverTap ID."
        )
        if matched and self.source.public().send_automatically and self.source.is_configured():
            self.sync_panel.start(Operation.SEND_PENDING)

    def import_files(self, paths: list[Path]) -> bool:
        return self.importer.start(paths)

    def _open_logs(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir())))

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\nKeeps CleverTap in step with Linkrunner attribution data.\n"
            f"Database: {self.db_path}",
        )

    # -- drag and drop ---------------------------------------------------------------------
    def _dropped_files(self, event: QDragEnterEvent | QDropEvent) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        return [p for p in paths if importable(p)]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._dropped_files(event)
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    # -- closing ---------------------------------------------------------------------------
    def confirm_close_during_sync(self) -> bool:
        answer = QMessageBox.question(
            self,
            "A sync is running",
            "A sync with CleverTap is running. Stop it and quit? Events not yet sent stay queued "
            "for the next sync.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.closing and self.sync_panel.running and not self.confirm_close_during_sync():
            event.ignore()
            return
        self.closing = True
        self.show_status("Stopping background work…")
        self.refresh_timer.stop()
        self.autopull.stop()
        self.sync_panel.cancel()
        self.importer.cancel()
        self.runner.shutdown()
        self._save_state()
        self.events.close_db()
        event.accept()
        self.closed.emit()
