"""The events model's positional access (OFFSET from either end, keyset walks from
anchors and neighbouring pages, small rowid lists), search, and the Overview's
index-only numbers, against plain SQL. Page, list and anchor sizes are shrunk so a few
thousand rows exercise every path. (The first rows before the count, and what the
table shows while it counts: test_events_counting.py.)"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.gui.models.events_model import EventsModel
from lr_desktop.gui.workers import TaskRunner
from lr_desktop.store import connect, overview, pages, reads, transaction
from lr_desktop.store.reads import COLUMNS, EventFilter, EventQuery

from .conftest import emulator_config, fill_sample

N = 3000


def fill_big(db_path: Path) -> Path:
    """N sample users (seed 11) with a spread of delivery states, codes, attempt times."""
    fill_sample(db_path, N, seed=11)
    conn = connect(db_path)
    with transaction(conn):
        conn.execute(
            "UPDATE installs SET status = 'delivered', attempts = 1, "
            "last_attempt_at = 1767225600 + rowid % 97 WHERE rowid % 3 = 0"
        )
        conn.execute(
            "UPDATE installs SET status = 'rejected', attempts = 2, last_code = 526 + rowid % 2, "
            "last_error = 'bad id' WHERE rowid % 17 = 1"
        )
    conn.close()
    return db_path


@pytest.fixture
def big_db(db_path: Path) -> Path:
    return fill_big(db_path)


@pytest.fixture
def small_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "LIST_MAX", 150)
    monkeypatch.setattr(pages, "ANCHOR_EVERY", 130)
    monkeypatch.setattr(pages, "MAX_ANCHORS", 10)


@pytest.fixture
def model(qtbot, big_db: Path, small_sizes: None):  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    m = EventsModel(big_db, runner)
    yield m
    m.close()
    assert runner.shutdown(30_000)
    qtbot.waitUntil(lambda: not runner.running())


def _expected(db: Path, q: EventQuery) -> list[str]:
    """The display order by brute force: Python's sort of the matching rows."""
    conn = connect(db)
    f = q.filter
    rows = conn.execute(
        f"SELECT {q.sort_key}, rowid, user_id, clevertap_id, campaign_name, status, "
        "attribution_type, ad_network, platform FROM installs"
    ).fetchall()
    conn.close()
    text = f.search

    def keep(r: tuple) -> bool:
        for col, value in f.equalities():
            if (
                r[{"status": 5, "attribution_type": 6, "ad_network": 7, "platform": 8}[col]]
                != value
            ):
                return False
        if not text:
            return True
        fields = [v for v in (r[2], r[3], r[4]) if v is not None]
        if f.substring:
            return any(text.lower() in v.lower() for v in fields)
        return any(v.startswith(text) for v in fields)

    def key(r: tuple) -> tuple:
        v = r[0]
        return (v is not None, v if v is not None else 0, r[1])

    out = sorted((r for r in rows if keep(r)), key=key, reverse=q.descending)
    return [r[2] for r in out]


def _load(qtbot, model: EventsModel, q: EventQuery) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(model.loaded, timeout=20_000):
        model.set_query(q)
    # let the anchors arrive too (they follow the count in the same worker)
    qtbot.waitUntil(lambda: not model._runner.running("events-query"), timeout=20_000)


def _shown(model: EventsModel, order: list[int]) -> dict[int, str | None]:
    return {row: model.user_id(row) for row in order}


QUERIES = [
    EventQuery(),
    EventQuery(EventFilter(), "campaign_name", False),
    EventQuery(EventFilter(), "clevertap_id", True),
    EventQuery(EventFilter(status="delivered"), "user_id", False),
    EventQuery(EventFilter(status="delivered"), "installed_at", True),
    EventQuery(EventFilter(attribution_type="INORGANIC"), "campaign_name", False),
    EventQuery(EventFilter(attribution_type="INORGANIC"), "campaign_name", True),
    EventQuery(EventFilter(platform="android"), "last_attempt_at", True),
    EventQuery(EventFilter(platform="ios"), "last_code", False),
    EventQuery(EventFilter(ad_network="META"), "campaign_name", True),
    EventQuery(EventFilter(status="queued", platform="android"), "attempts", False),
    EventQuery(EventFilter(text="usr_00001"), "user_id", True),
    EventQuery(EventFilter(text="usr_0"), "installed_at", True),
]


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: f"{q.filter.equalities()}-{q.sort_key}")
def test_every_row_in_sql_order_whatever_the_access_order(qtbot, model, big_db, q) -> None:  # type: ignore[no-untyped-def]
    _load(qtbot, model, q)
    want = _expected(big_db, q)
    assert model.rowCount() == len(want)
    n = len(want)
    rows = list(range(n))
    # random jumps first (OFFSET from the ends, anchors), then forwards and backwards
    # through what is left (neighbouring pages), with the cache small enough to evict
    rng = random.Random(n)
    jumps = rng.sample(rows, min(n, 25))
    order = jumps + rows + rows[::-1]
    got = _shown(model, order)
    assert [got[r] for r in rows] == want
    assert len(model._cache.pages) <= pages.MAX_PAGES
    if n > pages.LIST_MAX and not q.filter.is_empty():
        assert model._cache.ids is None  # memory: anchors, not a rowid per row
        assert len(model._cache.anchors) <= pages.MAX_ANCHORS


def test_search_prefix_through_indexes_then_substring(qtbot, model, big_db) -> None:  # type: ignore[no-untyped-def]
    _load(qtbot, model, EventQuery(EventFilter(text="usr_000002")))
    assert not model.query.filter.substring
    assert sorted(model.user_id(r) for r in range(model.rowCount())) == [
        f"usr_{i:07d}" for i in range(20, 30)
    ]
    conn = connect(big_db)
    campaign = conn.execute(
        "SELECT campaign_name FROM installs WHERE campaign_name LIKE '% %' LIMIT 1"
    ).fetchone()[0]
    conn.close()
    inner = campaign.split(" ", 1)[1].lower()  # no value starts with it: a substring scan
    q = EventQuery(EventFilter(text=inner), "user_id", False)
    _load(qtbot, model, q)
    assert model.query.filter.substring
    want = _expected(big_db, model.query)
    assert want and [model.user_id(r) for r in range(model.rowCount())] == want
    _load(qtbot, model, EventQuery(EventFilter(text="no such thing at all")))
    assert model.rowCount() == 0


def test_model_tester_through_query_switches(qtbot, model, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    _load(qtbot, model, EventQuery(EventFilter(attribution_type="INORGANIC"), "campaign_name"))
    qtmodeltester.check(model)
    for q in QUERIES[:6]:
        _load(qtbot, model, q)
        model.index(model.rowCount() - 1, 0).data()
    model.refresh_rows()
    qtmodeltester.check(model)


def test_sort_by_header_both_directions(qtbot, model, big_db) -> None:  # type: ignore[no-untyped-def]
    col = next(i for i, c in enumerate(COLUMNS) if c.key == "campaign_name")
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        with qtbot.waitSignal(model.loaded, timeout=20_000):
            model.sort(col, order)
        q = model.query
        assert q.sort_key == "campaign_name"
        assert q.descending == (order == Qt.SortOrder.DescendingOrder)
        want = _expected(big_db, q)
        for row in (0, 1, 99, 100, 1499, N - 101, N - 1):
            assert model.user_id(row) == want[row]


def test_rows_refresh_in_place_while_a_sync_writes(
    make_window, qtbot, big_db: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    emulator.faults = Faults(latency=0.05)
    w = make_window(
        big_db, emulator_config(emulator, batch_size=20, concurrency=1, sync_profiles=False)
    )
    events = w.events
    model = events.model
    with qtbot.waitSignal(model.loaded, timeout=20_000):
        events.status_combo.setCurrentIndex(events.status_combo.findData("queued"))
    n = model.rowCount()
    before = [model.user_id(r) for r in range(n)]
    status = next(i for i, c in enumerate(COLUMNS) if c.key == "status")
    assert {model.index(r, status).data() for r in range(n)} == {"Queued"}
    w.sync_panel.start()
    # the refresh timer re-reads the shown rows: delivered ones turn up in place
    qtbot.waitUntil(
        lambda: any(model.index(r, status).data() == "Delivered" for r in range(n)),
        timeout=30_000,
    )
    assert model.rowCount() == n and [model.user_id(r) for r in range(n)] == before
    with qtbot.waitSignal(w.sync_panel.finished, timeout=60_000):
        pass
    qtbot.waitUntil(lambda: not model.is_loading and model.rowCount() < n, timeout=20_000)


def test_overview_from_indexes_matches_plain_sql(big_db: Path) -> None:
    from lr_desktop.store.overview import status_counts

    conn = reads.open_read(big_db)
    stats = overview.overview_stats(conn, days=10, top=5)
    assert stats == overview.overview_stats_at(big_db, days=10, top=5)
    assert stats.counts == status_counts(conn)
    last = conn.execute("SELECT max(installed_at) FROM installs").fetchone()[0]
    assert stats.per_day == [
        tuple(r)
        for r in conn.execute(
            "SELECT date(installed_at, 'unixepoch') AS d, "
            " sum(attribution_type = 'ORGANIC'), sum(attribution_type != 'ORGANIC') "
            "FROM installs WHERE installed_at > ? GROUP BY d ORDER BY d",
            (last - 10 * 86400,),
        )
    ]
    by_network = conn.execute(
        "SELECT coalesce(ad_network, '(none)'), count(*) FROM installs "
        "WHERE attribution_type != 'ORGANIC' GROUP BY ad_network"
    ).fetchall()
    assert sorted(stats.by_network) == sorted(by_network)
    assert [c for _n, c in stats.by_network] == sorted((c for _n, c in by_network), reverse=True)
    top = conn.execute(
        "SELECT campaign_name, count(*) FROM installs WHERE campaign_name IS NOT NULL "
        "GROUP BY campaign_name ORDER BY 2 DESC"
    ).fetchall()
    assert [c for _n, c in stats.top_campaigns] == [c for _n, c in top[:5]]
    conn.close()
