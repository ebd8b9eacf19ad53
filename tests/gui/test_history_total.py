"""Sync history's Total says what it counts: for a pull the user records Linkrunner
returned (with new/updated/unchanged/rejected), for a sync the events it considered; a
pull's drill-down says the same instead of delivered/failed counts it never had."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from lr_desktop.emulators.linkrunner import LinkrunnerEmulator
from lr_desktop.gui.main_window import HISTORY
from lr_desktop.linkrunner.pull import pull_once
from lr_desktop.run_labels import total_text
from lr_desktop.store.overview import RUN_COLUMNS

from .conftest import emulator_config

KEY = "lr-history-key-Pq2"
TOTAL = RUN_COLUMNS.index("total")
TIP = Qt.ItemDataRole.ToolTipRole


def test_history_total_says_what_it_counts(make_window, qtbot, sample_db: Path, emulator) -> None:  # type: ignore[no-untyped-def]
    with LinkrunnerEmulator(KEY, seed=4, users=30, rate_limit=None) as lr:
        report = pull_once(sample_db, api_key=KEY, base_url=lr.url)
    assert report.records == 30 and report.imported == 30
    w = make_window(sample_db, emulator_config(emulator))
    with qtbot.waitSignal(w.sync_panel.finished, timeout=60_000) as done:
        w.sync_action.trigger()
    summary = done.args[0]
    w.show_section(HISTORY)
    model = w.history.model
    qtbot.waitUntil(lambda: model.rowCount() >= 2)
    sync_tip = model.index(0, TOTAL).data(TIP)
    assert sync_tip == f"{summary.total:,} events this run considered sending"
    pull_tip = model.index(1, TOTAL).data(TIP)
    assert pull_tip == (
        "30 user records Linkrunner returned (a user listed under two campaigns counts "
        "once in each): 30 new, 0 updated, 0 unchanged, 0 rejected"
    )
    assert model.index(1, RUN_COLUMNS.index("delivered")).data() == ""  # a pull sends nothing
    dialog = w.history.open_run(1)
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    head = dialog.head.text()
    assert "30 user records Linkrunner returned" in head and "delivered" not in head, head


def test_a_running_pull_says_its_total_is_so_far() -> None:
    detail = {"records": 1200, "imported": 1000, "updated": 150, "unchanged": 40, "rejected": 10}
    assert total_text("pull", "running", 1200, detail).startswith(
        "1,200 user records Linkrunner returned so far (a user listed"
    )
    assert total_text("import", "finished", 7, {}) == "7 rows read"
