"""The real window: sections, models, sync, cancel, close during a sync."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.gui.main_window import ORGANIZATION, SECTIONS
from lr_desktop.store import connect
from lr_desktop.store.reads import COLUMNS
from lr_desktop.sync import CredentialsRejected, SyncSummary

from .conftest import emulator_config


def _column(key: str) -> int:
    return next(i for i, c in enumerate(COLUMNS) if c.key == key)


def test_sections_menus_and_models(make_window, sample_db: Path, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    w = make_window(sample_db)
    assert [w.sidebar.item(i).text() for i in range(w.sidebar.count())] == list(SECTIONS)
    assert w.events.model.rowCount() == 400
    qtmodeltester.check(w.events.model)
    w.history.refresh()
    qtmodeltester.check(w.history.model)
    shortcuts = {
        a.objectName(): [k.toString() for k in a.shortcuts()]
        for a in w.findChildren(type(w.sync_action))
    }
    assert shortcuts["importAction"] == ["Ctrl+I"]
    assert shortcuts["syncAction"] == ["Ctrl+R", "F5"]
    assert shortcuts["quitAction"] == ["Ctrl+Q"]
    assert shortcuts["findAction"] == ["Ctrl+F"]
    w.find_action.trigger()
    assert w.stack.currentWidget() is w.events


def test_table_sorts_and_filters_in_sql(make_window, qtbot, sample_db: Path) -> None:  # type: ignore[no-untyped-def]
    w = make_window(sample_db)
    model = w.events.model
    with qtbot.waitSignal(model.loaded):
        w.events.table.sortByColumn(_column("user_id"), Qt.SortOrder.AscendingOrder)
    assert model.user_id(0) == "usr_0000000"
    assert model.user_id(399) == "usr_0000399"
    with qtbot.waitSignal(model.loaded):
        w.events.type_combo.setCurrentIndex(w.events.type_combo.findData("ORGANIC"))
    conn = connect(sample_db)
    organic = conn.execute(
        "SELECT count(*) FROM installs WHERE attribution_type='ORGANIC'"
    ).fetchone()[0]
    assert model.rowCount() == organic
    with qtbot.waitSignal(model.loaded, timeout=5000):
        w.events.search.setText("usr_000012")
    assert model.rowCount() == sum(
        1
        for (u,) in conn.execute("SELECT user_id FROM installs WHERE attribution_type='ORGANIC'")
        if "usr_000012" in u
    )
    conn.close()


def test_sync_shows_delivered_and_rejected(
    make_window, qtbot, sample_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(sample_db, emulator_config(emulator))
    panel = w.sync_panel
    with qtbot.waitSignal(panel.finished, timeout=30_000) as blocker:
        qtbot.mouseClick(panel.sync_button, Qt.MouseButton.LeftButton)
        assert not panel.sync_button.isEnabled()
        assert not panel.start()  # a second run cannot start
    summary = blocker.args[0]
    assert isinstance(summary, SyncSummary), summary
    assert summary.delivered > 300 and summary.rejected >= 1
    assert "delivered" in panel.label.text()
    qtbot.waitUntil(lambda: not w.events.model.is_loading)

    events = w.events
    with qtbot.waitSignal(events.model.loaded):
        events.status_combo.setCurrentIndex(events.status_combo.findData("rejected"))
    assert events.model.rowCount() == summary.rejected
    status_col = _column("status")
    assert events.model.index(0, status_col).data() == "Rejected"
    assert "526" in events.model.index(0, _column("last_code")).data()
    events.table.selectRow(0)
    text = events.detail.toPlainText()
    assert "Rejected" in text and "526" in text and '"objectId"' in text

    with qtbot.waitSignal(events.model.loaded):
        events.status_combo.setCurrentIndex(events.status_combo.findData("delivered"))
    assert events.model.rowCount() == summary.delivered
    events.table.selectRow(0)
    assert "delivered" in events.detail.toPlainText()
    w.history.refresh()
    assert w.history.model.rowCount() == 1
    assert w.history.model.index(0, 7).data() == str(summary.delivered)


def test_attribution_mode_detail_never_shows_credentials(
    make_window, qtbot, sample_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    cfg = emulator_config(emulator, mode="attribution")
    w = make_window(sample_db, cfg)
    conn = connect(sample_db)
    uid = conn.execute(
        "SELECT user_id FROM installs WHERE clevertap_id IS NOT NULL LIMIT 1"
    ).fetchone()[0]
    conn.close()
    w.events.detail.show_user(uid)
    text = w.events.detail.toPlainText()
    assert "/attribution?" in text and "account_passcode=[redacted]" in text
    assert cfg.secrets.passcode not in text and cfg.secrets.project_token not in text


def test_wrong_credentials_stop_with_a_message(
    make_window, qtbot, sample_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    from lr_desktop.clevertap.config import Secrets

    w = make_window(sample_db, emulator_config(emulator, secrets=Secrets("t", "wrong-passcode")))
    with qtbot.waitSignal(w.sync_panel.finished, timeout=30_000) as blocker:
        w.sync_action.trigger()
    assert isinstance(blocker.args[0], CredentialsRejected)
    assert "credentials or region" in w.sync_panel.label.text()
    assert "Integrations" in w.sync_panel.label.text()
    assert w.sync_panel.sync_button.isEnabled()


def test_missing_configuration_says_what_to_fix(make_window, qtbot, sample_db: Path) -> None:  # type: ignore[no-untyped-def]
    w = make_window(sample_db)  # nothing configured
    qtbot.waitUntil(lambda: w.first_run.state is not None)
    assert not w.sync_panel.sync_button.isEnabled()  # first run: Sync waits for the account
    w.sync_action.trigger()  # the menu's Sync says why it cannot start, and where to fix it
    assert not w.sync_panel.running
    assert "Connect CleverTap first" in w.sync_panel.label.text()
    assert w.sync_panel.fix_link.isVisibleTo(w)


def _slow(emulator: CleverTapEmulator) -> None:
    emulator.faults = Faults(latency=0.2)


def test_cancel_mid_sync(make_window, qtbot, sample_db: Path, emulator: CleverTapEmulator) -> None:  # type: ignore[no-untyped-def]
    _slow(emulator)
    w = make_window(
        sample_db, emulator_config(emulator, batch_size=5, concurrency=2, sync_profiles=False)
    )
    panel = w.sync_panel
    with qtbot.waitSignal(panel.progressed, timeout=10_000):
        panel.start()
    with qtbot.waitSignal(panel.finished, timeout=30_000) as blocker:
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    summary = blocker.args[0]
    assert isinstance(summary, SyncSummary) and summary.cancelled
    assert summary.delivered < 350
    assert "cancelled" in panel.label.text()
    conn = connect(sample_db)
    assert conn.execute("SELECT count(*) FROM installs WHERE status='in_flight'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM installs WHERE status='queued'").fetchone()[0] > 0
    conn.close()


def _window_mid_sync(make_window, qtbot, sample_db: Path, emulator: CleverTapEmulator):  # type: ignore[no-untyped-def]
    """A window whose sync (slowed down) has made progress and is still running."""
    _slow(emulator)
    w = make_window(sample_db, emulator_config(emulator, batch_size=5, concurrency=2))
    with qtbot.waitSignal(w.sync_panel.progressed, timeout=10_000):
        w.sync_panel.start()
    return w


def _assert_sync_cancelled(w, sample_db: Path) -> None:  # type: ignore[no-untyped-def]
    assert not w.sync_panel._task or not w.sync_panel._task.worker_thread.isRunning()
    conn = connect(sample_db)
    assert conn.execute("SELECT state FROM runs").fetchone()[0] == "cancelled"
    conn.close()


def test_close_during_sync_cancels_and_waits(
    make_window, qtbot, sample_db: Path, emulator: CleverTapEmulator, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    w = _window_mid_sync(make_window, qtbot, sample_db, emulator)
    asked: list[bool] = []
    monkeypatch.setattr(w, "confirm_close_during_sync", lambda: asked.append(True) or False)
    assert not w.close()  # said "no": keeps running
    assert asked and w.sync_panel.running
    monkeypatch.setattr(w, "confirm_close_during_sync", lambda: True)
    assert w.close()
    _assert_sync_cancelled(w, sample_db)
    s = QSettings(ORGANIZATION, "lr-desktop")
    assert s.value("window/geometry") is not None


def test_close_without_asking_closes_a_dialog_and_cancels_the_sync(
    make_window, qtbot, sample_db: Path, emulator: CleverTapEmulator, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """What SIGTERM/SIGINT do (stop_signals): no question, an open dialog closed first."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    w = _window_mid_sync(make_window, qtbot, sample_db, emulator)
    monkeypatch.setattr(w, "confirm_close_during_sync", lambda: pytest.fail("asked"))
    box = QMessageBox(QMessageBox.Icon.Information, "Busy", "A dialog is open", parent=w)
    left_open: list[bool] = []
    guard = QTimer(box, singleShot=True)  # ends the dialog if nothing else does
    guard.timeout.connect(lambda: (left_open.append(True), box.reject()))
    guard.start(20_000)
    QTimer.singleShot(0, w.close_without_asking)  # runs inside the dialog's own loop
    with qtbot.waitSignal(w.closed, timeout=30_000):
        box.exec()
    guard.stop()
    assert not left_open and not w.isVisible()
    _assert_sync_cancelled(w, sample_db)


def test_a_signal_during_the_close_question_still_closes(
    make_window, qtbot, sample_db: Path, emulator: CleverTapEmulator, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The user asked to close during a sync; SIGTERM arrives while the question is open."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    w = _window_mid_sync(make_window, qtbot, sample_db, emulator)
    monkeypatch.delattr(w, "confirm_close_during_sync")  # the real question this time
    seen: list[str] = []

    def signal_once_asked() -> None:  # stands in for StopOnSignals' slot
        modal = QApplication.activeModalWidget()
        if modal is not None and not seen:
            seen.append(modal.windowTitle())
            w.close_without_asking()

    poll = QTimer(w, interval=10)
    poll.timeout.connect(signal_once_asked)
    poll.start()
    with qtbot.waitSignal(w.closed, timeout=30_000):
        QTimer.singleShot(0, w.close)  # opens the real question
    poll.stop()
    assert seen == ["A sync is running"] and not w.isVisible()
    _assert_sync_cancelled(w, sample_db)


def test_retry_selected_requeues(
    make_window, qtbot, sample_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(sample_db, emulator_config(emulator))
    with qtbot.waitSignal(w.sync_panel.finished, timeout=30_000):
        w.sync_panel.start()
    events = w.events
    qtbot.waitUntil(lambda: not events.model.is_loading)
    with qtbot.waitSignal(events.model.loaded):
        events.status_combo.setCurrentIndex(events.status_combo.findData("rejected"))
    events.table.selectRow(0)
    uid = events.selected_user_ids()[0]
    with qtbot.waitSignal(w.retry_flow.finished, timeout=10_000):  # written in a worker
        events.retry_action.trigger()
    conn = connect(sample_db)
    assert (
        conn.execute("SELECT status FROM installs WHERE user_id=?", (uid,)).fetchone()[0]
        == "queued"
    )
    conn.close()
    assert events.model.index(0, _column("status")).data() == "Queued"
