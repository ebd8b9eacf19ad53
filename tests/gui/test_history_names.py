"""Sync history names runs as a marketer reads them (the core's run_labels) and counts
profile upserts."""

from __future__ import annotations

from pathlib import Path

from lr_desktop.gui.main_window import HISTORY
from lr_desktop.gui.models.history_model import HEADERS
from lr_desktop.store.overview import RUN_COLUMNS

from .conftest import emulator_config


def test_history_names_runs_and_counts_profiles(
    make_window, qtbot, sample_db: Path, emulator
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(sample_db, emulator_config(emulator))
    with qtbot.waitSignal(w.sync_panel.finished, timeout=60_000) as done:
        w.sync_action.trigger()
    summary = done.args[0]
    assert summary.profiles_upserted > 0
    w.show_section(HISTORY)
    model = w.history.model
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    col = {key: i for i, key in enumerate(RUN_COLUMNS)}
    assert model.index(0, col["kind"]).data() == "Full sync"
    assert HEADERS["profiles"] == "Profiles updated"
    assert model.index(0, col["profiles"]).data() == f"{summary.profiles_upserted:,}"
