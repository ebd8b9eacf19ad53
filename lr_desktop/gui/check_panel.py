"""The "Check CleverTap" action: the core's `run_verify` on a worker thread, with
progress, rate and Cancel (a cancelled check resumes where it stopped next time)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from lr_desktop.clevertap.config_source import ConfigSource
from lr_desktop.gui.changes import Topic
from lr_desktop.gui.elided_label import ElidedLabel
from lr_desktop.gui.workers import Task, TaskRunner

log = logging.getLogger(__name__)

CHECK_TOOLTIP = (
    "Download the install events CleverTap holds (Get Events API) and give every user a "
    "verdict: in CleverTap once, missing, duplicated, different, unknown here."
)


def describe_check_progress(p: Any) -> str:
    """One line for a VerifyProgress."""
    if p.phase == "judge":
        return f"Comparing {p.records:,} CleverTap events with the users…"
    return (
        f"Downloading CleverTap's events: {p.records:,} of about {p.expected:,} "
        f"({p.pages:,} pages, {p.rate:,.0f}/s)"
    )


def describe_check(summary: Any) -> str:
    """One line for a VerifySummary."""
    from lr_desktop.verify import PROBLEMS, VERDICT_LABELS

    if summary.state == "cancelled":
        return "CleverTap check cancelled: it resumes where it stopped next time."
    problems = [
        f"{summary.counts.get(v, 0):,} {VERDICT_LABELS[v][0].lower()}{VERDICT_LABELS[v][1:]}"
        for v in PROBLEMS
        if summary.counts.get(v)
    ]
    present = summary.counts.get("present", 0)
    text = f"CleverTap check: {present:,} in CleverTap once"
    return text + (f"; {', '.join(problems)}." if problems else "; CleverTap agrees.")


class CheckPanel(QWidget):
    """Button, progress bar, Cancel and a one-line result, for the toolbar."""

    finished = Signal(object)  # VerifySummary, or the exception that stopped the check
    running_changed = Signal(bool)

    def __init__(
        self, db_path: Path, source: ConfigSource, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._source = source
        self._runner = runner
        self._task: Task[Any] | None = None
        self.last_summary: Any = None
        self.last_error: Exception | None = None
        self.check_button = QPushButton("Check CleverTap")
        self.check_button.setObjectName("checkButton")
        self.check_button.setToolTip(CHECK_TOOLTIP)
        self.check_button.clicked.connect(lambda: self.start())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelCheck")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.bar = QProgressBar()
        self.bar.setObjectName("checkProgress")
        self.bar.setMaximumWidth(160)
        self.bar.hide()
        self.label = ElidedLabel()
        self.label.setObjectName("checkLabel")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.check_button)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        lay.addWidget(self.label, 1)

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> bool:
        if self._task is not None:
            return False
        source, path = self._source, self._db_path

        def work(progress: Any, cancel: Any) -> Any:
            from lr_desktop.verify import run_verify

            return run_verify(path, source.for_run(), progress=progress, cancel=cancel)

        self.last_summary = self.last_error = None
        self.check_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.bar.setRange(0, 0)
        self.bar.show()
        self.label.setProperty("error", False)
        self.label.setText("Asking CleverTap…")
        self._task = self._runner.start(
            "verify",
            work,
            on_success=self._succeeded,
            on_failure=self._failed,
            on_progress=self._progress,
            on_done=self._ended,
            changes={Topic.CHECK},
        )
        self.running_changed.emit(True)
        return True

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling after the pages in progress…")

    def _progress(self, p: Any) -> None:
        if self._task is None or self._task.cancel_event.is_set():
            return
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(p.fraction * 1000))
        self.label.setText(describe_check_progress(p))

    def _succeeded(self, summary: Any) -> None:
        self.last_summary = summary
        self.label.setText(describe_check(summary))

    def _failed(self, exc: Exception) -> None:
        from lr_desktop.clevertap.reads import ReadApiError
        from lr_desktop.verify import CheckAlreadyRunning

        self.last_error = exc
        if not isinstance(exc, ReadApiError | CheckAlreadyRunning | ValueError):
            log.error("check failed", exc_info=exc)
        self.label.setText(f"CleverTap check stopped: {exc}")
        self.label.setProperty("error", True)
        self.label.style().polish(self.label)

    def _ended(self) -> None:
        self._task = None
        self.check_button.setEnabled(True)
        self.cancel_button.hide()
        self.bar.hide()
        self.running_changed.emit(False)
        self.finished.emit(self.last_error or self.last_summary)
