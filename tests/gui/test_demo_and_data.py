"""Sample data, the demo session, and the lazy table on a larger database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from lr_desktop.demo import DemoSession
from lr_desktop.gui.models.events_model import PAGE, EventsModel
from lr_desktop.sampledata import generate
from lr_desktop.sync import SyncSummary

from .conftest import fill_sample


def test_sample_data_is_realistic_and_seeded() -> None:
    users = list(generate(5000, seed=1, now=1_767_225_600))
    assert users == list(generate(5000, seed=1, now=1_767_225_600))
    organic = sum(u.attribution_type == "ORGANIC" for u in users) / len(users)
    without = sum(u.clevertap_id is None for u in users) / len(users)
    spaced = sum(1 for u in users if u.clevertap_id and " " in u.clevertap_id)
    assert 0.35 < organic < 0.45 and 0.07 < without < 0.13 and spaced >= 5
    assert {u.ad_network for u in users if u.ad_network} >= {
        "META",
        "GOOGLE",
        "TIKTOK",
        "APPLE_SEARCH_ADS",
    }
    assert all(u.platform == "ios" for u in users if u.ad_network == "APPLE_SEARCH_ADS")
    assert all(1_767_225_600 - 31 * 86400 <= u.installed_at <= 1_767_225_600 for u in users)


def test_sample_users_are_the_same_on_any_date() -> None:
    """Only the times move with `now`: tests that count a network's users hold every day."""

    def who(now: int) -> list[tuple[object, ...]]:
        return [
            (u.user_id, u.attribution_type, u.ad_network, u.campaign_name, u.clevertap_id)
            for u in generate(3000, seed=11, now=now)
        ]

    assert who(1_767_225_600) == who(1_767_225_600 + 86400) == who(1_767_225_600 + 4 * 86400)


def test_demo_window_syncs_with_the_emulator(make_window, qtbot, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    with DemoSession(users=300, latency=0.0) as demo:
        w = make_window(demo.db_path, demo.config)
        assert w.integrations.project_id.text() == demo.config.project_id
        assert "memory only" in w.integrations.backend_label.text()
        with qtbot.waitSignal(w.sync_panel.finished, timeout=30_000) as done:
            qtbot.mouseClick(w.sync_panel.sync_button, Qt.MouseButton.LeftButton)
        assert isinstance(done.args[0], SyncSummary) and done.args[0].delivered > 200
        w.close()
        assert memory_keyring.store == {}  # demo credentials never reach the keyring
    assert not demo.directory.exists()


def test_lazy_model_keeps_only_a_window_of_rows(qtbot, db_path: Path, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    from lr_desktop.gui.workers import TaskRunner

    fill_sample(db_path, 20_000)
    runner = TaskRunner()
    model = EventsModel(db_path, runner)
    try:
        with qtbot.waitSignal(model.loaded, timeout=30_000):
            model.reload()
        assert model.rowCount() == 20_000
        last = model.index(19_999, 0).data()
        first = model.index(0, 0).data()
        assert last and first and last != first
        assert len(model._cache.pages) == 2  # only the pages that were looked at
        for row in range(0, 20_000, PAGE // 2):
            model.index(row, 0).data()
        assert len(model._cache.pages) <= 40
        with qtbot.waitSignal(model.loaded, timeout=30_000):
            model.sort(0, Qt.SortOrder.AscendingOrder)
        assert model.index(0, 0).data() == "usr_0000000"
    finally:
        model.close()
        runner.shutdown()
        qtbot.waitUntil(lambda: not runner.running())
