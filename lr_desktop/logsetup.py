"""Logging to a rotating file under the platform's log folder, for the window and for
the headless `pull --watch`. Nothing logged holds a secret: every record passes the
core's URL redaction."""

from __future__ import annotations

import logging
from pathlib import Path

from lr_desktop.paths import log_dir


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
