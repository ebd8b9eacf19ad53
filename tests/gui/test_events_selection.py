"""The events table keeps its selection by user ID across reloads, and the detail pane
never describes a user the filter hides."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel

from lr_desktop.model import ORGANIC, Attribution
from lr_desktop.store import connect, transaction
from lr_desktop.store.queue import upsert_attributions


def _reload(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.model.reload()


def _select(view, row: int) -> str:  # type: ignore[no-untyped-def]
    view.table.selectionModel().select(
        view.model.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    uid = view.model.user_id(row)
    assert view.detail.user_id == uid
    return uid


def test_selection_follows_the_user_when_newer_rows_arrive(
    make_window, qtbot, sample_db: Path
) -> None:  # type: ignore[no-untyped-def]
    view = make_window(sample_db).events
    uid = _select(view, 5)
    conn = connect(sample_db)
    now = int(time.time())
    with transaction(conn):  # three newer installs: the table's rows move down by three
        upsert_attributions(
            conn,
            [Attribution(f"zz-new-{i}", ORGANIC, "android", now + 60 + i) for i in range(3)],
            source="test",
        )
    conn.close()
    _reload(qtbot, view)
    assert view.selected_user_ids() == [uid]
    assert view.selected_rows() == [8]
    assert view.detail.user_id == uid


def test_a_filter_hiding_the_user_clears_the_detail_pane(
    make_window, qtbot, sample_db: Path
) -> None:  # type: ignore[no-untyped-def]
    view = make_window(sample_db).events
    uid = _select(view, 0)
    status = view.model.row_values(0)["status"]
    other = next(
        i for i in range(1, view.status_combo.count()) if view.status_combo.itemData(i) != status
    )
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.status_combo.setCurrentIndex(other)
    assert uid not in view.selected_user_ids()
    assert view.detail.user_id is None
    # the filter dropped the selection: going back does not bring an old user back
    mine = view.status_combo.findData(status)
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.status_combo.setCurrentIndex(mine)
    assert view.detail.user_id is None


def test_a_filter_keeping_the_user_keeps_the_selection(make_window, qtbot, sample_db: Path) -> None:  # type: ignore[no-untyped-def]
    view = make_window(sample_db).events
    uid = _select(view, 2)
    status = view.model.row_values(2)["status"]
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.status_combo.setCurrentIndex(view.status_combo.findData(status))
    assert view.selected_user_ids() == [uid]
    assert view.detail.user_id == uid
