"""Overview: the counts the core reports and four charts (QtCharts), computed in SQL
off the GUI thread.

It is usually what the window paints first, before any numbers have arrived: the
cards (showing "–") are built with the view; the charts (`overview_charts`, with
QtCharts) by `build_charts()`, which the window calls when it loads the view's data
right after its first paint, or on first use. The SQL is imported by the worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtCharts import QChart

    from lr_desktop.gui.views.overview_charts import OverviewCharts
    from lr_desktop.gui.workers import TaskRunner
    from lr_desktop.store.overview import OverviewStats

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


def second_copy_notes(counts: dict[str, int]) -> list[str]:
    """The users whose event CleverTap may hold in another version (the core's counts)."""
    from lr_desktop.model import STATUS_LABELS, Status

    out = []
    changed, unmatched = counts.get(Status.CHANGED, 0), counts.get(Status.UNMATCHED, 0)
    if changed:
        out.append(
            f"{STATUS_LABELS[Status.CHANGED]}: {changed:,} users (CleverTap holds their old "
            "attribution; Sync updates their profile properties; Sync > Send corrected events "
            "sends a second install event)."
        )
    if unmatched:
        out.append(
            f"{STATUS_LABELS[Status.UNMATCHED]}: {unmatched:,} users (CleverTap refused part "
            "of a request without naming which; their events may or may not be in CleverTap)."
        )
    return out


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


class OverviewView(QWidget):
    updated = Signal()

    def __init__(self, db_path: Path, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._runner = runner
        self._busy = False
        self._again = False
        self.stats: OverviewStats | None = None
        self._charts: OverviewCharts | None = None
        self.cards = {key: Card(key, title) for key, title in CARDS}
        cards = QGridLayout()
        for i, (key, _t) in enumerate(CARDS):
            cards.addWidget(self.cards[key], i // 4, i % 4)
        self.note = QLabel(objectName="overviewNote")
        self.note.setWordWrap(True)
        from lr_desktop.gui.views.check_card import CheckCard

        self.check_card = CheckCard(db_path, runner)  # the last CleverTap check (issue 13)
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(cards)
        self._layout.addWidget(self.check_card)
        self._layout.addWidget(self.note)
        self._layout.addStretch(1)  # keeps the cards at the top until the charts are there

    # -- the charts ----------------------------------------------------------------------
    def build_charts(self) -> OverviewCharts:
        """The four charts (built once, below the cards; empty until the data arrives)."""
        if self._charts is None:
            from lr_desktop.gui.views.overview_charts import OverviewCharts

            self._charts = OverviewCharts()
            self._layout.takeAt(self._layout.count() - 1)  # the stretch
            self._layout.addWidget(self._charts, 1)
        return self._charts

    @property
    def per_day_chart(self) -> QChart:
        return self.build_charts().per_day_chart

    @property
    def network_chart(self) -> QChart:
        return self.build_charts().network_chart

    @property
    def campaign_chart(self) -> QChart:
        return self.build_charts().campaign_chart

    @property
    def status_chart(self) -> QChart:
        return self.build_charts().status_chart

    # -- data ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute in a worker; a request while one runs is folded into one more run."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        path = self._db_path
        self.check_card.refresh()

        def work(_p: object, _c: object) -> OverviewStats:
            from lr_desktop.store import overview

            return overview.overview_stats_at(path)

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
        future = stats.future_dated
        notes = []
        if dup:
            notes.append(
                f"{dup:,} events may be duplicated in CleverTap (they were in flight when a run "
                "stopped)."
            )
        notes += second_copy_notes(stats.counts)
        if future:
            notes.append(
                f"{future:,} install{'s are' if future != 1 else ' is'} dated in the future "
                "(check the file's dates); not shown in Installs per day."
            )
        self.note.setText(" ".join(notes))
        self.note.setVisible(bool(notes))
        self.build_charts().show_stats(stats)
        self.updated.emit()
        if self._again:
            self._again = False
            self.refresh()
