"""The automatic Linkrunner pull while the window is open.

`AutoPull` runs one pull (`linkrunner.pull.pull_once`) on a worker thread every N
minutes, never two at once and never while a Sync with CleverTap runs (a round that
finds one running follows it when it ends). What each round did comes back through
`finished` as a `PullOutcome`; the window shows it and, when "Send automatically" is on,
sends what is due; the sections refresh themselves from the runner's change notice. Where the key and settings come from:
`linkrunner_source.LinkrunnerSource`.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from lr_desktop import secrets
from lr_desktop.clevertap.config_source import ConfigSource
from lr_desktop.gui import changes
from lr_desktop.gui.linkrunner_source import (
    LinkrunnerSource,
    NoApiKey,
    PullOutcome,
    describe_pull_error,
)
from lr_desktop.gui.workers import Task, TaskRunner
from lr_desktop.store import connect

log = logging.getLogger(__name__)

STARTUP_DELAY_MS = 5_000  # the first automatic round after the window opens
MIN_INTERVAL_MS = 200


# -- the automatic pull ---------------------------------------------------------------------


def _expected(exc: Exception) -> bool:
    """Problems the user can fix or wait out (no traceback in the log)."""
    from lr_desktop.clevertap.endpoint import EndpointRefused
    from lr_desktop.linkrunner.client import LinkrunnerError
    from lr_desktop.store import StoreError

    return isinstance(
        exc,
        NoApiKey
        | LinkrunnerError
        | EndpointRefused
        | StoreError
        | secrets.KeyringUnavailable
        | secrets.KeyringFailure,
    )


def _due_and_send(db_path: Path, config: ConfigSource) -> tuple[int, bool]:
    from lr_desktop.store.overview import status_counts

    conn = connect(db_path)
    try:
        counts = status_counts(conn)
    finally:
        conn.close()
    cfg = config.public()
    return counts.get("queued", 0) + counts.get("failed", 0), bool(
        cfg.send_automatically and config.is_configured()
    )


class AutoPull(QObject):
    """The timer and the pull task; at most one pull at a time."""

    started = Signal()
    finished = Signal(object)  # PullOutcome
    running_changed = Signal(bool)

    def __init__(
        self,
        db_path: Path,
        source: LinkrunnerSource,
        config: ConfigSource,
        runner: TaskRunner,
        sync_running: Any,  # () -> bool
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._source = source
        self._config = config
        self._runner = runner
        self._sync_running = sync_running
        self._task: Task[PullOutcome] | None = None
        self._deferred = False
        self._stopped = False
        self.enabled = False
        self.interval_minutes = 15.0
        self.last: PullOutcome | None = None
        self.timer = QTimer(self)
        self.timer.setObjectName("linkrunnerAutoPull")
        self.timer.timeout.connect(self.tick)
        self._first = QTimer(self, singleShot=True)
        self._first.timeout.connect(self.tick)

    @property
    def running(self) -> bool:
        return self._task is not None

    @property
    def interval_ms(self) -> int:
        return max(MIN_INTERVAL_MS, round(self.interval_minutes * 60_000))

    def configure(self, enabled: bool, interval_minutes: float) -> None:
        """Apply the stored settings: start, restart or stop the timer."""
        if self._stopped:
            return
        was = self.enabled and self.timer.isActive()
        changed = interval_minutes != self.interval_minutes
        self.enabled = enabled
        self.interval_minutes = interval_minutes
        if not enabled:
            self.timer.stop()
            self._first.stop()
            self._deferred = False
            return
        if not was or changed:
            self.timer.start(self.interval_ms)
            if not was:
                self._first.start(min(self.interval_ms, STARTUP_DELAY_MS))

    @Slot()
    def tick(self) -> None:
        """The timer's slot: one automatic round (skipped quietly when one is running)."""
        if self.enabled:
            self.run_now()

    def run_now(self) -> bool:
        """Start a round now; False when one runs, or a sync runs (then it follows the sync)."""
        if self._stopped or self._task is not None:
            return False
        if self._sync_running():
            self._deferred = True
            return False
        self._deferred = False
        db_path, source, config = self._db_path, self._source, self._config

        def work(progress: Any, cancel: Any) -> PullOutcome:
            from lr_desktop.linkrunner.pull import pull_once

            key = source.key_for_pull()
            if not key:
                raise NoApiKey("no Linkrunner API key")
            report = pull_once(db_path, api_key=key, cancel=cancel, progress=progress)
            due, send = _due_and_send(db_path, config)
            return PullOutcome(
                report=report, settings=source.settings(), due=due, send=send, at=time.time()
            )

        self._task = self._runner.start(
            "linkrunner-pull",
            work,
            on_success=self._succeeded,
            on_failure=self._failed,
            on_done=self._ended,
            changes=lambda outcome: changes.of_pull(getattr(outcome, "report", None)),
        )
        self.running_changed.emit(True)
        self.started.emit()
        return True

    @Slot()
    def sync_ended(self) -> None:
        """A sync ended: run the round it held back (on the next turn of the event loop)."""
        if self._deferred and not self._stopped:
            QTimer.singleShot(0, self, self._run_deferred)

    def _run_deferred(self) -> None:
        if self._deferred and not self._stopped and not self._sync_running():
            self.run_now()

    def stop(self) -> None:
        """The window closes: no more rounds; cancel the one running (the caller waits)."""
        self._stopped = True
        self.timer.stop()
        self._first.stop()
        if self._task is not None:
            self._task.cancel()

    def wait(self, ms: int = 60_000) -> bool:
        return self._task.wait(ms) if self._task is not None else True

    def _succeeded(self, outcome: PullOutcome) -> None:
        self.last = outcome
        if outcome.report is not None and not outcome.report.cancelled:
            log.info(
                "Linkrunner pull: %d new, %d updated, %d rejected",
                outcome.report.imported,
                outcome.report.updated,
                outcome.report.rejected,
            )

    def _failed(self, exc: Exception) -> None:
        from lr_desktop.linkrunner.pull import PullAlreadyRunning

        outcome = PullOutcome(error=exc, at=time.time())
        self.last = outcome
        if isinstance(exc, PullAlreadyRunning):
            log.info("Linkrunner pull skipped: another pull holds the database")
        elif _expected(exc):
            log.warning("%s", describe_pull_error(exc))
        else:
            log.error("Linkrunner pull failed", exc_info=exc)

    def _ended(self) -> None:
        self._task = None
        self.running_changed.emit(False)
        if self.last is not None and not self._stopped:
            self.finished.emit(self.last)
