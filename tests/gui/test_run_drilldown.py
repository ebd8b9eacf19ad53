"""A run that fails for one reason says it once in the window, and Sync history opens a
run to show its errors grouped by reason, with the users and Retry failed."""

from __future__ import annotations

from pathlib import Path

from lr_desktop.emulators.clevertap import Faults
from lr_desktop.gui.main_window import HISTORY
from lr_desktop.run_errors import USERS_KEPT
from lr_desktop.store import connect

from .conftest import emulator_config


def test_all_503_is_said_once_and_the_run_drills_down(
    make_window, qtbot, sample_db: Path, emulator
) -> None:  # type: ignore[no-untyped-def]
    emulator.faults = Faults(error_rate=1.0)
    w = make_window(sample_db, emulator_config(emulator, max_retries=1))
    with qtbot.waitSignal(w.sync_panel.finished, timeout=60_000):
        w.sync_action.trigger()
    text = w.sync_panel.label.text()
    assert text.startswith(
        "Sync finished: CleverTap answered 503 Service Unavailable to every request."
    ), text
    summary = w.sync_panel.last_summary
    assert summary is not None and summary.failed > 0

    w.show_section(HISTORY)
    history = w.history
    qtbot.waitUntil(lambda: history.model.rowCount() > 0)
    assert history.model.index(0, 6).data() == f"{summary.total:,}"  # numbers formatted
    dialog = history.open_run(0)
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        pass
    assert "to every request" in dialog.head.text()
    top = dialog.tree.topLevelItem(0)
    assert top.text(0).startswith("CleverTap answered 503 Service Unavailable")
    assert top.text(1) == f"{summary.failed:,} events"
    kept = min(summary.failed, USERS_KEPT)
    assert top.childCount() == kept + (summary.failed > kept)  # "… and N more"
    assert len(dialog.failed_users) == summary.failed  # Retry failed takes them all
    assert dialog.retry_button.isEnabled()
    emulator.faults = Faults()
    with qtbot.waitSignal(w.retry_flow.finished, timeout=10_000):  # written in a worker
        dialog.retry_failed()
    conn = connect(sample_db)
    queued = conn.execute("SELECT count(*) FROM installs WHERE status = 'queued'").fetchone()[0]
    conn.close()
    assert queued >= summary.failed
    dialog.close()
