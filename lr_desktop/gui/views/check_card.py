"""The Overview's CleverTap check card: the last check's users per verdict, when it ran
and over which range (read by the core's `verify.last_check`, off the GUI thread)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from lr_desktop.gui.workers import TaskRunner

# here, not in models.verdict_words (which uses it too): that module imports verify, the
# clevertap settings and the store (~40 ms), and the card is built before the first paint
NO_CHECK = "No CleverTap check yet: Sync > Check CleverTap compares what CleverTap holds."


def last_check_at(path: Path) -> dict[str, Any] | None:
    """In a worker: the last finished check (None: none yet)."""
    from lr_desktop.store import connect
    from lr_desktop.verify import last_check

    conn = connect(path)
    try:
        return last_check(conn)
    finally:
        conn.close()


def describe_last_check(check: dict[str, Any] | None) -> tuple[str, str]:
    """(title line, verdict lines) for the card."""
    from lr_desktop.verify import VERDICT_LABELS

    if check is None:
        return "CleverTap check", NO_CHECK
    from datetime import datetime  # not before the first paint (~3 ms of import time)

    when = datetime.fromtimestamp(check["ended_at"] or check["started_at"]).strftime(
        "%Y-%m-%d %H:%M"
    )
    title = f"CleverTap check · {when} · {check['since']} to {check['until']}"
    lines = [
        f"{VERDICT_LABELS[v]}: {n:,}" for v, n in check["counts"].items() if n or v == "present"
    ]
    return title, "\n".join(lines)


class CheckCard(QFrame):
    updated = Signal()

    def __init__(self, db_path: Path, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card_clevertap_check")
        self.setProperty("card", True)
        self._db_path = Path(db_path)
        self._runner = runner
        self.check: dict[str, Any] | None = None
        self.title = QLabel("CleverTap check")
        self.title.setObjectName("checkCardTitle")
        self.title.setProperty("cardCaption", True)
        self.body = QLabel(NO_CHECK)
        self.body.setObjectName("checkCardBody")
        self.body.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.body)

    def refresh(self) -> None:
        path = self._db_path
        self._runner.start(
            "check card", lambda _p, _c: last_check_at(path), on_success=self._show,
            on_failure=lambda exc: self.body.setText(f"Could not read the last check: {exc}"),
        )  # fmt: skip

    def _show(self, check: dict[str, Any] | None) -> None:
        self.check = check
        title, body = describe_last_check(check)
        self.title.setText(title)
        self.body.setText(body)
        self.updated.emit()
