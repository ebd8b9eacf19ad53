"""Overview charts a new user found broken: a future-dated install collapsed "Installs
per day", empty charts read "1, 0, 0, 0, 0", Top campaigns read "…" at 1280x800, and
the donut's one-row legend was cut off."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCharts import QChart, QValueAxis
from PySide6.QtGui import QTextDocument

from lr_desktop.gui.views.overview_charts import count_axis
from lr_desktop.model import ORGANIC, STATUS_LABELS, Attribution
from lr_desktop.store import connect, overview, transaction
from lr_desktop.store.queue import upsert_attributions


def _overview(make_window, qtbot, db: Path, size=(1280, 800)):  # type: ignore[no-untyped-def]
    w = make_window(db, settle=False)
    w.resize(*size)
    w.show_section(0)  # a window opens on the section the last one closed on
    view = w.overview
    qtbot.waitUntil(lambda: view.stats is not None)
    return w, view


def _texts(chart: QChart) -> list[str]:
    """The texts QtCharts drew. Its axis labels are QGraphicsTextItem subclasses Qt for
    Python does not wrap as text items; each keeps its text in a QTextDocument child."""
    out = []
    for item in chart.scene().items():
        obj = item.toGraphicsObject()
        if obj is not None and item.isVisible():
            out += [d.toPlainText() for d in obj.findChildren(QTextDocument)]
    return out


def _ticks(axis: QValueAxis) -> list[float]:
    n = axis.tickCount()
    return [axis.min() + k * (axis.max() - axis.min()) / (n - 1) for k in range(n)]


@pytest.mark.parametrize("top", [0, 1, 3, 5, 7, 198, 1903])
def test_count_axes_tick_on_whole_numbers(qtbot, top: int) -> None:  # type: ignore[no-untyped-def]
    axis = QValueAxis()
    count_axis(axis, top)
    ticks = _ticks(axis)
    assert all(abs(t - round(t)) < 1e-9 for t in ticks), ticks
    assert len({round(t) for t in ticks}) == len(ticks)  # no "0, 0, 0"
    assert axis.max() >= top
    assert axis.labelsVisible() == (top > 0)


def test_a_future_dated_install_does_not_collapse_installs_per_day(
    make_window, qtbot, sample_db: Path
) -> None:  # type: ignore[no-untyped-def]
    conn = connect(sample_db)
    with transaction(conn):
        upsert_attributions(
            conn,
            [Attribution("from-the-future", ORGANIC, "ios", int(time.time()) + 400 * 86400)],
            source="test",
        )
    stats = overview.overview_stats(conn)
    conn.close()
    assert len(stats.per_day) > 20
    assert stats.future_dated == 1 and stats.counts["attributed"] == 401
    _w, view = _overview(make_window, qtbot, sample_db)
    assert view.per_day_chart.axes()[0].count() > 20  # the day categories
    assert "dated in the future" in view.note.text() and view.note.isVisibleTo(view)


def test_empty_charts_show_no_zero_ticks(make_window, qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    _w, view = _overview(make_window, qtbot, db_path)
    for chart in (view.per_day_chart, view.network_chart, view.campaign_chart):
        value_axes = [a for a in chart.axes() if isinstance(a, QValueAxis)]
        assert value_axes and not any(a.labelsVisible() for a in value_axes)


@pytest.mark.parametrize("size", [(1280, 800), (640, 420)])  # 640x420: the minimum size
def test_campaign_labels_and_the_status_legend_are_readable(
    make_window, qtbot, sample_db: Path, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    w, view = _overview(make_window, qtbot, sample_db, size)
    qtbot.waitExposed(w)
    names = {name for name, _n in view.stats.top_campaigns}
    need = 5 if size[0] >= 1280 else 3

    def readable() -> bool:  # QtCharts lays its labels out when it next paints
        texts = _texts(view.campaign_chart)
        return len(names.intersection(texts)) >= need and not {"...", "…"} & set(texts)

    qtbot.waitUntil(readable, timeout=5_000)
    legend = view.build_charts().status_legend.text()
    for key, n in view.stats.counts.items():
        if key in STATUS_LABELS and n:
            assert f"{STATUS_LABELS[key]}: {n:,}" in legend
