"""Install events: filters, the lazy table, the detail pane and the row actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from lr_desktop.gui.column_chooser import ColumnChooser
from lr_desktop.gui.detail_pane import DetailPane
from lr_desktop.gui.file_dialogs import save_path
from lr_desktop.gui.models.events_model import EventsModel
from lr_desktop.gui.models.verdict_words import NOT_IN_CHECK_LABEL, TABLE_VERDICTS, filter_tooltip
from lr_desktop.gui.selection_keeper import SelectionKeeper
from lr_desktop.gui.workers import TaskRunner
from lr_desktop.model import INORGANIC, ORGANIC, PLATFORMS, STATUS_LABELS
from lr_desktop.store import reads
from lr_desktop.store.reads import COLUMNS, NO_VERDICT, EventFilter, EventQuery
from lr_desktop.verify import VERDICT_LABELS

EXPORT_COLUMNS = (
    "user_id",
    "clevertap_id",
    "attribution_type",
    "ad_network",
    "campaign_id",
    "campaign_name",
    "platform",
    "installed_at",
    "status",
    "attempts",
    "last_attempt_at",
    "last_http_status",
    "last_code",
    "last_error",
    "delivered_at",
)


class _Cancelled(Exception):
    pass


def export_rows(db_path: Path, query: EventQuery, target: Path, cancel: Any) -> int:
    """Write the filtered rows as a spreadsheet-safe CSV (runs in a worker); -1 if cancelled."""
    from lr_desktop.csvsafe import write_csv
    from lr_desktop.timefmt import TIME_COLUMNS, iso_utc

    conn = reads.open_read(db_path)
    times = [i for i, c in enumerate(EXPORT_COLUMNS) if c in TIME_COLUMNS]

    def rows() -> Any:
        for n, row in enumerate(reads.filtered_rows(conn, query, EXPORT_COLUMNS)):
            if n % 10_000 == 0 and cancel.is_set():
                raise _Cancelled
            out = list(row)
            for i in times:  # ISO 8601 UTC, not epoch seconds
                out[i] = iso_utc(out[i])
            yield out

    try:
        return write_csv(target, EXPORT_COLUMNS, rows())
    except _Cancelled:
        return -1
    finally:
        conn.close()


class EventsView(QWidget):
    status_message = Signal(str)
    export_finished = Signal(object)  # rows written (-1: cancelled), or the exception

    def __init__(
        self,
        db_path: Path,
        runner: TaskRunner,
        retry: Callable[[list[str]], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._runner = runner
        self._retry = retry
        self.model = EventsModel(self._db_path, runner, self)

        self.status_combo = self._combo(
            "statusFilter",
            [("All statuses", None)] + [(label, str(k)) for k, label in STATUS_LABELS.items()],
        )
        self.verdict_combo = self._combo(
            "verdictFilter",
            [("In CleverTap: any", None)]
            + [(VERDICT_LABELS[v], v) for v in TABLE_VERDICTS]
            + [(NOT_IN_CHECK_LABEL, NO_VERDICT)],
        )
        for i in range(self.verdict_combo.count()):
            tip = filter_tooltip(self.verdict_combo.itemData(i))
            self.verdict_combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.verdict_combo.setToolTip("Users by what the last CleverTap check found")
        self.type_combo = self._combo(
            "typeFilter",
            [("Organic and inorganic", None), ("Organic", ORGANIC), ("Inorganic", INORGANIC)],
        )
        self.network_combo = self._combo("networkFilter", [("All ad networks", None)])
        self.platform_combo = self._combo(
            "platformFilter",
            [("All platforms", None)]
            + [(p.capitalize() if p == "android" else "iOS", p) for p in PLATFORMS],
        )
        self.search = QLineEdit(objectName="search")
        self.search.setPlaceholderText("Search user ID, CleverTap ID or campaign  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=300)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.count_label = QLabel(objectName="countLabel")

        bar = QHBoxLayout()
        combos = (self.status_combo, self.verdict_combo, self.type_combo, self.network_combo)
        for w in (*combos, self.platform_combo):
            bar.addWidget(w)
            w.currentIndexChanged.connect(self.apply_filter)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)

        self.table = QTableView(objectName="eventsTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(
            COLUMNS.index(next(c for c in COLUMNS if c.key == "installed_at")),
            Qt.SortOrder.DescendingOrder,
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for i, width in enumerate((110, 260, 80, 130, 150, 70, 125, 150, 70, 125, 260, 190)):
            header.resizeSection(i, width)
        header.setStretchLastSection(True)
        header.sortIndicatorChanged.connect(self._sort_indicator_changed)
        self.columns = ColumnChooser(
            header, tuple(c.key for c in COLUMNS), tuple(c.title for c in COLUMNS)
        )
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.keeper = SelectionKeeper(self)

        self.detail = DetailPane(self._db_path)
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="eventsSplitter")
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([900, 480])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self.model.loaded.connect(self._loaded)
        self.model.loading.connect(lambda busy: busy and self.count_label.setText("Loading…"))
        self.model.first_rows.connect(lambda: self.count_label.setText("Counting…"))

        self.retry_action = QAction("Retry selected", self, triggered=self.retry_selected)
        self.copy_action = QAction("Copy CleverTap ID", self, triggered=self.copy_clevertap_id)
        self.export_action = QAction(
            "Export filtered rows as CSV…", self, triggered=self.export_csv
        )

    @staticmethod
    def _combo(name: str, items: Sequence[tuple[str, str | None]]) -> QComboBox:
        combo = QComboBox(objectName=name)
        for label, value in items:
            combo.addItem(label, value)
        return combo

    # -- data -------------------------------------------------------------------------
    def start(self) -> None:
        self.model.reload()
        self.reload_networks()

    def reload_networks(self) -> None:
        conn = reads.open_read(self._db_path)
        try:
            networks = reads.ad_networks(conn)
        finally:
            conn.close()
        current = self.network_combo.currentData()
        self.network_combo.blockSignals(True)
        self.network_combo.clear()
        self.network_combo.addItem("All ad networks", None)
        for n in networks:
            self.network_combo.addItem(n, n)
        idx = self.network_combo.findData(current)
        self.network_combo.setCurrentIndex(max(idx, 0))
        self.network_combo.blockSignals(False)

    def current_filter(self) -> EventFilter:
        return EventFilter(
            status=self.status_combo.currentData(),
            attribution_type=self.type_combo.currentData(),
            ad_network=self.network_combo.currentData(),
            platform=self.platform_combo.currentData(),
            text=self.search.text(),
            ct_verdict=self.verdict_combo.currentData(),
        )

    def _sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        """A click on a column the table cannot sort by (the verdict: that would join
        every user's verdict) leaves the sort as it was."""
        if COLUMNS[column].sortable:
            return
        q = self.model.query
        order = Qt.SortOrder.DescendingOrder if q.descending else Qt.SortOrder.AscendingOrder
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(
            COLUMNS.index(next(c for c in COLUMNS if c.key == q.sort_key)), order
        )
        header.blockSignals(False)

    def apply_filter(self) -> None:
        q = self.model.query
        self.model.set_query(EventQuery(self.current_filter(), q.sort_key, q.descending))

    def refresh_rows(self) -> None:
        """Repaint visible rows and the detail pane with what the database holds now."""
        self.model.refresh_rows()
        self.detail.reload()

    def _loaded(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{n:,} users")
        self.detail.reload()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # -- selection and actions ------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def selected_user_ids(self) -> list[str]:
        out = []
        for row in self.selected_rows():
            uid = self.model.user_id(row)
            if uid is not None:
                out.append(uid)
        return out

    def _selection_changed(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        if self.keeper.restoring:
            return  # a reload dropped the selection; the keeper puts it back
        rows = self.selected_rows()
        self.detail.show_user(self.model.user_id(rows[0]) if rows else None)

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        has = bool(self.selected_rows())
        self.retry_action.setEnabled(has)
        self.copy_action.setEnabled(has)
        menu.addAction(self.retry_action)
        menu.addAction(self.copy_action)
        menu.addSeparator()
        menu.addAction(self.export_action)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def retry_selected(self) -> None:
        ids = self.selected_user_ids()
        if ids:
            self._retry(ids)

    def copy_clevertap_id(self) -> None:
        ids = []
        for row in self.selected_rows():
            values = self.model.row_values(row)
            if values and values.get("clevertap_id"):
                ids.append(str(values["clevertap_id"]))
        if ids:
            QGuiApplication.clipboard().setText("\n".join(ids))
            self.status_message.emit(
                f"Copied {len(ids)} CleverTap ID{'s' if len(ids) != 1 else ''}."
            )

    def export_csv(self, target: Path | None = None) -> None:
        if not target:
            target = save_path(self, "Export filtered rows", "install-events.csv", "CSV (*.csv)")
            if target is None:
                return
        query = self.model.query
        path = self._db_path
        self.status_message.emit(f"Exporting to {target}…")
        self._runner.start(
            "export",
            lambda _p, cancel: export_rows(path, query, target, cancel),
            on_success=lambda n: self._exported(n, target),
            on_failure=self._export_failed,
        )

    def _exported(self, n: int, target: Path) -> None:
        self.status_message.emit(
            "Export cancelled." if n < 0 else f"Exported {n:,} rows to {target}."
        )
        self.export_finished.emit(n)

    def _export_failed(self, exc: Exception) -> None:
        self.status_message.emit(f"Export failed: {exc}")
        QMessageBox(QMessageBox.Icon.Warning, "Export failed", str(exc), parent=self).open()
        self.export_finished.emit(exc)

    def close_db(self) -> None:
        self.model.close()
        self.detail.close_db()
