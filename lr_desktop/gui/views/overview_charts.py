"""The Overview's four charts (QtCharts): installs per day, inorganic installs by ad
network, top campaigns and delivery status. Imported when the charts are first built:
QtCharts, and the Qt namespace with its ~100 enums, are not needed for the window's
first paint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QPieSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QEvent, QMargins, QObject, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from lr_desktop.model import STATUS_LABELS

if TYPE_CHECKING:
    from lr_desktop.store.overview import OverviewStats

ORGANIC_COLOUR = QColor("#4c9f70")
INORGANIC_COLOUR = QColor("#3b6fb6")
CAMPAIGN_COLOUR = QColor("#7b5ea7")
STATUS_COLOURS = {
    "delivered": "#1b7f3b",
    "queued": "#3b6fb6",
    "in_flight": "#7aa7e0",
    "rejected": "#b3261e",
    "failed": "#e59400",
    "waiting_id": "#9e9e9e",
    "changed": "#9b7fd4",
    "unmatched": "#d16a9e",
}
LABEL_CHARS = 22  # category labels longer than this are cut (QtCharts would show "…")
# Bars per chart: QtCharts replaces a category label taller than its slot with "…" (ten
# campaigns all read "…" at 1280x800), so a chart shows as many as its height has room for.
MAX_BARS = 7
BAR_SLOT_PX = 24  # the height a bar's label needs
CHART_CHROME_PX = 90  # title, value axis and margins


def bars_for_height(height: int) -> int:
    return max(3, min(MAX_BARS, (height - CHART_CHROME_PX) // BAR_SLOT_PX))


def count_axis(axis: QValueAxis, top: int) -> None:
    """A count axis whose ticks are whole numbers: 0..top in steps of one for small
    counts, Qt's nice numbers above; an empty chart shows no tick labels (a "%d" axis
    over 0..1.1 read "1, 0, 0, 0, 0")."""
    axis.setLabelFormat("%d")
    axis.setLabelsVisible(top > 0)
    if top < 6:
        axis.setRange(0, max(top, 1))
        axis.setTickCount(max(top, 1) + 1)
        return
    axis.setRange(0, top * 1.05)
    axis.applyNiceNumbers()


def short_label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a picture: nothing to do with the keyboard
    view.viewport().setFocusPolicy(Qt.FocusPolicy.NoFocus)
    view.setMinimumHeight(170)
    return chart, view


class OverviewCharts(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overviewCharts")
        self.per_day_chart, per_day = _chart("Installs per day")
        self.network_chart, network = _chart("Inorganic installs by ad network")
        self.campaign_chart, campaign = _chart("Top campaigns")
        self.status_chart, status_view = _chart("Delivery status")
        self.status_chart.legend().setVisible(False)  # a one-row legend was cut off
        self.status_legend = QLabel(objectName="statusLegend")
        self.status_legend.setWordWrap(True)
        self.status_legend.setContentsMargins(12, 0, 12, 8)
        status = QWidget(objectName="statusChartBox")
        box = QVBoxLayout(status)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(status_view, 1)
        box.addWidget(self.status_legend)
        charts = QGridLayout(self)
        charts.setContentsMargins(0, 0, 0, 0)
        charts.addWidget(per_day, 0, 0, 1, 2)
        charts.addWidget(network, 1, 0)
        charts.addWidget(campaign, 1, 1)
        charts.addWidget(status, 0, 2, 2, 1)
        charts.setColumnStretch(0, 2)
        charts.setColumnStretch(1, 2)
        charts.setColumnStretch(2, 1)  # the donut needs less width than the bar labels
        # the bar charts' height decides how many bars they show; the per-day chart reads
        # well at its minimum, so the rows below get the larger share (five campaigns at
        # 1280x800 with the first-run checklist and the CleverTap check card above)
        charts.setRowStretch(0, 2)
        charts.setRowStretch(1, 3)
        self._stats: OverviewStats | None = None
        self._bars_shown = MAX_BARS
        self._bar_views = (network, campaign)
        for view in self._bar_views:
            view.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and obj in self._bar_views:
            n = bars_for_height(min(v.height() for v in self._bar_views))
            if n != self._bars_shown:
                self._bars_shown = n
                if self._stats is not None:
                    self._all_bars(self._stats)
        return False

    def _all_bars(self, stats: OverviewStats) -> None:
        self._bars(self.network_chart, stats.by_network, INORGANIC_COLOUR, "Installs")
        self._bars(self.campaign_chart, stats.top_campaigns, CAMPAIGN_COLOUR, "Installs")

    def show_stats(self, stats: OverviewStats) -> None:
        self._stats = stats
        self._per_day(stats)
        self._all_bars(stats)
        self._status(stats)

    @staticmethod
    def _reset(chart: QChart) -> None:
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)

    def _per_day(self, stats: OverviewStats) -> None:
        chart = self.per_day_chart
        self._reset(chart)
        organic, inorganic = QBarSet("Organic"), QBarSet("Inorganic")
        organic.setColor(ORGANIC_COLOUR)
        inorganic.setColor(INORGANIC_COLOUR)
        days = []
        for day, o, i in stats.per_day:
            days.append(day[8:] if len(stats.per_day) > 14 else day[5:])
            organic.append(o)
            inorganic.append(i)
        series = QStackedBarSeries()
        series.append(organic)
        series.append(inorganic)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append(days)
        small = QFont(x.labelsFont())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.75))
        x.setLabelsFont(small)
        x.setTitleText("Day of month" if len(stats.per_day) > 14 else "")
        y = QValueAxis()
        count_axis(y, max((o + i for _d, o, i in stats.per_day), default=0))
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)

    def _bars(self, chart: QChart, data: list[tuple[str, int]], colour: QColor, name: str) -> None:
        self._reset(chart)
        items = list(reversed(data[: self._bars_shown]))  # largest at the top
        bar = QBarSet(name)
        bar.setColor(colour)
        for _label, n in items:
            bar.append(n)
        series = QHorizontalBarSeries() if items else QBarSeries()
        series.append(bar)
        chart.addSeries(series)
        chart.legend().setVisible(False)
        y = QBarCategoryAxis()
        y.append([short_label(str(label)) for label, _n in items])
        small = QFont(y.labelsFont())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
        y.setLabelsFont(small)
        x = QValueAxis()
        count_axis(x, max((n for _l, n in items), default=0))
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(y)
        series.attachAxis(x)

    def _status(self, stats: OverviewStats) -> None:
        chart = self.status_chart
        self._reset(chart)
        series = QPieSeries()
        series.setHoleSize(0.35)
        legend = []
        for key, label in STATUS_LABELS.items():
            n = stats.counts.get(str(key), 0)
            if n:
                colour = STATUS_COLOURS.get(str(key), "#888")
                sl = series.append(f"{label} ({n:,})", n)
                sl.setColor(QColor(colour))
                legend.append(f"<span style='color:{colour}'>■</span>&nbsp;{label}: {n:,}")
        chart.addSeries(series)
        self.status_legend.setText("<br>".join(legend) or "No users yet")
