"""The window's questions before a second install event goes out.

CleverTap keeps every event it accepts and cannot delete one. So "Re-send delivered",
"Send corrected events" and a "Retry selected" that includes delivered users first
count, in a worker (never on the GUI thread), what CleverTap may already hold, using
the core's own count (`sync.scope`), and ask with that count and its consequence.
Cancel sends nothing. Tests answer the questions by patching `confirm_second_copies`
and `confirm_retry` in this module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from lr_desktop.gui.changes import Topic

if TYPE_CHECKING:
    from lr_desktop.gui.workers import TaskRunner
    from lr_desktop.sync.scope import SecondCopies


def count_second_copies(
    db_path: Path, *, resend_delivered: bool, send_changed: bool
) -> SecondCopies:
    """In a worker: the scope of the run, counted by the core."""
    from lr_desktop.store import reads
    from lr_desktop.sync.scope import second_copies

    conn = reads.open_read(db_path)
    try:
        return second_copies(conn, resend_delivered=resend_delivered, send_changed=send_changed)
    finally:
        conn.close()


def _ask(parent: QWidget | None, title: str, text: str, yes: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setObjectName("secondCopiesQuestion")
    send = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)  # Enter does not send second copies
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is send


def confirm_second_copies(parent: QWidget | None, copies: SecondCopies) -> bool:
    """Ask before a run that sends events CleverTap may already hold."""
    text = copies.describe()
    title = "Re-send delivered events?" if copies.resend_delivered else "Send corrected events?"
    yes = (
        f"Re-send {copies.total:,} events"
        if copies.resend_delivered
        else f"Send {copies.changed:,} events"
    )
    return _ask(parent, title, text[:1].upper() + text[1:] + ".", yes)


def confirm_retry(parent: QWidget | None, delivered: int, selected: int) -> bool:
    """Ask before "Retry selected" queues delivered users again."""
    users = (
        f"{delivered:,} of the {selected:,} selected users"
        if selected > delivered
        else (f"All {selected:,} selected users" if selected > 1 else "The selected user")
    )
    text = (
        f"{users} {'is' if delivered == 1 else 'are'} already delivered. "
        f"Retrying queues {delivered:,} install event{'s' if delivered != 1 else ''} again: "
        "the next sync sends each of them a second time, and CleverTap will keep both copies "
        "(it cannot remove one)."
    )
    return _ask(
        parent,
        "Send delivered events again?",
        text,
        f"Queue {delivered:,} event{'s' if delivered != 1 else ''} again",
    )


def describe_retry(n: int) -> str:
    return f"{n:,} event{'s' if n != 1 else ''} queued again; they go out with the next sync."


class RetryFlow(QObject):
    """ "Retry selected": count the delivered users (worker), ask when there are any, then
    `sync.ledger.retry_users` (worker: no database write on the GUI thread)."""

    finished = Signal(object)  # the number of events queued again, None when cancelled

    def __init__(self, db_path: Path, runner: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._runner = runner
        self._parent = parent

    def retry(self, user_ids: list[str], on_done: Callable[[int | None], None]) -> None:
        path, ids = self._db_path, list(user_ids)

        def count(_p: object, _c: object) -> int:
            from lr_desktop.store import reads
            from lr_desktop.sync.scope import retry_second_copies

            conn = reads.open_read(path)
            try:
                return retry_second_copies(conn, ids)
            finally:
                conn.close()

        def counted(delivered: int) -> None:
            if getattr(self._parent, "closing", False):  # no question while the window closes
                return
            if delivered and not confirm_retry(self._parent, delivered, len(ids)):
                self._done(None, on_done)
                return
            # done once the thread ended: the runner's change notice (the rows) follows
            task = self._runner.start(
                "retry",
                write,
                on_done=lambda: self._done(task.outcome, on_done),
                on_failure=lambda _exc: None,
                changes={Topic.ROWS},
            )

        def write(_p: object, _c: object) -> int:
            from lr_desktop.store import connect
            from lr_desktop.sync.ledger import retry_users

            conn = connect(path)
            try:
                return retry_users(conn, ids)
            finally:
                conn.close()

        self._runner.start(
            "retry-count",
            count,
            on_success=counted,
            on_failure=lambda exc: self._failed(exc, on_done),
        )

    def _failed(self, exc: Exception, on_done: Callable[[Any], None]) -> None:
        self._done(exc, on_done)

    def _done(self, result: Any, on_done: Callable[[Any], None]) -> None:
        on_done(result)
        self.finished.emit(result)
