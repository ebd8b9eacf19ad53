"""The events table's "In CleverTap" column and filter (issue 13): the last check's
verdict per user, run in the window against the emulator whose store is made to
disagree with the ledger; tooltips in words; the filter shows exactly the chosen users."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.store import connect, transaction
from lr_desktop.store.reads import COLUMNS, NO_VERDICT
from lr_desktop.sync import run_sync
from tests.engine_helpers import fill, users
from tests.gui.conftest import emulator_config

N = 12
VERDICT = [c.key for c in COLUMNS].index("ct_verdict")
TIP = Qt.ItemDataRole.ToolTipRole


def _seed(db_path: Path, emu: CleverTapEmulator) -> None:
    """N delivered users (two hours ago), one waiting for a CleverTap ID; CleverTap lost
    users 0 and 5, holds user 1 twice and user 2 altered; user 3 went out in attribution
    mode (CleverTap holds no "UTM Visited" for it) and user 4 was delivered just now (both
    absent from CleverTap too)."""
    fill(db_path, users(N))
    assert run_sync(db_path, emulator_config(emu)).delivered == N
    fill(db_path, users(1, start=N, without_id_every=1))
    conn = connect(db_path)
    try:
        with transaction(conn):
            conn.execute("UPDATE installs SET delivered_at = delivered_at - 7200")
            conn.execute("UPDATE installs SET delivered_mode = 'attribution' WHERE rowid = 4")
            conn.execute("UPDATE installs SET delivered_at = strftime('%s') WHERE rowid = 5")
        ev = dict(conn.execute("SELECT user_id, event_id FROM installs"))
    finally:
        conn.close()
    emu.reads.scenario(
        drop=[ev[f"user-{i:07d}"] for i in (0, 3, 4, 5)],
        duplicate={ev["user-0000001"]: 1},
        alter={ev["user-0000002"]: {"utm_source": "google"}},
    )


def _column(model) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """user id -> (the verdict cell's text, its tooltip), for every row shown."""
    out = {}
    for row in range(model.rowCount()):
        index = model.index(row, VERDICT)
        out[model.user_id(row)] = (index.data(), index.data(TIP))
    return out


def _filter(qtbot, view, value: str | None) -> list[str]:  # type: ignore[no-untyped-def]
    combo = view.verdict_combo
    with qtbot.waitSignal(view.model.loaded, timeout=10_000):
        combo.setCurrentIndex(combo.findData(value))
    return sorted(view.model.user_id(r) for r in range(view.model.rowCount()))


def test_in_clevertap_column_and_filter_show_the_last_check(
    qtbot, make_window, db_path: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    _seed(db_path, emulator)
    w = make_window(db_path, emulator_config(emulator))
    view = w.events
    model = view.model
    before = _column(model)
    assert len(before) == N + 1
    assert {text for text, _tip in before.values()} == {"—"}
    assert all("No CleverTap check yet" in tip for _text, tip in before.values())

    with qtbot.waitSignal(w.check_panel.finished, timeout=60_000) as done:
        w.check_action.trigger()
    assert done.args[0].state == "finished", done.args[0]
    qtbot.waitUntil(lambda: not model.is_loading)

    shown = _column(model)
    texts = {uid: text for uid, (text, _tip) in shown.items()}
    expected = {f"user-{i:07d}": "In CleverTap once" for i in range(N)}
    expected.update(
        {
            "user-0000000": "Missing in CleverTap",
            "user-0000005": "Missing in CleverTap",
            "user-0000001": "Duplicated in CleverTap (2 copies)",
            "user-0000002": "Different in CleverTap: utm_source",
            "user-0000003": "Missing in CleverTap",  # no "UTM Visited" copy either
            "user-0000004": "Delivered just before the check: not judged",
            f"user-{N:07d}": "Not sent, not in CleverTap",
        }
    )
    assert texts == expected
    tips = {uid: tip for uid, (_text, tip) in shown.items()}
    assert "Due again: the next Sync sends" in tips["user-0000000"]
    assert "holds 2 copies" in tips["user-0000001"] and "no way to delete" in tips["user-0000001"]
    assert "disagrees with the attribution in: utm_source" in tips["user-0000002"]
    assert "Due again: the next Sync sends" in tips["user-0000003"]
    assert "exactly one copy" in tips["user-0000006"]
    header_tip = model.headerData(VERDICT, Qt.Orientation.Horizontal, TIP)
    assert "last check" in header_tip

    # the filter beside the status filter shows exactly the missing users, then the others
    bar = view.layout().itemAt(0).layout()
    widgets = [bar.itemAt(i).widget() for i in range(bar.count())]
    assert widgets.index(view.verdict_combo) == widgets.index(view.status_combo) + 1
    assert _filter(qtbot, view, "missing") == ["user-0000000", "user-0000003", "user-0000005"]
    assert view.count_label.text() == "3 users"
    assert _filter(qtbot, view, "duplicated") == ["user-0000001"]
    assert _filter(qtbot, view, "present") == sorted(
        uid for uid, text in expected.items() if text == "In CleverTap once"
    )

    # a user who came after the check has no verdict, and the "not in the last check" entry
    fill(db_path, users(1, start=N + 1))
    assert _filter(qtbot, view, NO_VERDICT) == [f"user-{N + 1:07d}"]
    text, tip = _column(model)[f"user-{N + 1:07d}"]
    assert text == "—" and "Not in the last CleverTap check" in tip
    assert _filter(qtbot, view, None) == sorted([*expected, f"user-{N + 1:07d}"])


def test_verdict_column_is_not_a_sort_key(qtbot, make_window, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    fill(db_path, users(5))
    view = make_window(db_path).events
    header = view.table.horizontalHeader()
    before = view.model.query
    header.setSortIndicator(VERDICT, Qt.SortOrder.AscendingOrder)
    assert view.model.query == before
    assert header.sortIndicatorSection() == [c.key for c in COLUMNS].index(before.sort_key)
