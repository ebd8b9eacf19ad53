"""Background work: one QObject worker per task on its own QThread (superqt's wiring).

The one shape of background work in the window (in the spirit of Anki's
`QueryOp`/`CollectionOp`): `TaskRunner.start(name, fn, on_success=..., on_failure=...,
on_progress=..., on_done=..., changes=...)` runs `fn(progress, cancel)` off the GUI
thread and returns a typed `Task[T]`. The result (a `T`), an error or progress come back
through queued signals to the `Task`, which lives in the GUI thread and calls the given
callbacks there; `on_done` runs once the thread has ended, whatever the outcome.

`changes` says what the work changed in the database (`changes.Topic`s, fixed or worked
out from the result or the error). After `on_done` the runner emits them as its one
change notice, `changed(frozenset[Topic])`, and each section refreshes itself from it:
no flow has to know who shows what it changed.

`finished` quits the thread (directly). The objects are Python-owned and released only
after the thread has ended, on the GUI thread (no deleteLater racing Python's own
reference counting). `shutdown()` sets every cancel event and waits for the threads
(no "QThread: Destroyed while thread is still running").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

if TYPE_CHECKING:
    from lr_desktop.gui.changes import Topic

log = logging.getLogger(__name__)

T = TypeVar("T")
P = TypeVar("P")
# fn(progress, cancel) -> T, in the worker thread
Work = Callable[[Callable[[P], None], threading.Event], T]
# what the work changed: fixed, or from its result (or the exception it raised)
Changes = Iterable["Topic"] | Callable[[Any], Iterable["Topic"]]


class Worker(QObject):
    """Runs in the worker thread; reports only through signals."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    def __init__(self, fn: Work[Any, Any], cancel: threading.Event) -> None:
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


class Task(QObject, Generic[T]):
    """The GUI-thread side of one background job."""

    done = Signal()  # after the success/failure callback ran and the thread ended

    def __init__(
        self,
        name: str,
        fn: Work[Any, T],
        *,
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_done: Callable[[], None] | None = None,
        changes: Changes = (),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.name = name
        self.cancel_event = threading.Event()
        self._on_success = on_success
        self._on_failure = on_failure
        self._on_progress = on_progress
        self._on_done = on_done
        self._changes = changes
        self.outcome: object = None  # the result, or the exception, once known
        self.changed: frozenset[Topic] = frozenset()
        self.worker_thread = QThread()
        self.worker_thread.setObjectName(f"lr-{name}")
        self.worker = Worker(fn, self.cancel_event)
        self.worker.moveToThread(self.worker_thread)
        self.worker_thread.started.connect(self.worker.run)
        self.worker.progress.connect(self._progress)
        self.worker.succeeded.connect(self._succeeded)
        self.worker.failed.connect(self._failed)
        # Direct: QThread.quit is thread-safe, and a queued quit would wait for the GUI
        # thread, which may itself be blocked in wait() while the window closes.
        # (Qt is imported here: PySide6 builds all of its ~100 enums on import, ~20 ms.)
        from PySide6.QtCore import Qt

        self.worker.finished.connect(self.worker_thread.quit, Qt.ConnectionType.DirectConnection)
        self.worker_thread.finished.connect(self._thread_finished)
        self.running = False

    def start(self) -> None:
        self.running = True
        self.worker_thread.start()

    def cancel(self) -> None:
        self.cancel_event.set()

    def wait(self, ms: int = 60_000) -> bool:
        if not self.running:
            return True
        return self.worker_thread.wait(ms)

    @Slot(object)
    def _progress(self, value: object) -> None:
        if self._on_progress is not None:
            self._on_progress(value)

    def _note_changes(self, outcome: object) -> None:
        self.outcome = outcome
        changes = self._changes
        self.changed = frozenset(changes(outcome) if callable(changes) else changes)

    @Slot(object)
    def _succeeded(self, value: Any) -> None:
        self._note_changes(value)
        if self._on_success is not None:
            self._on_success(value)

    @Slot(object)
    def _failed(self, exc: object) -> None:
        assert isinstance(exc, Exception)
        self._note_changes(exc)
        if self._on_failure is not None:
            self._on_failure(exc)
        else:
            log.error("background task %s failed", self.name, exc_info=exc)
            raise exc

    @Slot()
    def _thread_finished(self) -> None:
        self.running = False
        if self._on_done is not None:
            self._on_done()
        self.done.emit()


class TaskRunner(QObject):
    """Owns the running tasks of the window, and its one change notice."""

    changed = Signal(object)  # frozenset[Topic]: what a task changed, after its on_done

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[Task[Any]] = set()

    def start(
        self,
        name: str,
        fn: Work[P, T],
        *,
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[Exception], None] | None = None,
        on_progress: Callable[[P], None] | None = None,
        on_done: Callable[[], None] | None = None,
        changes: Changes = (),
    ) -> Task[T]:
        task = Task(
            name,
            fn,
            on_success=on_success,
            on_failure=on_failure,
            on_progress=on_progress,
            on_done=on_done,
            changes=changes,
        )
        self._tasks.add(task)
        task.done.connect(lambda: self._ended(task))
        task.start()
        return task

    def notify(self, topics: Iterable[Topic]) -> None:
        """Tell the sections what changed (also for changes made outside a task)."""
        topics = frozenset(topics)
        if topics:
            self.changed.emit(topics)

    def _ended(self, task: Task[Any]) -> None:
        self.notify(task.changed)
        self._forget(task)

    def _forget(self, task: Task[Any]) -> None:
        # Dropped on a later turn of the event loop, not inside the task's own slot; Python
        # then deletes the task, its worker and its (finished) thread on the GUI thread.
        QTimer.singleShot(0, self, lambda: self._tasks.discard(task))

    def running(self, name: str | None = None) -> list[Task[Any]]:
        return [t for t in self._tasks if t.running and (name is None or t.name == name)]

    def shutdown(self, ms: int = 60_000) -> bool:
        """Cancel every task and wait for its thread; True when all ended."""
        tasks = [t for t in self._tasks if t.running]
        for t in tasks:
            t.cancel()
        ok = all(t.wait(ms) for t in tasks)
        return ok
