"""What the window runs besides a sync: imports, the Linkrunner pull (automatic and
"Pull now"), ID-mapping files, "Retry selected"; each made when first needed, and what
follows when one ends (the status line, an automatic send)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from lr_desktop.gui.sections import OVERVIEW

if TYPE_CHECKING:
    from lr_desktop.gui.autopull import AutoPull
    from lr_desktop.gui.import_flow import ImportFlow
    from lr_desktop.gui.linkrunner_source import LinkrunnerSource, PullOutcome
    from lr_desktop.gui.main_window import MainWindow
    from lr_desktop.gui.second_copies import RetryFlow
    from lr_desktop.gui.views.linkrunner_form import LinkrunnerForm
    from lr_desktop.linkrunner.settings import LinkrunnerSettings

log = logging.getLogger(__name__)
REFRESH_MS = 500  # at most this often the table repaints while a sync writes


def send_pending(w: MainWindow) -> None:
    from lr_desktop.sync import Operation

    w.sync_panel.start(Operation.SEND_PENDING)  # queued behind a running sync


class Runs(QObject):
    def __init__(self, window: MainWindow, demo_linkrunner_key: str | None) -> None:
        super().__init__(window)
        self._w = window
        self._demo_linkrunner_key = demo_linkrunner_key
        self._linkrunner_source: LinkrunnerSource | None = None
        self.made_autopull: AutoPull | None = None
        self.made_importer: ImportFlow | None = None
        self._retry_flow: RetryFlow | None = None
        self._form_settings = False  # the form has configured the automatic pull
        self.refresh_timer = QTimer(self, interval=REFRESH_MS)
        self.refresh_timer.timeout.connect(self._refresh_during_sync)
        self._ticks = 0
        window.sync_panel.sync_running.connect(self._sync_running)
        window.sync_panel.finished.connect(self._sync_finished)
        window.sync_panel.finished.connect(self._sync_ended_for_autopull)

    # -- objects made when first needed ------------------------------------------------------
    @property
    def linkrunner_source(self) -> LinkrunnerSource:
        if self._linkrunner_source is None:
            from lr_desktop.gui.linkrunner_source import LinkrunnerSource

            key = self._demo_linkrunner_key
            if self._w.source.is_demo and key is None:
                from lr_desktop.emulators.linkrunner import DEMO_KEY

                key = DEMO_KEY
            self._linkrunner_source = LinkrunnerSource(self._w.db_path, key)
        return self._linkrunner_source

    @property
    def autopull(self) -> AutoPull:
        if self.made_autopull is None:
            from lr_desktop.gui.autopull import AutoPull

            w = self._w
            pull = AutoPull(
                w.db_path,
                self.linkrunner_source,
                w.source,
                w.runner,
                lambda: w.sync_panel.running,
                w,
            )
            pull.started.connect(lambda: w.show_status("Pulling from Linkrunner…"))
            pull.finished.connect(self._pull_finished)
            pull.running_changed.connect(self._pull_running)
            if w.closing:
                pull.stop()
            self.made_autopull = pull
        return self.made_autopull

    @property
    def importer(self) -> ImportFlow:
        if self.made_importer is None:
            from lr_desktop.gui.import_flow import ImportFlow

            w = self._w
            flow = ImportFlow(w.db_path, w.runner, w)
            flow.started.connect(lambda: w.show_status("Importing…"))
            flow.progressed.connect(w.show_status)
            flow.finished.connect(self._import_finished)
            self.made_importer = flow
        return self.made_importer

    @property
    def retry_flow(self) -> RetryFlow:
        """ "Retry selected", made when first needed."""
        if self._retry_flow is None:
            from lr_desktop.gui.second_copies import RetryFlow

            self._retry_flow = RetryFlow(self._w.db_path, self._w.runner, self._w)
        return self._retry_flow

    def connect_form(self, form: LinkrunnerForm) -> None:
        """Integrations > Linkrunner was built: its settings drive the automatic pull."""
        form.loaded.connect(self._linkrunner_form_loaded)
        form.settings_saved.connect(self._linkrunner_form_loaded)
        form.pull_requested.connect(self.pull_now)
        form.mapping_finished.connect(self._mapping_finished)
        pull = self.made_autopull
        form.pull_button.setEnabled(not (pull is not None and pull.running))

    def send_automatically(self) -> bool:
        source = self._w.source
        return bool(source.public().send_automatically and source.is_configured())

    def stop(self) -> None:
        """The window closes: no more rounds or repaints; cancel what runs (the
        window's runner then waits for it)."""
        self.refresh_timer.stop()
        if self.made_autopull is not None:
            self.made_autopull.stop()
        self._w.sync_panel.cancel()
        if self.made_importer is not None:
            self.made_importer.cancel()

    # -- Retry selected ----------------------------------------------------------------------
    def retry_users(self, user_ids: list[str]) -> None:
        """Queue the users again (in a worker), asking first when some are delivered."""
        from lr_desktop.gui.second_copies import describe_retry

        w = self._w

        def done(n: object) -> None:
            if w.closing:
                return
            if isinstance(n, Exception):
                w.show_status(f"Retry failed: {n}")
            elif n is None:
                w.show_status("Retry cancelled: nothing was queued again.")
            else:
                assert isinstance(n, int)
                w.show_status(describe_retry(n))  # the rows refresh themselves

        self.retry_flow.retry(user_ids, done)

    # -- sync ------------------------------------------------------------------------------
    def _sync_running(self, running: bool) -> None:
        w = self._w
        w.sync_action.setEnabled(not running)
        w.send_action.setEnabled(not running)
        w.cancel_action.setEnabled(running)
        if running:
            self._ticks = 0
            self.refresh_timer.start()
        else:
            self.refresh_timer.stop()

    def _refresh_during_sync(self) -> None:
        w = self._w
        if w.closing:
            return
        w.sections.refresh_event_rows()
        self._ticks += 1
        if self._ticks % 4 == 0 and w.sections.stack.currentIndex() == OVERVIEW:
            w.sections.refresh_overview()

    def _sync_finished(self, result: object) -> None:
        """The sections refresh themselves (the runner's change notice); the status line
        repeats the summary."""
        from lr_desktop.sync import SyncSummary

        w = self._w
        if w.closing:
            return
        if isinstance(result, SyncSummary):
            w.show_status(w.sync_panel.label.text())

    def _sync_ended_for_autopull(self, _result: object) -> None:
        if self.made_autopull is not None:
            self.made_autopull.sync_ended()

    # -- import ----------------------------------------------------------------------------
    def _import_finished(self, report: object) -> None:
        from lr_desktop.gui.import_flow import describe_report

        w = self._w
        if w.closing:
            return
        if isinstance(report, Exception):
            w.show_status(f"Import failed: {report}")
            return
        w.show_status(describe_report(report))  # the sections refresh themselves
        if self.send_automatically():
            send_pending(w)

    # -- Linkrunner ------------------------------------------------------------------------
    def read_linkrunner_settings(self) -> None:
        """After the first paint: the stored automatic-pull settings (no keyring)."""
        source = self.linkrunner_source

        def work(_p: object, _c: object) -> tuple[LinkrunnerSettings, bool]:
            return source.settings(), source.auto_pull()

        self._w.runner.start(
            "linkrunner-settings",
            work,
            on_success=self._linkrunner_startup,
            on_failure=lambda exc: log.warning("Linkrunner settings not read: %s", exc),
        )

    def _linkrunner_startup(self, result: tuple[LinkrunnerSettings, bool]) -> None:
        settings, auto_pull = result
        if self._w.closing or self._form_settings:
            return  # the form's load or save already applied newer settings
        self.autopull.configure(auto_pull, settings.pull_interval_minutes)
        self._w.tray.refresh()

    def _linkrunner_form_loaded(self, state: object) -> None:
        from lr_desktop.gui.linkrunner_source import LinkrunnerState

        if self._w.closing or not isinstance(state, LinkrunnerState):
            return
        self._form_settings = True
        self.autopull.configure(state.auto_pull, state.settings.pull_interval_minutes)
        self._w.tray.refresh()

    def _pull_running(self, running: bool) -> None:
        form = self._w.sections.linkrunner
        if form is not None:
            form.pull_button.setEnabled(not running)

    def pull_now(self) -> None:
        w = self._w
        if self.autopull.run_now():
            return
        if w.sync_panel.running:
            w.show_status("A sync is running; the Linkrunner pull starts when it ends.")
        else:
            w.show_status("A Linkrunner pull is already running.")

    def _pull_finished(self, outcome: PullOutcome) -> None:
        from lr_desktop.gui.linkrunner_source import describe_pull

        w = self._w
        if w.closing:
            return
        w.tray.refresh()
        form = w.sections.linkrunner
        if outcome.settings is not None and form is not None:
            form.show_last_pull(outcome.settings)
        if not outcome.quiet:
            w.show_status(describe_pull(outcome))
        report = outcome.report  # the sections refresh themselves (changes.of_pull)
        if report is None or report.cancelled:
            return
        if outcome.send and outcome.due:
            send_pending(w)

    def _mapping_finished(self, report: object) -> None:
        w = self._w
        if w.closing or isinstance(report, Exception):
            return  # the sections refresh themselves (changes.of_mapping)
        matched: Any = getattr(report, "matched", 0)
        w.show_status(
            f"ID mapping: {matched:,} user{'s' if matched != 1 else ''} got a CleverTap ID."
        )
        if matched and self.send_automatically():
            send_pending(w)
