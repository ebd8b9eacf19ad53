"""Logging to a file under the platform's log folder, and an excepthook that shows
uncaught errors (also those raised in slots) in a dialog. Nothing logged holds a secret:
every record passes the core's URL redaction."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from lr_desktop.paths import log_dir

log = logging.getLogger("lr_desktop.gui")


def redact_url(text: str) -> str:
    """The core's URL redaction (its module is imported when the first record is written)."""
    from lr_desktop.clevertap.payloads import redact_url as redact

    return redact(text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_url(super().format(record))


class RotatingFile(logging.Handler):
    """A RotatingFileHandler (2 MB, 3 backups), made when the first record is written:
    `logging.handlers` (socket, pickle, ...) costs ~10 ms, and the window usually logs
    nothing before it is shown."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        # called under this handler's lock: the inner handler needs no lock of its own
        if self._file is None:
            import logging.handlers

            self._file = logging.handlers.RotatingFileHandler(
                self.path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
            )
            self._file.setFormatter(self.formatter)
        self._file.emit(record)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def setup_logging(directory: Path | None = None) -> Path:
    directory = directory or log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "lr-desktop.log"
    handler = RotatingFile(path)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return path


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
