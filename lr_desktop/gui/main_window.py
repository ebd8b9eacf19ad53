"""The main window: sections in a sidebar, the sync panel on top, menus and shortcuts.

Start-up builds only what the first paint shows: the menus, the toolbar with the sync
panel, the sidebar and the section the window opens on. Everything else waits:

* the other sections are built on first use (visiting them, or reading `overview`,
  `events`, `integrations`, `linkrunner` or `history`), and load their data then;
* right after the first paint (`_start_background`) the database is opened (created or
  migrated if needed), the first section loads its data and the automatic Linkrunner
  pull reads its settings;
* the import flow and the automatic pull are created when first needed.

The modules behind them (QtCharts, the HTTP clients, the keyring) are imported then too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSettings, QSize, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from lr_desktop import APP_ID, APP_NAME
from lr_desktop.gui.check_panel import CheckPanel
from lr_desktop.gui.config_source import ConfigSource
from lr_desktop.gui.sync_panel import SyncPanel
from lr_desktop.gui.workers import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent

    from lr_desktop.clevertap.config import CleverTapConfig
    from lr_desktop.gui.autopull import AutoPull
    from lr_desktop.gui.import_flow import ImportFlow
    from lr_desktop.gui.linkrunner_source import LinkrunnerSource, PullOutcome
    from lr_desktop.gui.views.events import EventsView
    from lr_desktop.gui.views.history import HistoryView
    from lr_desktop.gui.views.integrations import IntegrationsView
    from lr_desktop.gui.views.linkrunner_form import LinkrunnerForm
    from lr_desktop.gui.views.overview import OverviewView
    from lr_desktop.linkrunner.settings import LinkrunnerSettings

log = logging.getLogger(__name__)
ORGANIZATION = "Linkrunner"
SECTIONS = ("Overview", "Install events", "Integrations", "Sync history")
OVERVIEW, EVENTS, INTEGRATIONS, HISTORY = range(len(SECTIONS))
REFRESH_MS = 500  # at most this often the table repaints while a sync writes
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
        self._demo = demo_config is not None
        self._demo_linkrunner_key = demo_linkrunner_key
        self._db_ready = False
        self._background_started = False
        self._startup = True  # the first section's data loads after the first paint
        self._sections: dict[int, QWidget] = {}
        self._loaded: set[int] = set()
        self._linkrunner: LinkrunnerForm | None = None
        self._linkrunner_source: LinkrunnerSource | None = None
        self._autopull: AutoPull | None = None
        self._importer: ImportFlow | None = None
        self._retry_flow: Any = None
        self._linkrunner_form_settings = False  # the form has configured the automatic pull
        self._events_splitter: Any = None  # saved splitter state, applied when built
        self._events_proxies: list[tuple[QMenu, QAction, str]] = []

        self.sync_panel = SyncPanel(self.db_path, self.source, self.runner)
        self.check_panel = CheckPanel(self.db_path, self.source, self.runner)
        self.check_panel.finished.connect(self._check_finished)

        self.sidebar = QListWidget(objectName="sidebar")
        self.sidebar.addItems(list(SECTIONS))
        self.sidebar.setFixedWidth(170)
        self.stack = QStackedWidget(objectName="sections")
        for name in SECTIONS:  # placeholders until each section is built
            self.stack.addWidget(QWidget(objectName=f"unbuilt {name}"))
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

        self.sync_panel.sync_running.connect(self._sync_running)
        self.sync_panel.finished.connect(self._sync_finished)
        self.sync_panel.finished.connect(self._sync_ended_for_autopull)

        from lr_desktop.gui.first_run import FirstRun

        self.first_run = FirstRun(self)  # the checklist and Sync's readiness (not the demo)
        from lr_desktop.gui.tray import TrayController

        self.tray = TrayController(self)  # automatic mode: tray icon, notifications
        self.sync_panel.open_integrations.connect(lambda: self.show_section(INTEGRATIONS))
        if self._demo:
            from lr_desktop.gui.demo_automatic import DemoAutomatic

            self.demo_automatic = DemoAutomatic(self)  # offered after the first sync
        self._restore_state()  # builds the section the window opens on
        if self.sidebar.currentRow() < 0:
            self.sidebar.setCurrentRow(0)
        self._startup = False
        self._first_paint = _FirstPaint(self, self._start_background)

    # -- building ------------------------------------------------------------------------
    def _build_actions(self) -> None:
        def action(text: str, slot: Any, *keys: str, name: str = "") -> QAction:
            a = QAction(text, self, objectName=name or text)
            a.triggered.connect(slot)
            if keys:
                # from strings: QKeySequence(QKeySequence) would build PySide6's ~100 Qt
                # enums (~20 ms) just to pick the overload
                a.setShortcuts([QKeySequence(k) for k in keys])
            return a

        self.import_action = action(
            "&Import attribution files…",
            lambda: self.importer.choose_and_import(),
            "Ctrl+I",
            name="importAction",
        )
        # The Install events view owns these three; until it is built they stand in for
        # them (and build it when triggered), then its own actions take their places.
        self.export_action = action(
            "Export filtered rows as CSV…", lambda: self.events.export_csv(), name="exportRows"
        )
        retry = action("Retry selected", lambda: self.events.retry_selected(), name="retryRows")
        copy = action(
            "Copy CleverTap ID", lambda: self.events.copy_clevertap_id(), name="copyClevertapId"
        )
        self.quit_action = action("&Quit", self.close, "Ctrl+Q", name="quitAction")
        self.sync_action = action(
            "&Sync with CleverTap",
            lambda: self.sync_panel.start(self._operation("FULL_SYNC")),
            "Ctrl+R",
            "F5",
            name="syncAction",
        )
        self.send_action = action(
            "Send &pending events",
            lambda: self.sync_panel.start(self._operation("SEND_PENDING")),
            name="sendAction",
        )
        self.cancel_action = action("&Cancel sync", self.sync_panel.cancel, name="cancelAction")
        self.cancel_action.setEnabled(False)
        self.find_action = action("&Find…", self.find, "Ctrl+F", name="findAction")

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        self.template_action = action(
            "Save import &template…", lambda: self.importer.save_template(), name="saveTemplate"
        )
        file_menu.addAction(self.template_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addAction(self.find_action)
        edit_menu.addAction(retry)
        edit_menu.addAction(copy)
        self._events_proxies = [
            (file_menu, self.export_action, "export_action"),
            (edit_menu, retry, "retry_action"),
            (edit_menu, copy, "copy_action"),
        ]
        view_menu = menu.addMenu("&View")
        for i, name in enumerate(SECTIONS):
            view_menu.addAction(
                action(
                    name,
                    lambda _=False, i=i: self.show_section(i),
                    f"Ctrl+{i + 1}",
                    name=f"section{i}",
                )
            )
        sync_menu = menu.addMenu("&Sync")
        sync_menu.addAction(self.sync_action)
        sync_menu.addAction(self.send_action)
        sync_menu.addAction(self.cancel_action)
        self.check_action = action(
            "Check &CleverTap…", lambda: self.check_panel.start(), name="checkAction"
        )
        sync_menu.addAction(self.check_action)
        resend = self.sync_panel.resend  # a toggle in the menu too, kept in step with the box
        self.resend_action = QAction(resend.text(), self, checkable=True, objectName="resendAction")
        self.resend_action.toggled.connect(resend.setChecked)
        resend.toggled.connect(self.resend_action.setChecked)
        sync_menu.addAction(self.resend_action)
        self.send_changed_action = action(  # asks with the count first (sync_panel)
            "Send c&orrected events…", self.sync_panel.send_changed, name="sendChangedAction"
        )
        sync_menu.addAction(self.send_changed_action)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(action("Open log folder", self._open_logs, name="openLogs"))
        help_menu.addAction(action("About", self._about, name="about"))

        toolbar = QToolBar("Main", objectName="mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(16, 16))
        toolbar.addAction(self.import_action)
        toolbar.addSeparator()
        toolbar.addWidget(self.sync_panel)
        toolbar.addWidget(self.check_panel)
        self.addToolBar(toolbar)  # the top toolbar area

    @staticmethod
    def _operation(name: str) -> Any:
        from lr_desktop.sync import Operation

        return Operation[name]

    def _check_finished(self, _result: object) -> None:
        """A CleverTap check ended: the Overview's card (and counts) show it."""
        if OVERVIEW in self._sections:
            self.overview.refresh()
        self._reload_events()  # the "In CleverTap" column and filter, and settled states

    # -- sections, built on first use ------------------------------------------------------
    @property
    def overview(self) -> OverviewView:
        return self._section(OVERVIEW)  # type: ignore[return-value]

    @property
    def events(self) -> EventsView:
        return self._section(EVENTS)  # type: ignore[return-value]

    @property
    def integrations(self) -> IntegrationsView:
        return self._section(INTEGRATIONS)  # type: ignore[return-value]

    @property
    def history(self) -> HistoryView:
        return self._section(HISTORY)  # type: ignore[return-value]

    @property
    def linkrunner(self) -> LinkrunnerForm:
        """Integrations > Linkrunner (built with the Integrations section)."""
        self._section(INTEGRATIONS)
        assert self._linkrunner is not None
        return self._linkrunner

    def section_built(self, index: int) -> bool:
        """Whether the section has been built (sections are built on first use)."""
        return index in self._sections

    def _built(self, index: int) -> Any:
        """The section if it has been built, else None (never builds it)."""
        return self._sections.get(index)

    def _section(self, index: int) -> QWidget:
        """The section, built (and its data loading) on first use."""
        widget = self._sections.get(index)
        if widget is None:
            builders: dict[int, Callable[[], QWidget]] = {
                OVERVIEW: self._build_overview,
                EVENTS: self._build_events,
                INTEGRATIONS: self._build_integrations,
                HISTORY: self._build_history,
            }
            widget = builders[index]()
            placeholder = self.stack.widget(index)
            self.stack.insertWidget(index, widget)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self._sections[index] = widget
        if not self._startup and index not in self._loaded:
            self._load(index)
        return widget

    def _load(self, index: int) -> None:
        """A section's first data: from the database, the keyring, in workers mostly."""
        self._ensure_db()
        self._loaded.add(index)
        widget: Any = self._sections[index]
        if index == OVERVIEW:
            widget.build_charts()
            widget.refresh()
        elif index == EVENTS:
            widget.detail.set_config(self.source.public())
            widget.start()
        elif index == INTEGRATIONS:
            widget.load()
            assert self._linkrunner is not None
            self._linkrunner.load()
        elif index == HISTORY:
            widget.refresh()

    def _build_overview(self) -> QWidget:
        from lr_desktop.gui.views.overview import OverviewView

        return OverviewView(self.db_path, self.runner)

    def _build_events(self) -> QWidget:
        from lr_desktop.gui.views.events import EventsView

        if not self.db_path.exists():
            self._ensure_db()  # its model and detail pane open read connections at once
        view = EventsView(self.db_path, self.runner, self.retry_users)
        view.status_message.connect(self.show_status)
        if self._events_splitter is not None:
            view.splitter.restoreState(self._events_splitter)
        for menu, proxy, name in self._events_proxies:
            menu.insertAction(proxy, getattr(view, name))
            menu.removeAction(proxy)
            proxy.deleteLater()
        self._events_proxies = []
        self.export_action = view.export_action
        return view

    def _build_integrations(self) -> QWidget:
        from lr_desktop.gui.views.integrations import IntegrationsView
        from lr_desktop.gui.views.linkrunner_form import LinkrunnerForm

        view = IntegrationsView(self.source, self.runner)
        form = LinkrunnerForm(self.db_path, self.linkrunner_source, self.runner)
        view.add_section(form)
        self._linkrunner = form
        view.config_saved.connect(self._config_changed)
        view.config_removed.connect(self._config_removed)
        form.loaded.connect(self._linkrunner_form_loaded)
        form.settings_saved.connect(self._linkrunner_form_loaded)
        form.pull_requested.connect(self.pull_now)
        form.mapping_finished.connect(self._mapping_finished)
        form.pull_button.setEnabled(not (self._autopull is not None and self._autopull.running))
        return view

    def _build_history(self) -> QWidget:
        from lr_desktop.gui.views.history import HistoryView
        from lr_desktop.run_errors import host_of

        return HistoryView(
            self.db_path, self.runner, self.retry_users, lambda: host_of(self.source.public())
        )

    # -- objects made when first needed ------------------------------------------------------
    @property
    def linkrunner_source(self) -> LinkrunnerSource:
        if self._linkrunner_source is None:
            from lr_desktop.gui.linkrunner_source import LinkrunnerSource

            key = self._demo_linkrunner_key
            if self._demo and key is None:
                from lr_desktop.emulators.linkrunner import DEMO_KEY

                key = DEMO_KEY
            self._linkrunner_source = LinkrunnerSource(self.db_path, key)
        return self._linkrunner_source

    @property
    def autopull(self) -> AutoPull:
        if self._autopull is None:
            from lr_desktop.gui.autopull import AutoPull

            pull = AutoPull(
                self.db_path,
                self.linkrunner_source,
                self.source,
                self.runner,
                lambda: self.sync_panel.running,
                self,
            )
            pull.started.connect(lambda: self.show_status("Pulling from Linkrunner…"))
            pull.finished.connect(self._pull_finished)
            pull.running_changed.connect(self._pull_running)
            if self.closing:
                pull.stop()
            self._autopull = pull
        return self._autopull

    @property
    def importer(self) -> ImportFlow:
        if self._importer is None:
            from lr_desktop.gui.import_flow import ImportFlow

            flow = ImportFlow(self.db_path, self.runner, self)
            flow.started.connect(lambda: self.show_status("Importing…"))
            flow.progressed.connect(self.show_status)
            flow.finished.connect(self._import_finished)
            self._importer = flow
        return self._importer

    @property
    def retry_flow(self) -> Any:
        """ "Retry selected" (gui.second_copies.RetryFlow), made when first needed."""
        if self._retry_flow is None:
            from lr_desktop.gui.second_copies import RetryFlow

            self._retry_flow = RetryFlow(self.db_path, self.runner, self)
        return self._retry_flow

    # -- after the first paint -------------------------------------------------------------
    def _ensure_db(self) -> None:
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
            self._ensure_db()
        except Exception:
            QTimer.singleShot(0, self.close)  # as before: the error is shown, the app ends
            raise
        for index in list(self._sections):
            if index not in self._loaded:
                self._load(index)
        self.first_run.refresh()
        self.sync_panel.refresh_changed()
        source = self.linkrunner_source

        def work(_p: object, _c: object) -> tuple[LinkrunnerSettings, bool]:
            return source.settings(), source.auto_pull()

        self.runner.start(
            "linkrunner-settings",
            work,
            on_success=self._linkrunner_startup,
            on_failure=lambda exc: log.warning("Linkrunner settings not read: %s", exc),
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._background_started:
            QTimer.singleShot(BACKGROUND_FALLBACK_MS, self, self._start_background)

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
        self._events_splitter = s.value("events/splitter")
        section = s.value("window/section", 0, type=int)
        self.sidebar.setCurrentRow(section if 0 <= section < len(SECTIONS) else 0)

    def _save_state(self) -> None:
        s = self._settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        events = self._built(EVENTS)
        if events is not None:  # else the state restored at start is still current
            s.setValue("events/splitter", events.splitter.saveState())
            events.columns.save()
        s.setValue("window/section", self.sidebar.currentRow())
        s.sync()

    # -- sections ------------------------------------------------------------------------
    def show_section(self, index: int) -> None:
        self.sidebar.setCurrentRow(index)

    def _section_changed(self, index: int) -> None:
        if not 0 <= index < len(SECTIONS):
            return
        first_visit = index not in self._loaded
        self.stack.setCurrentWidget(self._section(index))
        if index == HISTORY and not first_visit:
            self.history.refresh()

    def find(self) -> None:
        self.show_section(EVENTS)
        self.events.focus_search()

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    # -- refreshing what is built ------------------------------------------------------------
    def _refresh_overview(self) -> None:
        if OVERVIEW in self._loaded:
            self.overview.refresh()

    def _refresh_history(self) -> None:
        if HISTORY in self._loaded:
            self.history.refresh()

    def _reload_events(self, *, networks: bool = False) -> None:
        if EVENTS in self._loaded:
            if networks:
                self.events.reload_networks()
            self.events.model.reload()

    def _refresh_event_rows(self) -> None:
        if EVENTS in self._loaded:
            self.events.refresh_rows()

    # -- actions -------------------------------------------------------------------------
    def retry_users(self, user_ids: list[str]) -> None:
        """Queue the users again (in a worker), asking first when some are delivered."""
        from lr_desktop.gui.second_copies import describe_retry

        def done(n: object) -> None:
            if self.closing:
                return
            if isinstance(n, Exception):
                self.show_status(f"Retry failed: {n}")
            elif n is None:
                self.show_status("Retry cancelled: nothing was queued again.")
            else:
                assert isinstance(n, int)
                self.show_status(describe_retry(n))
            self._refresh_event_rows()
            self._refresh_overview()

        self.retry_flow.retry(user_ids, done)

    def _config_changed(self, cfg: CleverTapConfig) -> None:
        self.sync_panel.config_saved()
        self.tray.refresh()
        self.first_run.refresh()
        events = self._built(EVENTS)
        if events is not None:
            events.detail.set_config(cfg)

    def _config_removed(self) -> None:
        from lr_desktop.clevertap.config import CleverTapConfig

        self._config_changed(CleverTapConfig())

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
        self._refresh_event_rows()
        self._ticks += 1
        if self._ticks % 4 == 0 and self.stack.currentIndex() == OVERVIEW:
            self._refresh_overview()

    def _sync_finished(self, result: object) -> None:
        from lr_desktop.sync import SyncSummary

        if self.closing:
            return
        self._reload_events()
        self._refresh_overview()
        self._refresh_history()
        self.first_run.refresh()
        self.sync_panel.refresh_changed()
        if isinstance(result, SyncSummary):
            self.show_status(self.sync_panel.label.text())

    def _send_automatically(self) -> bool:
        return bool(self.source.public().send_automatically and self.source.is_configured())

    def _import_finished(self, report: object) -> None:
        from lr_desktop.gui.import_flow import describe_report

        if self.closing:
            return
        if isinstance(report, Exception):
            self.show_status(f"Import failed: {report}")
            return
        self.show_status(describe_report(report))
        self.first_run.refresh()
        self.sync_panel.refresh_changed()
        self._reload_events(networks=True)
        self._refresh_overview()
        self._refresh_history()
        if self._send_automatically():
            self.sync_panel.start(self._operation("SEND_PENDING"))

    # -- Linkrunner ------------------------------------------------------------------------
    def _linkrunner_startup(self, result: tuple[LinkrunnerSettings, bool]) -> None:
        """The stored automatic-pull settings, read after the first paint (no keyring)."""
        settings, auto_pull = result
        if self.closing or self._linkrunner_form_settings:
            return  # the form's load or save already applied newer settings
        self.autopull.configure(auto_pull, settings.pull_interval_minutes)
        self.tray.refresh()

    def _linkrunner_form_loaded(self, state: object) -> None:
        from lr_desktop.gui.linkrunner_source import LinkrunnerState

        if self.closing or not isinstance(state, LinkrunnerState):
            return
        self._linkrunner_form_settings = True
        self.autopull.configure(state.auto_pull, state.settings.pull_interval_minutes)
        self.tray.refresh()

    def _pull_running(self, running: bool) -> None:
        if self._linkrunner is not None:
            self._linkrunner.pull_button.setEnabled(not running)

    def _sync_ended_for_autopull(self, _result: object) -> None:
        if self._autopull is not None:
            self._autopull.sync_ended()

    def pull_now(self) -> None:
        if self.autopull.run_now():
            return
        if self.sync_panel.running:
            self.show_status("A sync is running; the Linkrunner pull starts when it ends.")
        else:
            self.show_status("A Linkrunner pull is already running.")

    def _pull_finished(self, outcome: PullOutcome) -> None:
        from lr_desktop.gui.linkrunner_source import describe_pull

        if self.closing:
            return
        self.tray.refresh()
        if outcome.settings is not None and self._linkrunner is not None:
            self._linkrunner.show_last_pull(outcome.settings)
        if not outcome.quiet:
            self.show_status(describe_pull(outcome))
        report = outcome.report
        if report is None or report.cancelled:
            return
        self.first_run.refresh()
        if report.imported:
            self._reload_events(networks=True)
        elif report.updated:
            self._refresh_event_rows()
        if report.imported or report.updated:
            self._refresh_overview()
            self.sync_panel.refresh_changed()
        self._refresh_history()
        if outcome.send and outcome.due:
            self.sync_panel.start(self._operation("SEND_PENDING"))  # queued behind a sync

    def _mapping_finished(self, report: object) -> None:
        if self.closing:
            return
        self._refresh_history()
        if isinstance(report, Exception):
            return
        self._reload_events()
        self._refresh_overview()
        matched = getattr(report, "matched", 0)
        self.show_status(
            f"ID mapping: {matched:,} user{'s' if matched != 1 else ''} got a CleverTap ID."
        )
        if matched and self._send_automatically():
            self.sync_panel.start(self._operation("SEND_PENDING"))

    def import_files(self, paths: list[Path]) -> bool:
        return self.importer.start(paths)

    def _open_logs(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from lr_desktop.paths import log_dir

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir())))

    def _about(self) -> None:
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
    def close_without_asking(self) -> None:
        """Close as a user would, without the question about a running sync, and close
        any dialog first (its own event loop would keep the app running): SIGTERM/SIGINT."""
        from PySide6.QtWidgets import QApplication, QDialog

        self.closing = True
        for _ in range(10):  # nested dialogs, innermost first; bounded if one refuses
            modal = QApplication.activeModalWidget()
            if modal is None or modal is self:
                break
            if isinstance(modal, QDialog):
                modal.reject()  # also a message box without an Escape button
            else:
                modal.close()
        self.close()  # ignored when the dialog was this window's own close question

    def confirm_close_during_sync(self) -> bool:
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self,
            "A sync is running",
            "A sync with CleverTap is running. Stop it and quit? Events not yet sent stay queued "
            "for the next sync.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def unsaved_integrations(self) -> list[str]:
        """The Integrations boxes with edits not saved."""
        view = self._built(INTEGRATIONS)
        out = []
        if view is not None and view.unsaved.dirty:
            out.append("CleverTap")
        if self._linkrunner is not None and self._linkrunner.unsaved.dirty:
            out.append("Linkrunner")
        return out

    def confirm_discard_edits(self, boxes: list[str]) -> bool:
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"The {' and '.join(boxes)} settings under Integrations have changes that are not "
            "saved. Quit without saving them?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tray.intercept_close():  # close to tray: automation goes on
            event.ignore()
            return
        unsaved = [] if self.closing else self.unsaved_integrations()
        if unsaved and not self.confirm_discard_edits(unsaved) and not self.closing:
            self.show_section(INTEGRATIONS)
            event.ignore()
            return
        said_no = (
            not self.closing and self.sync_panel.running and not self.confirm_close_during_sync()
        )
        if said_no and not self.closing:  # closing by now: a signal came during the question
            event.ignore()
            return
        self.closing = True
        self.show_status("Stopping background work…")
        self.refresh_timer.stop()
        if self._autopull is not None:
            self._autopull.stop()
        self.sync_panel.cancel()
        if self._importer is not None:
            self._importer.cancel()
        self.runner.shutdown()
        self._save_state()
        events = self._built(EVENTS)
        if events is not None:
            events.close_db()
        event.accept()
        self.closed.emit()
