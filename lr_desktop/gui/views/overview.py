"""Overview: the counts the core reports and four charts (QtCharts), computed in SQL
off the GUI thread.

It is usually the first thing the window paints, so what only the data needs (the SQL,
the Qt namespace with its enums) is imported when the first numbers arrive.
"""

from __future__ import annotations

from pathlib import Path
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
from PySide6.QtCore import QMargins, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from lr_desktop.gui.queries import OverviewStats
    from lr_desktop.gui.workers import TaskRunner

CARDS = (
    ("attributed", "Attributed users"),
    ("organic", "Organic"),
    ("inorganic", "Inorganic"),
    ("without_clevertap_id", "Without CleverTap ID"),
    ("delivered", "Delivered"),
    ("queued", "Queued"),
    ("rejected", "Rejected"),
    ("failed", "Failed"),
)
ORGANIC_COLOUR = QColor("#4c9f70")
INORGANIC_COLOUR = QColor("#3b6fb6")
STATUS_COLOURS = {
    "delivered": "#1b7f3b",
    "queued": "#3b6fb6",
    "in_flight": "#7aa7e0",
    "rejected": "#b3261e",
    "failed": "#e59400",
    "waiting_id": "#9e9e9e",
}


class Card(QFrame):
    def __init__(self, key: str, title: str) -> None:
        super().__init__(objectName=f"card_{key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setProperty("card", True)
        self.value = QLabel("–", objectName=f"value_{key}")
        self.value.setProperty("cardValue", True)
        caption = QLabel(title)
        caption.setProperty("cardCaption", True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.value)
        lay.addWidget(caption)


def _chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))  # the legend goes to the bottom with the data
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(240)
    return chart, view


class OverviewView(QWidget):
    updated = Signal()

    def __init__(self, db_path: Path, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._runner = runner
        self._busy = False
        self._again = False
        self.stats: OverviewStats | None = None
        self.cards = {key: Card(key, title) for key, title in CARDS}
        cards = QGridLayout()
        for i, (key, _t) in enumerate(CARDS):
            cards.addWidget(self.cards[key], i // 4, i % 4)
        self.per_day_chart, per_day = _chart("Installs per day")
        self.network_chart, network = _chart("Inorganic installs by ad network")
        self.campaign_chart, campaign = _chart("Top campaigns")
        self.status_chart, status = _chart("Delivery status")
        charts = QGridLayout()
        charts.addWidget(per_day, 0, 0, 1, 2)
        charts.addWidget(network, 1, 0)
        charts.addWidget(campaign, 1, 1)
        charts.addWidget(status, 0, 2, 2, 1)
        charts.setColumnStretch(0, 2)
        charts.setColumnStretch(1, 2)
        charts.setColumnStretch(2, 2)
        self.note = QLabel(objectName="overviewNote")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addLayout(cards)
        lay.addWidget(self.note)
        lay.addLayout(charts, 1)

    def refresh(self) -> None:
        """Recompute in a worker; a request while one runs is folded into one more run."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        path = self._db_path

        def work(_p: object, _c: object) -> OverviewStats:
            from lr_desktop.gui import queries

            return queries.overview_stats_at(path)

        self._runner.start("overview", work, on_success=self._show, on_failure=self._failed)

    def _failed(self, exc: Exception) -> None:
        self._busy = False
        self.note.setText(f"Could not read the database: {exc}")

    def _show(self, stats: OverviewStats) -> None:
        self._busy = False
        self.stats = stats
        for key, card in self.cards.items():
            card.value.setText(f"{stats.counts.get(key, 0):,}")
        dup = stats.counts.get("possibly_duplicated", 0)
        self.note.setText(
            f"{dup:,} events may be duplicated in CleverTap (they were in flight when a run stopped)."
            if dup
            else ""
        )
        self.note.setVisible(bool(dup))
        self._per_day(stats)
        self._bars(self.network_chart, stats.by_network, INORGANIC_COLOUR, "Installs")
        self._bars(self.campaign_chart, stats.top_campaigns, QColor("#7b5ea7"), "Installs")
        self._status(stats)
        self.updated.emit()
        if self._again:
            self._again = False
            self.refresh()

    @staticmethod
    def _reset(chart: QChart) -> None:
        from PySide6.QtCore import Qt

        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)

    def _per_day(self, stats: OverviewStats) -> None:
        from PySide6.QtCore import Qt

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
        y.setLabelFormat("%d")
        top = max((o + i for _d, o, i in stats.per_day), default=0)
        y.setRange(0, max(top, 1) * 1.1)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)

    def _bars(self, chart: QChart, data: list[tuple[str, int]], colour: QColor, name: str) -> None:
        from PySide6.QtCore import Qt

        self._reset(chart)
        items = list(reversed(data))  # largest at the top
        bar = QBarSet(name)
        bar.setColor(colour)
        for _label, n in items:
            bar.append(n)
        series = QHorizontalBarSeries() if items else QBarSeries()
        series.append(bar)
        chart.addSeries(series)
        chart.legend().setVisible(False)
        y = QBarCategoryAxis()
        y.append([str(label) for label, _n in items])
        x = QValueAxis()
        x.setLabelFormat("%d")
        x.setRange(0, max((n for _l, n in items), default=1) * 1.1)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(y)
        series.attachAxis(x)

    def _status(self, stats: OverviewStats) -> None:
        from lr_desktop.model import STATUS_LABELS

        chart = self.status_chart
        self._reset(chart)
        series = QPieSeries()
        series.setHoleSize(0.35)
        for key, label in STATUS_LABELS.items():
            n = stats.counts.get(str(key), 0)
            if n:
                sl = series.append(f"{label} ({n:,})", n)
                sl.setColor(QColor(STATUS_COLOURS.get(str(key), "#888")))
        chart.addSeries(series)
