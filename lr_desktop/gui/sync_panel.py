"""The "Sync with CleverTap" button: a run of the core's engine on a worker thread,
with progress (counts, rate, time left), Cancel, and a summary or a message saying
what to fix."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from lr_desktop.gui import changes
from lr_desktop.gui.elided_label import ElidedLabel
from lr_desktop.gui.workers import Task, TaskRunner

if TYPE_CHECKING:
    from lr_desktop.clevertap.config_source import ConfigSource
    from lr_desktop.sync import Operation, Progress, SyncSummary
    from lr_desktop.sync.scope import SecondCopies

log = logging.getLogger(__name__)
RESEND_WARNING = (
    "Re-sending delivered events sends every user's install event again. CleverTap does not "
    "deduplicate, so those users get a second install event. Leave this off unless CleverTap lost data."
)


SYNC_TOOLTIP = "Send every install event CleverTap may be missing (Ctrl+R)"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    s = int(seconds)
    if s < 60:
        return f"about {s} s left"
    if s < 3600:
        return f"about {s // 60} min {s % 60:02d} s left"
    return f"about {s // 3600} h {s % 3600 // 60:02d} min left"


def describe_progress(p: Progress) -> str:
    what = "Profiles" if p.phase == "profiles" else "Events"
    return (
        f"{what}: {p.done:,} / {p.total:,} · {p.delivered:,} delivered · {p.rejected:,} rejected · "
        f"{p.failed:,} failed · {p.rate:,.0f}/s · {_duration(p.eta_seconds)}"
    )


def one_reason(path: Path, summary: SyncSummary, cfg: Any) -> str | None:
    """In the worker: the sentence for a run whose events all failed for one reason."""
    if not (summary.failed or summary.rejected):
        return None
    from lr_desktop.run_errors import host_of, run_error_groups, run_level_reason
    from lr_desktop.store import reads

    conn = reads.open_read(path)
    try:
        groups = run_error_groups(conn, summary.run_id, host=host_of(cfg))
    finally:
        conn.close()
    return run_level_reason(groups, delivered=summary.delivered)


def describe_summary(s: SyncSummary, reason: str | None = None) -> str:
    from lr_desktop.sync import Operation

    kind = "Sync" if s.operation == str(Operation.FULL_SYNC) else "Send"
    head = f"{kind} cancelled" if s.cancelled else f"{kind} finished"
    if reason:  # one reason for every failure: said once, first
        head = f"{head}: {reason}."
        return (
            f"{head} {s.failed:,} failed, {s.rejected:,} rejected; failed events are tried "
            "again by the next sync (Sync history lists them)."
        )
    parts = [
        f"{head} in {s.elapsed_seconds:.1f} s: {s.delivered:,} delivered, {s.rejected:,} rejected, "
        f"{s.failed:,} failed"
    ]
    if s.left_queued:
        parts.append(f"{s.left_queued:,} left queued")
    if s.waiting_for_clevertap_id:
        parts.append(f"{s.waiting_for_clevertap_id:,} waiting for a CleverTap ID")
    if s.profiles_upserted:
        parts.append(f"{s.profiles_upserted:,} profiles updated")
    text = ", ".join(parts) + "."
    if s.warnings:
        text += " " + " ".join(s.warnings)
    return text


def describe_error(exc: Exception) -> str:
    from lr_desktop.secrets import KeyringFailure, KeyringUnavailable
    from lr_desktop.sync import (
        ConfigurationProblem,
        CredentialsRejected,
        SyncAlreadyRunning,
        SyncError,
    )

    if isinstance(exc, CredentialsRejected):
        return f"Sync stopped: {exc} Fix it under Integrations > CleverTap."
    if isinstance(exc, ConfigurationProblem):
        return f"Sync cannot start: {exc} Fill these in under Integrations > CleverTap."
    if isinstance(exc, SyncAlreadyRunning):
        return str(exc)
    if isinstance(exc, SyncError):
        return f"Sync stopped: {exc}"
    if isinstance(exc, KeyringUnavailable | KeyringFailure):
        return f"Sync cannot read the CleverTap secrets. {exc}"
    return f"Sync failed unexpectedly: {type(exc).__name__}: {exc} (details in the log file)"


class _HiddenParts:
    """The sync panel's widgets that the first paint does not show."""

    def __init__(self, panel: SyncPanel) -> None:
        self.cancel_button = QPushButton("Cancel", panel, objectName="cancelSync")
        self.cancel_button.clicked.connect(panel.cancel)
        self.cancel_button.hide()
        self.bar = QProgressBar(panel, objectName="syncProgress")
        self.bar.setMaximumWidth(260)
        self.bar.hide()
        self.fix_link = QLabel(
            "<a href='integrations'>Open Integrations</a>", panel, objectName="fixLink"
        )
        self.fix_link.linkActivated.connect(lambda _l: panel.open_integrations.emit())
        self.fix_link.hide()
        self.changed_link = QLabel(panel, objectName="sendChangedLink")
        self.changed_link.linkActivated.connect(lambda _l: panel.send_changed())
        self.changed_link.hide()


class SyncPanel(QWidget):
    started = Signal(str)  # operation
    finished = Signal(object)  # SyncSummary, or the exception that stopped the run
    progressed = Signal(object)  # Progress
    sync_running = Signal(bool)
    answered = Signal(bool)  # the second-copies question: True sends, False sends nothing
    changed_count = Signal(int)  # users changed since delivery (the "send corrected" link)
    open_integrations = Signal()  # the message's "Open Integrations" link

    def __init__(
        self, db_path: Path, source: ConfigSource, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._source = source
        self._runner = runner
        self._task: Task[tuple[SyncSummary, str | None]] | None = None
        self._again: Operation | None = None
        self._asking = False  # counting second copies / the question is open
        self._run_resend = False  # the running run re-sends delivered events
        self.last_summary: SyncSummary | None = None
        self.last_error: Exception | None = None
        self.last_reason: str | None = None  # the one reason every event failed for

        self.sync_button = QPushButton("Sync with CleverTap", objectName="syncButton")
        self.sync_button.setToolTip(SYNC_TOOLTIP)
        self._blocked: str | None = None  # why a sync cannot work yet (first run)
        self.sync_button.clicked.connect(lambda: self.start())
        self.resend = QCheckBox("Re-send delivered events", objectName="resendDelivered")
        self.resend.setToolTip(RESEND_WARNING)
        self.resend.toggled.connect(self._resend_toggled)
        self.label = ElidedLabel(objectName="syncLabel")  # one line: the toolbar keeps its height
        self._lay = lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.sync_button)
        lay.addWidget(self.resend)
        lay.addWidget(self.label, 1)
        self._hidden: _HiddenParts | None = None  # built after the first paint (`build_hidden`)
        runner.changed.connect(self._data_changed)

    # -- the parts hidden until a run or a message needs them ------------------------------
    def build_hidden(self) -> _HiddenParts:
        """The progress bar, Cancel and the two links: built once, on first use or right
        after the window's first paint (the first paint does not wait for them; a rich-text
        label alone costs ~10 ms)."""
        if self._hidden is None:
            parts = self._hidden = _HiddenParts(self)
            lay = self._lay
            at = lay.indexOf(self.label)
            lay.insertWidget(at, parts.bar)
            lay.insertWidget(at + 1, parts.cancel_button)
            lay.addWidget(parts.fix_link)
            lay.addWidget(parts.changed_link)
        return self._hidden

    @property
    def bar(self) -> QProgressBar:
        return self.build_hidden().bar

    @property
    def cancel_button(self) -> QPushButton:
        return self.build_hidden().cancel_button

    @property
    def fix_link(self) -> QLabel:
        """Shown with a message about the CleverTap settings; hidden once they are saved."""
        return self.build_hidden().fix_link

    @property
    def changed_link(self) -> QLabel:
        """Shown while users changed since delivery: their corrected event only on request."""
        return self.build_hidden().changed_link

    def _data_changed(self, topics: frozenset[changes.Topic]) -> None:
        """Users or events changed: count the users changed since delivery again."""
        if topics & changes.TABLE_ROWS and not getattr(self.window(), "closing", False):
            self.refresh_changed()

    @property
    def running(self) -> bool:
        return self._task is not None

    def _resend_toggled(self, on: bool) -> None:
        if on or self.label.text() == f"⚠ {RESEND_WARNING}":  # a run's summary stays
            self.label.setText(f"⚠ {RESEND_WARNING}" if on else "")
        self.label.setProperty("warning", on)
        self.label.style().polish(self.label)

    def send_changed(self) -> bool:
        """ "Send corrected events": the changed users' install events, after the question."""
        from lr_desktop.sync import Operation

        return self.start(Operation.SEND_PENDING, send_changed=True)

    def start(
        self,
        operation: Operation | None = None,
        *,
        send_changed: bool = False,
        confirmed: bool = False,
    ) -> bool:
        """Start a run (by default the full sync) unless one is running (an automatic send
        is then queued behind it). A run that would send second copies (re-send delivered,
        `send_changed`) first asks (`second_copies`); it starts once the user confirmed."""
        from lr_desktop.sync import Operation

        operation = Operation(operation or Operation.FULL_SYNC)
        if self._blocked is not None and self._task is None:
            self._show_config_message(f"Sync cannot start yet: {self._blocked}")
            return False
        if self._task is not None or self._asking:
            if operation == Operation.SEND_PENDING and not send_changed:
                self._again = self._again or operation
            return False
        resend = self.resend.isChecked() and operation == Operation.FULL_SYNC
        if (resend or send_changed) and not confirmed:
            self._ask(operation, resend=resend, send_changed=send_changed)
            return False
        self._run_resend = resend
        source, path = self._source, self._db_path

        def work(progress: Any, cancel: Any) -> tuple[SyncSummary, str | None]:
            from lr_desktop.sync.isolated import run_sync_isolated

            cfg = source.for_run()
            # In a child process: a million-event sync must not share the GUI's GIL.
            summary = run_sync_isolated(
                path,
                cfg,
                operation,
                resend_delivered=resend,
                send_changed=send_changed,
                progress=progress,
                cancel=cancel,
            )
            return summary, one_reason(path, summary, cfg)

        self.last_summary = None
        self.last_error = None
        self.last_reason = None
        self.fix_link.hide()
        self.sync_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.bar.setRange(0, 0)
        self.bar.show()
        self.label.setProperty("error", False)
        self.label.setText(
            "Sending pending events…"
            if operation == Operation.SEND_PENDING
            else "Starting the sync…"
        )
        self._task = self._runner.start(
            "sync",
            work,
            on_success=self._succeeded,
            on_failure=self._failed,
            on_progress=self._progress,
            on_done=self._ended,
            changes=changes.of_sync,
        )
        self.sync_running.emit(True)
        self.started.emit(str(operation))
        return True

    def _ask(self, operation: Operation, *, resend: bool, send_changed: bool) -> None:
        """Count what CleverTap may already hold (worker), then ask (GUI thread)."""
        from lr_desktop.gui.second_copies import count_second_copies

        self._asking = True
        self.sync_button.setEnabled(False)
        self.label.setText("Counting the events CleverTap may already hold…")
        path = self._db_path

        def work(_p: object, _c: object) -> SecondCopies:
            return count_second_copies(path, resend_delivered=resend, send_changed=send_changed)

        def counted(copies: SecondCopies) -> None:
            from lr_desktop.gui import second_copies

            if getattr(self.window(), "closing", False):  # no question while the window closes
                self._asking = False
                return
            if not copies.total and not resend:
                self._not_asked("Nothing sent: no user changed since delivery.")
                return
            if copies.total:
                self.label.setText("Waiting for your answer before sending second copies…")
            if copies.total and not second_copies.confirm_second_copies(self.window(), copies):
                self.resend.setChecked(False)
                self._not_asked("Cancelled: nothing was sent.")
                self.answered.emit(False)
                return
            self._asking = False
            self.start(operation, send_changed=send_changed, confirmed=True)
            self.answered.emit(True)

        def failed(exc: Exception) -> None:
            self._not_asked(f"Could not count the events: {exc}")

        self._runner.start("second-copies", work, on_success=counted, on_failure=failed)

    def _not_asked(self, text: str) -> None:
        self._asking = False
        self.sync_button.setEnabled(self._blocked is None)
        self.label.setText(text)

    def refresh_changed(self) -> None:
        """Count the users changed since delivery (worker); the link shows when there are any."""
        from lr_desktop.gui.second_copies import count_second_copies

        if not self._db_path.exists():
            return
        path = self._db_path

        def work(_p: object, _c: object) -> int:
            return count_second_copies(path, resend_delivered=False, send_changed=True).changed

        self._runner.start(
            "changed-count",
            work,
            on_success=self._show_changed,
            on_failure=lambda exc: log.warning("changed users not counted: %s", exc),
        )

    def _show_changed(self, n: int) -> None:
        self.changed_link.setText(
            f"<a href='send-changed'>{n:,} changed since delivery: send corrected events…</a>"
        )
        self.changed_link.setToolTip(
            "Their profile properties are updated on Sync. Their corrected install event goes "
            "out only when you ask: CleverTap keeps the old one too."
        )
        self.changed_link.setVisible(n > 0)
        self.changed_count.emit(n)

    def set_blocked(self, reason: str | None) -> None:
        """Disable Sync (saying why in its tooltip) until it can work; None: it can."""
        self._blocked = reason
        self.sync_button.setEnabled(reason is None and self._task is None)
        self.sync_button.setToolTip(reason or SYNC_TOOLTIP)
        if reason is None and self.fix_link.isVisible() and self._task is None:
            self.config_saved()

    def config_saved(self) -> None:
        """The CleverTap settings were saved: a message about them no longer holds."""
        if self.fix_link.isVisible() and self._task is None:
            self.fix_link.hide()
            self.label.setText("")
            self.label.setProperty("error", False)
            self.label.style().polish(self.label)

    def _show_config_message(self, text: str) -> None:
        self.label.setText(text)
        self.label.setProperty("error", True)
        self.label.style().polish(self.label)
        self.fix_link.show()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._again = None
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling after the requests in progress…")

    def wait(self, ms: int = 60_000) -> bool:
        return self._task.wait(ms) if self._task is not None else True

    def _progress(self, p: Progress) -> None:
        if self._task is None or self._task.cancel_event.is_set():
            return
        self.bar.setRange(0, max(p.total, 1))
        self.bar.setValue(min(p.done, max(p.total, 1)))
        self.label.setText(describe_progress(p))
        self.progressed.emit(p)

    def _succeeded(self, result: tuple[SyncSummary, str | None]) -> None:
        summary, self.last_reason = result
        self.last_summary = summary
        self.label.setText(describe_summary(summary, self.last_reason))

    def _failed(self, exc: Exception) -> None:
        from lr_desktop.secrets import KeyringFailure, KeyringUnavailable
        from lr_desktop.sync import SyncError, SyncSummary

        self.last_error = exc
        summary = getattr(exc, "summary", None)
        if isinstance(summary, SyncSummary):
            self.last_summary = summary
        if not isinstance(exc, SyncError | KeyringUnavailable | KeyringFailure):
            log.error("sync failed", exc_info=exc)
        self.label.setText(describe_error(exc))
        self.label.setProperty("error", True)
        self.label.style().polish(self.label)
        from lr_desktop.sync import ConfigurationProblem, CredentialsRejected

        if isinstance(exc, ConfigurationProblem | CredentialsRejected):
            self.fix_link.show()

    def _ended(self) -> None:
        self._task = None
        if self._run_resend:  # re-send is for one run: the next Sync sends no second copies
            self._run_resend = False
            self.resend.setChecked(False)
        self.sync_button.setEnabled(self._blocked is None)
        self.cancel_button.hide()
        self.bar.hide()
        self.sync_running.emit(False)
        self.finished.emit(self.last_error or self.last_summary)
        if self._again is not None and self.last_error is None:
            op, self._again = self._again, None
            self.start(op)
        self._again = None
