"""Issue 12 in the window: a second install event goes out only when the user asked,
knowing the count (re-send delivered, send corrected events, retry of delivered users);
changed and unmatched users are visible. Copies are counted at the emulator."""

from __future__ import annotations

import json
import threading
from dataclasses import fields, replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.gui import second_copies
from lr_desktop.model import STATUS_LABELS, Attribution, Status
from lr_desktop.store import connect, transaction
from lr_desktop.store.overview import RUN_COLUMNS
from lr_desktop.store.queue import upsert_attributions
from lr_desktop.store.reads import COLUMNS
from tests.answer_proxy import answer_proxy

from .conftest import emulator_config, fill_sample

N_USERS = 60


@pytest.fixture
def small_db(db_path: Path) -> Path:
    fill_sample(db_path, N_USERS)
    return db_path


def _synced(make_window, qtbot, db: Path, emu: CleverTapEmulator):  # type: ignore[no-untyped-def]
    w = make_window(db, emulator_config(emu))
    with qtbot.waitSignal(w.sync_panel.finished, timeout=30_000):
        w.sync_action.trigger()
    return w


def _count(db: Path, sql: str, *args: object) -> int:
    conn = connect(db)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def _delivered(db: Path) -> int:
    return _count(db, "SELECT count(*) FROM installs WHERE status = 'delivered'")


def _change_campaign(db: Path, n: int) -> list[str]:
    """Import a changed campaign for n delivered users (as a re-imported file would)."""
    conn = connect(db)
    try:
        names = [f.name for f in fields(Attribution)]
        rows = conn.execute(
            f"SELECT {', '.join(names)} FROM installs WHERE status = 'delivered' "
            "ORDER BY user_id LIMIT ?",
            (n,),
        ).fetchall()
        stored = [Attribution(**dict(zip(names, r, strict=True))) for r in rows]
        with transaction(conn):
            upsert_attributions(
                conn,
                [replace(a, campaign_name="Corrected campaign") for a in stored],
                source="test",
            )
        ids = [a.user_id for a in stored]
    finally:
        conn.close()
    return ids


def _answer(monkeypatch, name: str, answer: bool) -> list[object]:  # type: ignore[no-untyped-def]
    asked: list[object] = []

    def confirm(_parent: object, *args: object) -> bool:
        asked.append(args[0] if len(args) == 1 else args)
        return answer

    monkeypatch.setattr(second_copies, name, confirm)
    return asked


def _history_scope(w, qtbot) -> str:  # type: ignore[no-untyped-def]
    w.history.refresh()
    qtbot.waitUntil(lambda: w.history.model.rowCount() > 0)
    return w.history.model.index(0, RUN_COLUMNS.index("scope")).data()


# -- 1. re-send delivered ------------------------------------------------------------------


def test_cancelling_the_re_send_question_sends_nothing_and_unticks_it(
    make_window, qtbot, monkeypatch, small_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    w = _synced(make_window, qtbot, small_db, emulator)
    before = emulator.copies()["events"]
    delivered = _delivered(small_db)
    asked = _answer(monkeypatch, "confirm_second_copies", False)
    w.resend_action.trigger()
    assert w.sync_panel.resend.isChecked()
    with qtbot.waitSignal(w.sync_panel.answered, timeout=10_000) as blocker:
        w.sync_action.trigger()
    assert blocker.args == [False]
    assert len(asked) == 1 and asked[0].total == delivered  # type: ignore[attr-defined]
    assert f"re-send {delivered:,} install events" in asked[0].describe()  # type: ignore[attr-defined]
    assert emulator.copies()["events"] == before  # nothing went out
    assert not w.sync_panel.resend.isChecked() and not w.resend_action.isChecked()
    assert w.sync_panel.sync_button.isEnabled() and not w.sync_panel.running
    assert "nothing was sent" in w.sync_panel.label.text()


def test_confirmed_re_send_sends_exactly_the_count_asked_then_resets(
    make_window, qtbot, monkeypatch, small_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    w = _synced(make_window, qtbot, small_db, emulator)
    first = emulator.copies()
    assert first["users_with_copies"] == {}
    asked = _answer(monkeypatch, "confirm_second_copies", True)
    w.sync_panel.resend.setChecked(True)
    with qtbot.waitSignal(w.sync_panel.finished, timeout=30_000):
        w.sync_panel.sync_button.click()
    n = asked[0].total  # type: ignore[attr-defined]
    assert n == first["events"] > 0
    after = emulator.copies()
    assert after["events"] == first["events"] + n  # exactly N second copies
    assert len(after["users_with_copies"]) == n
    assert not w.sync_panel.resend.isChecked()  # the option resets after the run
    assert _history_scope(w, qtbot) == f"Re-send of {n:,} delivered events"
    # the next Sync is a plain one: no copies
    with qtbot.waitSignal(w.sync_panel.finished, timeout=30_000):
        w.sync_action.trigger()
    assert emulator.copies()["events"] == after["events"] and len(asked) == 1
    assert _history_scope(w, qtbot) == ""


# -- 2. send corrected events --------------------------------------------------------------


def test_send_corrected_events_asks_with_the_exact_scope(
    make_window, qtbot, monkeypatch, small_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    w = _synced(make_window, qtbot, small_db, emulator)
    ids = _change_campaign(small_db, 5)
    # (the count the finished sync asked for may still arrive first: it said 0)
    with qtbot.waitSignal(
        w.sync_panel.changed_count, timeout=10_000, check_params_cb=lambda n: n == 5
    ):
        w.sync_panel.refresh_changed()
    assert w.sync_panel.changed_link.isVisible()
    assert "5 changed since delivery" in w.sync_panel.changed_link.text()
    before = emulator.copies()["events"]

    asked = _answer(monkeypatch, "confirm_second_copies", False)
    with qtbot.waitSignal(w.sync_panel.answered, timeout=10_000):
        w.send_changed_action.trigger()
    text = asked[0].describe()  # type: ignore[attr-defined]
    assert text == "send 5 corrected install events; CleverTap will keep both copies"
    assert emulator.copies()["events"] == before

    _answer(monkeypatch, "confirm_second_copies", True)
    with qtbot.waitSignal(w.sync_panel.finished, timeout=30_000):
        w.send_changed_action.trigger()
    copies = emulator.copies()
    assert copies["events"] == before + 5
    assert sorted(copies["users_with_copies"]) == sorted(ids)
    assert _history_scope(w, qtbot) == "5 corrected install events sent"
    qtbot.waitUntil(lambda: not w.sync_panel.changed_link.isVisible())


# -- 3. changed and unmatched are visible ----------------------------------------------------


def test_changed_user_shows_both_versions_and_the_status_everywhere(
    make_window, qtbot, small_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    w = _synced(make_window, qtbot, small_db, emulator)
    ids = _change_campaign(small_db, 3)
    events = w.events
    label = STATUS_LABELS[Status.CHANGED]
    assert events.status_combo.findText(label) >= 0
    assert events.status_combo.findText(STATUS_LABELS[Status.UNMATCHED]) >= 0
    with qtbot.waitSignal(events.model.loaded):
        events.status_combo.setCurrentIndex(events.status_combo.findData("changed"))
    assert events.model.rowCount() == 3
    col = next(i for i, c in enumerate(COLUMNS) if c.key == "status")
    cell = events.model.index(0, col)
    assert cell.data() == label
    assert cell.data(Qt.ItemDataRole.ForegroundRole) is not None  # coloured like the others

    events.detail.show_user(ids[0])
    text = events.detail.toPlainText()
    assert "Delivered (in CleverTap)" in text and "Corrected campaign" in text
    assert "Campaign ◆ changed" in text  # the differing field is marked
    assert text.count("◆ changed") == 1

    w.show_section(0)
    with qtbot.waitSignal(w.overview.updated, timeout=10_000, raising=False):
        w.overview.refresh()
    qtbot.waitUntil(lambda: f"{label}: 3 users" in w.overview.note.text())


def _strip_records(_n: int, status: int, body: bytes) -> tuple[int, bytes]:
    doc = json.loads(body)
    for item in doc.get("unprocessed", []):
        item.pop("record", None)
        item["error"] = "invalid objectId"
    return status, json.dumps(doc).encode()


def test_unmatched_user_shows_clevertaps_raw_entry(
    make_window, qtbot, small_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    conn = connect(small_db)
    bad = conn.execute(
        "SELECT clevertap_id FROM installs WHERE clevertap_id IS NOT NULL"
    ).fetchone()
    conn.close()
    emulator.settings.reject_object_ids = {bad[0]}
    with answer_proxy(emulator.url, _strip_records) as proxy:
        cfg = replace(emulator_config(emulator), endpoint=proxy.url)
        w = make_window(small_db, cfg)
        with qtbot.waitSignal(w.sync_panel.finished, timeout=30_000):
            w.sync_action.trigger()
    events = w.events
    with qtbot.waitSignal(events.model.loaded):
        events.status_combo.setCurrentIndex(events.status_combo.findData("unmatched"))
    assert events.model.rowCount() > 0
    events.table.selectRow(0)
    text = events.detail.toPlainText()
    assert STATUS_LABELS[Status.UNMATCHED] in text and "CleverTap's entry" in text
    assert "invalid objectId" in text


# -- 4. retry selected -----------------------------------------------------------------------


def test_retry_of_delivered_users_asks_and_writes_off_the_gui_thread(
    make_window, qtbot, monkeypatch, small_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    import lr_desktop.sync.ledger as state

    w = _synced(make_window, qtbot, small_db, emulator)
    events = w.events
    with qtbot.waitSignal(events.model.loaded):
        events.status_combo.setCurrentIndex(events.status_combo.findData("delivered"))
    events.table.selectRow(0)
    events.table.selectionModel().select(
        events.model.index(1, 0),
        events.table.selectionModel().SelectionFlag.Select
        | events.table.selectionModel().SelectionFlag.Rows,
    )
    ids = events.selected_user_ids()
    assert len(ids) == 2
    before = emulator.copies()["events"]

    asked = _answer(monkeypatch, "confirm_retry", False)
    with qtbot.waitSignal(w.retry_flow.finished, timeout=10_000) as blocker:
        events.retry_action.trigger()
    assert blocker.args == [None] and asked == [(2, 2)]
    assert _count(small_db, "SELECT count(*) FROM installs WHERE status = 'queued'") == 0

    threads: list[threading.Thread] = []
    real = state.retry_users

    def spy(conn, user_ids):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread())
        return real(conn, user_ids)

    monkeypatch.setattr(state, "retry_users", spy)
    _answer(monkeypatch, "confirm_retry", True)
    with qtbot.waitSignal(w.retry_flow.finished, timeout=10_000) as blocker:
        events.retry_action.trigger()
    assert blocker.args == [2]
    assert threads and threads[0] is not threading.main_thread()
    assert "2 events queued again" in w.status_label.text()
    with qtbot.waitSignal(w.sync_panel.finished, timeout=30_000):
        w.send_action.trigger()
    copies = emulator.copies()
    assert copies["events"] == before + 2 and sorted(copies["users_with_copies"]) == sorted(ids)
