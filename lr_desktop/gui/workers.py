"""Background work: one QObject worker per task on its own QThread (superqt's wiring).

`TaskRunner.start(fn, ...)` runs `fn(progress, cancel)` off the GUI thread. Results,
errors and progress come back through queued signals to a `Task` that lives in the GUI
thread, which calls the given callbacks there. `finished` quits the thread (directly).
The objects are Python-owned and released only after the thread has ended, on the GUI
thread (no deleteLater racing Python's own reference counting). `shutdown()` sets every cancel event and waits for the threads
(no "QThread: Destroyed while thread is still running").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

log = logging.getLogger(__name__)

Work = Callable[[Callable[[Any], None], threading.Event], Any]


class Worker(QObject):
    """Runs in the worker thread; reports only through signals."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    def __init__(self, fn: Work, cancel: threading.Event) -> None:
        super().__init__()
        self._fn = fn
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self.progress.emit, self._cancel)
        except Exception as exc:  # handed to the GUI thread, which decides what to show
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)
        finally:
            self.finished.emit()


class Task(QObject):
    """The GUI-thread side of one background job."""

    done = Signal()  # after the success/failure callback ran and the thread ended

    def __init__(
        self,
        name: str,
        fn: Work,
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.name = name
        self.cancel_event = threading.Event()
        self._on_success = on_success
        self._on_failure = on_failure
        self._on_progress = on_progress
        self.thread = QThread()
        self.thread.setObjectName(f"lr-{name}")
        self.worker = Worker(fn, self.cancel_event)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.progress.connect(self._progress)
        self.worker.succeeded.connect(self._succeeded)
        self.worker.failed.connect(self._failed)
        # Direct: QThread.quit is thread-safe, and a queued quit would wait for the GUI
        # thread, which may itself be blocked in wait() while the window closes.
        # (Qt is imported here: PySide6 builds all of its ~100 enums on import, ~20 ms.)
        from PySide6.QtCore import Qt

        self.worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._thread_finished)
        self.running = False

    def start(self) -> None:
        self.running = True
        self.thread.start()

    def cancel(self) -> None:
        self.cancel_event.set()

    def wait(self, ms: int = 60_000) -> bool:
        if not self.running:
            return True
        return self.thread.wait(ms)

    @Slot(object)
    def _progress(self, value: object) -> None:
        if self._on_progress is not None:
            self._on_progress(value)

    @Slot(object)
    def _succeeded(self, value: object) -> None:
        if self._on_success is not None:
            self._on_success(value)

    @Slot(object)
    def _failed(self, exc: object) -> None:
        assert isinstance(exc, Exception)
        if self._on_failure is not None:
            self._on_failure(exc)
        else:
            log.error("background task %s failed", self.name, exc_info=exc)
            raise exc

    @Slot()
    def _thread_finished(self) -> None:
        self.running = False
        self.done.emit()


class TaskRunner(QObject):
    """Owns the running tasks of the window."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[Task] = set()

    def start(
        self,
        name: str,
        fn: Work,
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
    ) -> Task:
        task = Task(
            name,
            fn,
            on_success=on_success,
            on_failure=on_failure,
            on_progress=on_progress,
        )
        self._tasks.add(task)
        task.done.connect(lambda: self._forget(task))
        task.start()
        return task

    def _forget(self, task: Task) -> None:
        # Dropped on a later turn of the event loop, not inside the task's own slot; Python
        # then deletes the task, its worker and its (finished) thread on the GUI thread.
        QTimer.singleShot(0, self, lambda: self._tasks.discard(task))

    def running(self, name: str | None = None) -> list[Task]:
        return [t for t in self._tasks if t.running and (name is None or t.name == name)]

    def shutdown(self, ms: int = 60_000) -> bool:
        """Cancel every task and wait for its thread; True when all ended."""
        tasks = [t for t in self._tasks if t.running]
        for t in tasks:
            t.cancel()
        ok = all(t.wait(ms) for t in tasks)
        return ok
