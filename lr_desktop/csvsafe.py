"""Spreadsheet-safe CSV cells: text a spreadsheet would run as a formula is neutralised.

A cell starting with = + - @ (or a tab / carriage return, which some spreadsheets skip
before looking for those) gets a leading apostrophe, which Excel, LibreOffice and
Google Sheets show as plain text (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
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


def write_csv(path: Path | str, header: Sequence[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write a spreadsheet-safe CSV (UTF-8 with BOM, so Excel reads accents); returns rows written.

    Written to a temporary name first and moved into place, so a failure leaves no half file.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    count = 0
    try:
        with tmp.open("w", newline="", encoding="utf-8-sig", errors="replace") as fh:
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
