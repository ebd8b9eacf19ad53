"""An excepthook that logs uncaught errors (also those raised in slots) and shows them in
a dialog, redacted like every log record (`lr_desktop.logsetup`)."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from lr_desktop.logsetup import redact_url

log = logging.getLogger("lr_desktop.gui")


def install_excepthook(log_path: Path) -> None:
    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("uncaught exception", exc_info=(exc_type, exc, tb))
        text = redact_url("".join(traceback.format_exception(exc_type, exc, tb)))
        sys.__stderr__.write(text) if sys.__stderr__ else None
        show_error_dialog(f"{exc_type.__name__}: {redact_url(str(exc))}", text, log_path)

    sys.excepthook = hook


def show_error_dialog(summary: str, details: str, log_path: Path) -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.instance() is None:
        return
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "Something went wrong",
        "Linkrunner Desktop hit an unexpected error. Your data is safe; the action "
        f"may not have finished.\n\n{summary}\n\nDetails were written to {log_path}.",
    )
    box.setDetailedText(details)
    box.exec()
