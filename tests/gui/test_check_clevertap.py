"""The window's "Check CleverTap" (issue 13): the core's run_verify on a worker against the
emulator, whose store is made to disagree with the ledger; the toolbar line and the
Overview card report it."""

from __future__ import annotations

from pathlib import Path

from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.store import connect
from lr_desktop.sync import run_sync
from tests.engine_helpers import fill, users
from tests.gui.conftest import emulator_config

N = 30


def _delivered(db_path: Path, emu: CleverTapEmulator) -> dict[str, str]:
    fill(db_path, users(N))
    assert run_sync(db_path, emulator_config(emu)).delivered == N
    conn = connect(db_path)
    try:
        with conn:  # delivered two hours ago: older than the check's grace period
            conn.execute("UPDATE installs SET delivered_at = delivered_at - 7200")
        return dict(conn.execute("SELECT user_id, event_id FROM installs"))
    finally:
        conn.close()


def test_check_clevertap_reports_the_seeded_disagreement(
    qtbot, make_window, db_path: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    ev = _delivered(db_path, emulator)
    emulator.reads.scenario(
        drop=[ev["user-0000000"]],
        duplicate={ev["user-0000001"]: 1},
        alter={ev["user-0000002"]: {"utm_source": "google"}},
    )
    cfg = emulator_config(emulator)
    w = make_window(db_path, cfg)
    card = w.overview.check_card
    qtbot.waitUntil(lambda: card.check is None and "No CleverTap check" in card.body.text())
    with qtbot.waitSignal(w.check_panel.finished, timeout=60_000) as done:
        w.check_action.trigger()
    assert w.check_panel.running is False
    summary = done.args[0]
    assert summary.state == "finished", summary
    assert summary.counts["missing"] == 1 and summary.counts["duplicated"] == 1
    assert summary.counts["different"] == 1 and summary.counts["present"] == N - 3
    assert "1 missing in clevertap" in w.check_panel.label.text().lower()
    qtbot.waitUntil(lambda: card.check is not None, timeout=10_000)
    assert card.check["counts"]["missing"] == 1
    body = card.body.text()
    assert "Missing in CleverTap: 1" in body and "Duplicated in CleverTap: 1" in body
    assert f"In CleverTap once: {N - 3}" in body
    assert card.check["since"] in card.title.text()

    # the detail pane shows CleverTap's copies of the event, from the last check
    detail = w.events.detail
    detail.show_user("user-0000001")
    text = detail.toPlainText()
    assert "In CleverTap (last check)" in text and "Duplicated in CleverTap" in text
    assert "Copy 2:" in text and "no way to delete" in text
    detail.show_user("user-0000002")
    assert "differs in: utm_source" in detail.toPlainText()
    assert '"utm_source": "google"' in detail.toPlainText()
    detail.show_user("user-0000000")
    assert "holds no copy" in detail.toPlainText()
