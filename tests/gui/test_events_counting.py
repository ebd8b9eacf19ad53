"""The events table shows a query's first rows before its exact count, and says so:
rowCount is the rows read until the count arrives (or the old count, for a refresh of
the same query), then grows to the count; the count label says "Counting…" meanwhile.
`count_rows` waits behind a gate the tests open, so "while counting" is a state, not a
race."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lr_desktop.gui.models import events_model
from lr_desktop.gui.models.events_model import PAGE, EventsModel
from lr_desktop.gui.workers import TaskRunner
from lr_desktop.store import reads
from lr_desktop.store.reads import EventFilter, EventQuery

from .test_events_model_large import N, _expected, fill_big

EVERYTHING = EventQuery(EventFilter(), "user_id", False)
META = EventQuery(EventFilter(ad_network="META"), "campaign_name", False)  # composite index
ANDROID = EventQuery(EventFilter(platform="android"), "user_id", True)  # along user_id's index
UNITY = EventQuery(EventFilter(ad_network="UNITY_ADS"), "campaign_name", True)  # < PAGE rows


class Gate(threading.Event):
    """Set: counts run. `counted`: the filters counted so far."""

    def __init__(self) -> None:
        super().__init__()
        self.counted: list[EventFilter] = []


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    g = Gate()
    real = reads.count_rows

    def gated(conn: Any, f: EventFilter) -> int:
        g.counted.append(f)
        assert g.wait(20)
        return real(conn, f)

    monkeypatch.setattr(reads, "count_rows", gated)
    # a first page the GUI thread may look for along an index is found, however slow the machine
    monkeypatch.setattr(events_model, "GUI_PAGE_BUDGET", 5.0)
    return g


@pytest.fixture
def db(db_path: Path) -> Path:
    return fill_big(db_path)


@pytest.fixture
def model(qtbot, db: Path, gate: Gate) -> Iterator[EventsModel]:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    m = EventsModel(db, runner)
    yield m
    gate.set()
    m.close()
    assert runner.shutdown(30_000)
    qtbot.waitUntil(lambda: not runner.running())


def _ids(model: EventsModel, rows: range | list[int]) -> list[str | None]:
    return [model.user_id(r) for r in rows]


def test_first_rows_at_once_then_rows_grow_to_the_count(
    qtbot, model, gate, db, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    want = _expected(db, EVERYTHING)
    with qtbot.waitSignal(model.first_rows, timeout=1000):
        model.set_query(EVERYTHING)
        assert model.rows_shown  # read before set_query returned, no worker involved
    assert model.is_loading
    assert model.rowCount() == PAGE  # the rows read so far, not a guess
    assert _ids(model, range(PAGE)) == want[:PAGE]
    qtmodeltester.check(model)  # consistent while counting; keeps watching the insert
    with qtbot.waitSignals([model.rowsInserted, model.loaded], order="strict", timeout=20_000):
        gate.set()
    assert not model.is_loading and model.rowCount() == N
    rows = [0, PAGE - 1, PAGE, N // 2, N - PAGE - 1, N - 1]
    assert _ids(model, rows) == [want[r] for r in rows]
    qtmodeltester.check(model)


@pytest.mark.parametrize("q", [META, ANDROID], ids=["composite-index", "along-sort-index"])
def test_a_filter_shows_its_first_rows_before_the_count(qtbot, model, gate, db, q) -> None:  # type: ignore[no-untyped-def]
    want = _expected(db, q)
    assert len(want) > PAGE
    model.set_query(q)
    assert model.rows_shown and model.is_loading
    assert model.rowCount() == PAGE
    assert _ids(model, range(PAGE)) == want[:PAGE]
    with qtbot.waitSignal(model.loaded, timeout=20_000):
        gate.set()
    assert model.rowCount() == len(want)
    assert _ids(model, range(len(want))) == want


def test_fewer_rows_than_a_page_are_exact_without_a_count(qtbot, model, gate, db) -> None:  # type: ignore[no-untyped-def]
    want = _expected(db, UNITY)
    assert 0 < len(want) < PAGE
    with qtbot.waitSignals([model.first_rows, model.loaded], order="strict", timeout=1000):
        model.set_query(UNITY)
    assert not model.is_loading and model.rowCount() == len(want)
    assert _ids(model, range(len(want))) == want
    assert gate.counted == []  # the gate is shut: nothing was counted


def test_a_search_reads_its_first_page_in_the_worker_and_old_rows_stay(
    qtbot, model, gate, db
) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(model.loaded, timeout=1000):
        model.set_query(UNITY)
    before = _ids(model, range(model.rowCount()))
    q = EventQuery(EventFilter(text="usr_00"), "installed_at", True)
    want = _expected(db, q)
    assert len(want) > PAGE
    with qtbot.waitSignal(model.loading, timeout=1000) as busy:
        model.set_query(q)
    assert busy.args == [True]
    assert not model.rows_shown and model.is_loading
    assert _ids(model, range(model.rowCount())) == before  # until the worker's page
    with qtbot.waitSignal(model.first_rows, timeout=20_000):
        pass
    assert model.is_loading and model.rowCount() == PAGE
    assert _ids(model, range(PAGE)) == want[:PAGE]
    with qtbot.waitSignal(model.loaded, timeout=20_000):
        gate.set()
    assert model.rowCount() == len(want) and _ids(model, [len(want) - 1]) == want[-1:]


def test_a_refresh_keeps_its_row_count_while_it_recounts(qtbot, model, gate, db) -> None:  # type: ignore[no-untyped-def]
    gate.set()
    with qtbot.waitSignal(model.loaded, timeout=20_000):
        model.set_query(EVERYTHING)
    gate.clear()
    inserted: list[object] = []
    model.rowsInserted.connect(lambda *a: inserted.append(a))
    model.rowsRemoved.connect(lambda *a: inserted.append(a))
    model.reload()  # e.g. after a sync: the same query again
    assert model.is_loading and model.rowCount() == N  # the scroll position survives
    want = _expected(db, EVERYTHING)
    assert _ids(model, [0, N // 2, N - 1]) == [want[0], want[N // 2], want[-1]]
    with qtbot.waitSignal(model.loaded, timeout=20_000):
        gate.set()
    assert model.rowCount() == N and inserted == []
    gate.clear()
    model.set_query(META)  # another query starts from its own first page
    assert model.rowCount() == PAGE


def test_only_the_newest_query_s_count_is_shown(qtbot, model, gate, db) -> None:  # type: ignore[no-untyped-def]
    loaded: list[int] = []
    model.loaded.connect(lambda: loaded.append(model.rowCount()))
    model.set_query(EVERYTHING)
    qtbot.waitUntil(lambda: len(gate.counted) == 1, timeout=20_000)  # its count is running
    model.set_query(META)
    qtbot.waitUntil(lambda: len(gate.counted) == 2, timeout=20_000)
    gate.set()
    qtbot.waitUntil(lambda: not model.is_loading and not model._runner.running(), timeout=20_000)
    want = _expected(db, META)
    assert loaded == [len(want)] and model.rowCount() == len(want)
    assert _ids(model, range(len(want))) == want


@pytest.fixture
def events_view(qtbot, db: Path, gate: Gate):  # type: ignore[no-untyped-def]
    from lr_desktop.gui.views.events import EventsView

    runner = TaskRunner()
    view = EventsView(db, runner, lambda _ids: None)
    qtbot.addWidget(view)
    yield view
    gate.set()
    view.close_db()
    assert runner.shutdown(30_000)
    qtbot.waitUntil(lambda: not runner.running())


def test_the_label_says_counting_and_the_selection_survives_the_count(
    qtbot, events_view, gate, db
) -> None:  # type: ignore[no-untyped-def]
    v = events_view
    v.start()
    assert v.count_label.text() == "Counting…" and v.model.rowCount() == PAGE
    v.table.selectRow(5)
    uid = v.model.user_id(5)
    assert uid and v.selected_user_ids() == [uid] and v.detail.user_id == uid
    with qtbot.waitSignal(v.model.loaded, timeout=20_000):
        gate.set()
    assert v.count_label.text() == f"{N:,} users"
    assert v.selected_user_ids() == [uid] and v.detail.user_id == uid  # rows were appended
    gate.clear()
    v.network_combo.setCurrentIndex(v.network_combo.findData("META"))
    assert v.count_label.text() == "Counting…"
    with qtbot.waitSignal(v.model.loaded, timeout=20_000):
        gate.set()
    meta = EventQuery(EventFilter(ad_network="META"), v.model.query.sort_key, True)
    assert v.count_label.text() == f"{len(_expected(db, meta)):,} users"
