"""Sync history > a run: its failures and rejections grouped by reason (the core's
`run_errors`), with counts and the users behind each, and "Retry failed"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lr_desktop.gui.workers import TaskRunner
from lr_desktop.run_errors import ErrorGroup
from lr_desktop.words import plural


def load_run_errors(db_path: Path, run_id: int, host: str) -> tuple[list[ErrorGroup], list[str]]:
    """In a worker: the groups and every failed user (for Retry failed)."""
    from lr_desktop.run_errors import failed_user_ids, run_error_groups
    from lr_desktop.store import reads

    conn = reads.open_read(db_path)
    try:
        return run_error_groups(conn, run_id, host=host), failed_user_ids(conn, run_id)
    finally:
        conn.close()


class RunDetailDialog(QDialog):
    loaded = Signal()

    def __init__(
        self,
        db_path: Path,
        run: dict[str, Any],
        runner: TaskRunner,
        retry: Callable[[list[str]], None],
        host: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runDetail")
        self.setWindowTitle(f"Run {run.get('id')}")
        self.resize(760, 480)
        self._retry = retry
        self.failed_users: list[str] = []
        self.groups: list[ErrorGroup] = []
        self._delivered = int(run.get("delivered") or 0)
        self.head = QLabel(objectName="runHead")
        self.head.setWordWrap(True)
        self.head.setText(self._head(run))
        self.tree = QTreeWidget(objectName="runErrors")
        self.tree.setHeaderLabels(["Reason", "Users"])
        self.tree.setColumnWidth(0, 600)
        self.retry_button = QPushButton("Retry failed", objectName="retryFailed")
        self.retry_button.setEnabled(False)
        self.retry_button.clicked.connect(self.retry_failed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.head)
        lay.addWidget(self.tree, 1)
        lay.addWidget(buttons)
        run_id = int(run["id"])
        runner.start(
            "run-errors",
            lambda _p, _c: load_run_errors(db_path, run_id, host),
            on_success=self._show,
        )

    @staticmethod
    def _head(run: dict[str, Any]) -> str:
        head = f"<b>{run.get('kind_text', '')}</b> · {run.get('state', '')}: "
        if run.get("kind") == "pull":  # a pull sends nothing: what Linkrunner returned
            return head + str(run.get("total_text") or f"{run.get('total') or 0:,} records")
        parts = [
            f"{run.get(k) or 0:,} {label}"
            for k, label in (
                ("delivered", "delivered"),
                ("rejected", "rejected"),
                ("failed", "failed"),
                ("waiting", "waiting for a CleverTap ID"),
            )
        ]
        total = f"<br>Total: {run['total_text']}" if run.get("total_text") else ""
        return head + ", ".join(parts) + total

    def _show(self, result: tuple[list[ErrorGroup], list[str]]) -> None:
        from lr_desktop.run_errors import run_level_reason

        self.groups, self.failed_users = result
        reason = run_level_reason(self.groups, delivered=self._delivered) if self.groups else None
        if reason:
            self.head.setText(self.head.text() + f"<br><b>{reason}</b>")
        if not self.groups:
            self.head.setText(self.head.text() + "<br>Nothing failed or was rejected in this run.")
        for g in self.groups:
            what = "event" if g.kind == "event" else "profile update"
            item = QTreeWidgetItem(
                [
                    f"{g.reason}  ({'rejected' if g.outcome == 'rejected' else 'failed'})",
                    plural(g.count, what),
                ]
            )
            for uid in g.user_ids:
                item.addChild(QTreeWidgetItem([uid, ""]))
            if g.count > len(g.user_ids):
                item.addChild(QTreeWidgetItem([f"… and {g.count - len(g.user_ids):,} more", ""]))
            self.tree.addTopLevelItem(item)
        if self.groups:
            self.tree.topLevelItem(0).setExpanded(True)
        self.retry_button.setEnabled(bool(self.failed_users))
        self.retry_button.setText(f"Retry failed ({plural(len(self.failed_users), 'user')})")
        self.loaded.emit()

    def retry_failed(self) -> None:
        if self.failed_users:
            self._retry(list(self.failed_users))
            self.retry_button.setEnabled(False)
