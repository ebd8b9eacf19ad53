"""GUI measurements, run in a child process (offscreen Qt) so each gets a clean RSS.

    python -m bench.gui_child table DB REPS        -> JSON: events-table timings
    python -m bench.gui_child table-app DB REPS    -> JSON: the same, the app's model only
    python -m bench.gui_child table-profile DB     -> JSON: the app model's run, sampled
    python -m bench.gui_child heartbeat DB URL     -> JSON: heartbeat gaps during a sync

Every wait is bounded (a deadline), and loops stop by themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QModelIndex, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from bench.common import current_rss_mb  # noqa: E402

FILTER_NETWORK = "TIKTOK"  # "apply a filter": ad network = TIKTOK (~10% of rows)
SORT_KEY = "campaign_name"
# PySide6 6.12.0 on Python 3.11 drops one reference to None on every call of a void
# method (e.g. fetchMore, processEvents) and to True/False on signal emits; where these
# objects are not immortal (< 3.12) the process aborts after enough calls ("none_dealloc").
# Extra references keep these measurements alive; see docs/benchmarks.md.
_REFCOUNT_GUARD = [None] * 4_000_000 + [True] * 2_000_000 + [False] * 2_000_000
_KEEP: list[object] = []  # wrappers kept alive until exit (Qt deletes the objects)
DEADLINE = 120.0  # seconds any single step may take before it is reported as timed out


def _app() -> QApplication:
    app = QApplication.instance() or QApplication(["bench"])
    return app  # type: ignore[return-value]


def _wait(cond: Callable[[], bool], timeout: float = DEADLINE) -> bool:
    end = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > end:
            return False
        QCoreApplication.processEvents()
        time.sleep(0.001)
    return True


def _view() -> QTableView:
    view = QTableView()
    view.resize(1200, 700)
    view.show()
    _app().processEvents()
    return view


def _paint(view: QTableView) -> int:
    """Paint the viewport now (this is when the model's data() is asked for); visible rows."""
    view.viewport().repaint()
    top = view.rowAt(0)
    bottom = view.rowAt(view.viewport().height() - 1)
    if top < 0:
        return 0
    if bottom < 0:
        bottom = view.model().rowCount() - 1
    return bottom - top + 1


# -- the app's model --------------------------------------------------------------------


def app_model_ops(db: Path) -> dict[str, Any]:
    """Each operation is timed until its first rows are painted, as for QSqlQueryModel
    (which never counts). The app model then counts in its worker: "jump to the last
    row" starts right after the first rows are painted, so it includes waiting for that
    count. The other operations wait for their count untimed (`*_count_ms`: from the
    operation's start until rowCount was exact), so no operation starts while the
    previous one's count is still running."""
    from lr_desktop.gui.models.events_model import EventsModel
    from lr_desktop.gui.workers import TaskRunner
    from lr_desktop.store.reads import COLUMNS, EventFilter, EventQuery

    rss0 = current_rss_mb()
    runner = TaskRunner()
    view = _view()
    out: dict[str, Any] = {}
    t = QElapsedTimer()
    counted: list[float] = []  # t's reading whenever a count arrived

    def settled(since: int) -> float | None:
        """ms from t.start() until the count arrived (0: before t.start()); waits for it."""
        ok = _wait(lambda: not model.is_loading)
        return (counted[-1] if len(counted) > since else 0.0) if ok else None

    t.start()
    model = EventsModel(db, runner)
    model.loaded.connect(lambda: counted.append(t.nsecsElapsed() / 1e6))
    view.setModel(model)
    model.reload()
    ok = _wait(lambda: model.rows_shown)
    visible = _paint(view)
    out["first_rows_ms"] = t.nsecsElapsed() / 1e6 if ok else None
    out["visible_rows"] = visible

    t.start()  # at once: the count may still be running
    out["jump_count_ms"] = settled(len(counted))
    view.scrollToBottom()
    _app().processEvents()
    visible = _paint(view)
    out["jump_last_ms"] = t.nsecsElapsed() / 1e6 if out["jump_count_ms"] is not None else None
    out["rows"] = model.rowCount()
    last = model.index(model.rowCount() - 1, 0)
    out["last_row_shown"] = bool(model.data(last)) and view.rowAt(view.viewport().height() - 1) in (
        model.rowCount() - 1,
        -1,
    )

    col = [c.key for c in COLUMNS].index(SORT_KEY)
    view.scrollToTop()
    t.start()
    before = len(counted)
    model.sort(col)
    ok = _wait(lambda: model.rows_shown)
    _paint(view)
    out["sort_ms"] = t.nsecsElapsed() / 1e6 if ok else None
    out["sort_count_ms"] = settled(before)

    t.start()
    before = len(counted)
    model.set_query(EventQuery(EventFilter(ad_network=FILTER_NETWORK), SORT_KEY, False))
    ok = _wait(lambda: model.rows_shown)
    _paint(view)
    out["filter_ms"] = t.nsecsElapsed() / 1e6 if ok else None
    out["filter_count_ms"] = settled(before)
    out["filtered_rows"] = model.rowCount()
    out["filter_network"] = FILTER_NETWORK

    # back to everything and at the bottom: the most the model ever holds
    model.set_query(EventQuery())
    _wait(lambda: not model.is_loading)
    view.scrollToBottom()
    _paint(view)
    out["model_rss_mb"] = current_rss_mb() - rss0
    ids = getattr(model, "_ids", None)
    out["model_index_bytes"] = ids.itemsize * len(ids) if ids is not None else None
    view.setModel(None)
    model.close()
    runner.shutdown(10_000)
    _app().processEvents()
    view.close()
    view.deleteLater()
    model.deleteLater()
    _app().processEvents()
    _KEEP.append((view, model, runner))
    return out


# -- Qt's QSqlQueryModel ----------------------------------------------------------------


def qsql_model_ops(db: Path) -> dict[str, Any]:
    from PySide6.QtSql import QSqlDatabase, QSqlQueryModel

    from lr_desktop.store.reads import COLUMNS, ROW_SQL

    # the same columns the app's table shows, its verdict column read the same way
    cols = ", ".join(f"{ROW_SQL[c.key]} AS {c.key}" if c.key in ROW_SQL else c.key for c in COLUMNS)
    rss0 = current_rss_mb()
    name = f"bench-{time.monotonic_ns()}"
    qdb = QSqlDatabase.addDatabase("QSQLITE", name)
    qdb.setDatabaseName(str(db))
    if not qdb.open():
        raise RuntimeError(qdb.lastError().text())
    view = _view()
    out: dict[str, Any] = {}
    t = QElapsedTimer()

    def set_query(sql: str) -> None:
        model.setQuery(sql, qdb)
        if model.lastError().isValid():
            raise RuntimeError(model.lastError().text())

    t.start()
    model = QSqlQueryModel()
    set_query(f"SELECT {cols} FROM installs ORDER BY installed_at DESC, rowid DESC")
    view.setModel(model)
    visible = _paint(view)
    out["first_rows_ms"] = t.nsecsElapsed() / 1e6
    out["visible_rows"] = visible

    # QSqlQueryModel only knows rows it fetched: reaching the last row means fetching all
    t.start()
    end = time.perf_counter() + DEADLINE
    root = QModelIndex()  # explicit: PySide6's shared default argument can be freed early
    while model.canFetchMore(root) and time.perf_counter() < end:
        model.fetchMore(root)
    view.scrollToBottom()
    _app().processEvents()
    _paint(view)
    out["jump_last_ms"] = t.nsecsElapsed() / 1e6
    out["rows"] = model.rowCount()
    out["model_rss_mb"] = current_rss_mb() - rss0

    view.scrollToTop()
    t.start()
    set_query(f"SELECT {cols} FROM installs ORDER BY {SORT_KEY}, rowid")
    _paint(view)
    out["sort_ms"] = t.nsecsElapsed() / 1e6

    t.start()
    set_query(
        f"SELECT {cols} FROM installs WHERE ad_network = '{FILTER_NETWORK}' "
        f"ORDER BY {SORT_KEY}, rowid"
    )
    _paint(view)
    out["filter_ms"] = t.nsecsElapsed() / 1e6
    view.setModel(None)
    model.clear()
    view.close()
    view.deleteLater()
    _app().processEvents()
    _KEEP.append((view, model))
    qdb.close()
    qdb = None  # type: ignore[assignment]  # removeDatabase wants no live handle
    QSqlDatabase.removeDatabase(name)
    return out


def _warm_up() -> None:
    """Paint a throw-away table of either model's kind of text first: the process's first
    table paint (style, fonts, glyph caches: 50-90 ms here) would otherwise fall on the
    app model's first run, which always goes first."""
    from PySide6.QtGui import QStandardItem, QStandardItemModel

    model = QStandardItemModel(40, 11)
    for r in range(40):
        for c, text in enumerate(
            (f"usr_{r:07d}", f"__{r:032x}", "Inorganic", "META", "Summer Sale", "android")
            + ("2026-01-01 00:00", "1767225600", "Queued", "queued", str(r))
        ):
            model.setItem(r, c, QStandardItem(text))
    view = _view()
    view.setModel(model)
    _paint(view)
    view.setModel(None)
    view.close()
    view.deleteLater()
    _app().processEvents()
    _KEEP.append((view, model))


def table(db: Path, reps: int, peer: bool = True) -> dict[str, Any]:
    """`peer=False`: the app's model only (at 10,000,000 rows QSqlQueryModel would need
    ~6.5 GiB and minutes to reach the last row)."""
    _app()
    _warm_up()
    runs: dict[str, list[dict[str, Any]]] = {"app": [], "qsql": []}
    for _ in range(reps):  # alternate, so caches warm both alike
        runs["app"].append(app_model_ops(db))
        if peer:
            runs["qsql"].append(qsql_model_ops(db))
    return runs


# -- responsiveness ---------------------------------------------------------------------


def heartbeat(db: Path, url: str, interval_ms: int = 10) -> dict[str, Any]:
    from bench.sync import bench_config
    from lr_desktop.gui.main_window import MainWindow
    from lr_desktop.sync import Operation

    app = _app()
    cfg = bench_config(url, "upload")
    window = MainWindow(db, demo_config=cfg)
    window.resize(1280, 800)
    window.show()
    with contextlib.suppress(Exception):  # the install events table, refreshed during sync
        window.show_section(1)
    _wait(lambda: not window.events.model.is_loading, 60)
    app.processEvents()

    gaps: list[float] = []
    clock = QElapsedTimer()
    last = [0]

    def beat() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(beat)
    done: list[object] = []
    window.sync_panel.finished.connect(done.append)
    clock.start()
    timer.start()
    t0 = time.perf_counter()
    started = window.sync_panel.start(Operation.SEND_PENDING)
    ok = started and _wait(lambda: bool(done), 1800)
    elapsed = time.perf_counter() - t0
    timer.stop()
    result = done[0] if done else None
    gaps = gaps[1:]  # the first interval starts before the timer ran
    gaps_sorted = sorted(gaps)
    out = {
        "finished": ok,
        "sync_seconds": elapsed,
        "delivered": getattr(result, "delivered", None),
        "error": None if result is None or hasattr(result, "delivered") else str(result),
        "beats": len(gaps),
        "max_gap_ms": max(gaps) if gaps else None,
        "p99_gap_ms": gaps_sorted[int(0.99 * (len(gaps_sorted) - 1))] if gaps else None,
        "median_gap_ms": gaps_sorted[len(gaps_sorted) // 2] if gaps else None,
        "gaps_over_50ms": sum(g > 50 for g in gaps),
        "gaps_over_20ms": sum(g > 20 for g in gaps),
    }
    window.closing = True
    window.sync_panel.wait(60_000)
    window.runner.shutdown(60_000)
    window.events.close_db() if hasattr(window.events, "close_db") else None
    window.hide()
    window.deleteLater()
    app.processEvents()
    return out


def main(argv: list[str]) -> int:
    what = argv[0]
    if what in ("table", "table-app"):
        doc = table(Path(argv[1]), int(argv[2]), peer=what == "table")
    elif what == "table-profile":
        from bench.profiling import profile_call

        _app()
        _warm_up()
        doc = {"profile": profile_call(lambda: app_model_ops(Path(argv[1])), interval=0.002)}
    elif what == "heartbeat":
        doc = heartbeat(Path(argv[1]), argv[2])
    else:
        raise SystemExit(f"unknown measurement {what!r}")
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip Qt teardown: nothing to save, and it can only add noise


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
