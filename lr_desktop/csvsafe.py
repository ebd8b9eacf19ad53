"""Spreadsheet-safe CSV cells: text a spreadsheet would run as a formula is neutralised.

A cell starting with = + - @ (or a tab / carriage return, which some spreadsheets skip
before looking for those) gets a leading apostrophe, which Excel, LibreOffice and
Google Sheets show as plain text (OWASP "CSV injection").
"""

from __future__ import annotations

import contextlib
import csv
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value, with a leading apostrophe if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


safe_cell = neutralise


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in values]


def target_problem(path: Path | str) -> str | None:
    """Why a CSV must not be written at path, in a marketer's words, or None.

    Only a new file or an existing regular file is (re)placed: a symlink, FIFO, device
    node or folder is refused (moving a new file over `/dev/full` or a link replaces
    it), and so is a path whose folder does not exist.
    """
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        folder = path.parent
        if not folder.is_dir():
            return f"the folder {folder} does not exist; create it first or choose another place"
        return None
    except OSError as exc:
        return f"{path} cannot be checked ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return f"{path} is a folder; give a file name, like {path / 'rejected.csv'}"
    kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file (a pipe or device)"
    return f"{path} is {kind}; it is left alone: choose a new file name"


def write_csv(path: Path | str, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write a spreadsheet-safe CSV (UTF-8 with BOM, so Excel reads accents); returns rows written.

    Written to a new temporary file (never an existing name, so never through a link) and
    moved into place, so a failure leaves no half file. Raises ValueError with
    `target_problem`'s reason for a target that is not a new or regular file.
    """
    path = Path(path)
    problem = target_problem(path)
    if problem:
        raise ValueError(problem)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(name)
    count = 0
    try:
        # mkstemp makes it 0600 (private: it holds user ids); a replaced file keeps its mode.
        # (No os.fchmod on older Windows; os.umask is process-wide, so it is not touched.)
        with contextlib.suppress(OSError, AttributeError):
            os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
        with open(fd, "w", newline="", encoding="utf-8-sig", errors="replace") as fh:
            writer = csv.writer(fh)
            writer.writerow(safe_row(header))
            for row in rows:
                writer.writerow(safe_row(row))
                count += 1
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count
