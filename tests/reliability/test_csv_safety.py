"""Promise: no exported CSV cell can run as a spreadsheet formula. Cells starting with
= + - @ (or a tab / carriage return) get a leading apostrophe, in every export:
csvsafe itself, the importer's rejections file and the events table export."""

from __future__ import annotations

import csv
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from lr_desktop import csvsafe
from lr_desktop.importer.run import ImportReport, Rejection, write_rejections_csv
from tests.engine_helpers import fill, users

DANGEROUS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["plain", "a=b", "1-2", "user@example.com", "", "Ünïcødé"]


def _cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def _assert_safe(cells: list[list[str]]) -> None:
    for row in cells:
        for cell in row:
            assert not cell.startswith(csvsafe.FORMULA_STARTS), repr(cell)


@pytest.mark.parametrize("value", DANGEROUS)
def test_neutralise_prefixes_an_apostrophe(value: str) -> None:
    assert csvsafe.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", [*HARMLESS, 5, -5, 1.5, None])
def test_harmless_values_are_unchanged(value: object) -> None:
    assert csvsafe.neutralise(value) == value


def test_write_csv_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    rows = [[v, "ok"] for v in DANGEROUS + HARMLESS]
    assert csvsafe.write_csv(out, ("=head", "b"), rows) == len(rows)
    cells = _cells(out)
    _assert_safe(cells)
    assert cells[0] == ["'=head", "b"]
    assert [r[0] for r in cells[1:]] == ["'" + v for v in DANGEROUS] + HARMLESS
    assert not (tmp_path / "x.csv.part").exists()


def test_rejections_export_is_safe(tmp_path: Path) -> None:
    report = ImportReport()
    for i, value in enumerate(DANGEROUS):
        report.rejections.append(Rejection(value, i + 2, value, f"{value} is not a date"))
        report.units[value] = "row"
    out = tmp_path / "rejections.csv"
    assert write_rejections_csv(report, out) == len(DANGEROUS)
    cells = _cells(out)
    _assert_safe(cells)
    assert cells[1][3] == "'" + DANGEROUS[0]


def test_events_table_export_is_safe(db_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    from lr_desktop.gui.views.events import export_rows
    from lr_desktop.store.reads import EventQuery

    batch = users(len(DANGEROUS))
    fill(
        db_path,
        [
            replace(u, user_id=v, campaign_name=v, ad_network=v, campaign_id=v)
            for u, v in zip(batch, DANGEROUS, strict=True)
        ],
    )
    out = tmp_path / "events.csv"
    assert export_rows(db_path, EventQuery(), out, threading.Event()) == len(DANGEROUS)
    cells = _cells(out)
    _assert_safe(cells)
    body = {c for row in cells[1:] for c in row}
    assert {"'" + v for v in DANGEROUS} <= body
