"""The window's log file: redacted, rotating, opened when the first record is written."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from lr_desktop.logsetup import setup_logging


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        yield setup_logging(tmp_path / "logs")
    finally:
        for h in root.handlers:
            if h not in before:
                root.removeHandler(h)
                h.close()
        root.setLevel(level)


def test_records_are_redacted_and_the_file_rotates(log_file: Path) -> None:
    assert not log_file.exists()  # nothing written yet, nothing opened
    log = logging.getLogger("lr_desktop.test")
    log.info("GET https://eu1.api.clevertap.com/1/upload?account_passcode=S3cr3tPass -> 200")
    for h in logging.getLogger().handlers:
        h.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "INFO lr_desktop.test: GET" in text and "S3cr3tPass" not in text
    line = "x" * 1000
    for _ in range(2_100):  # more than the 2 MB a file may hold
        log.info(line)
    assert log_file.with_name("lr-desktop.log.1").exists()
    assert log_file.stat().st_size < 2_000_000
