"""Keeps the events table's selection by user ID across reloads.

A reload (every pull, send or filter change) replaces the rows as a layout change, which
drops the selection: the highlighted row, the detail pane and the keyboard's place all
jumped. The keeper remembers the selected user IDs, selects them again where they are
after the reload (looked for on the pages already read and around the old place, so a
million-row table is not scanned), and clears the detail pane when the new filter hides
the user it showed, so it never describes a user the table no longer lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QObject

from lr_desktop.store import reads

if TYPE_CHECKING:
    from lr_desktop.gui.views.events import EventsView


class SelectionKeeper(QObject):
    def __init__(self, view: EventsView) -> None:
        super().__init__(view)
        self._view = view
        self._ids: list[str] = []
        self._row = 0  # where the first of them was
        self.restoring = False  # selection changes now are the keeper's own (or the reload's)
        model = view.model
        model.layoutAboutToBeChanged.connect(self._reloading)
        model.first_rows.connect(self.restore)
        model.loaded.connect(self.restore)
        view.table.selectionModel().selectionChanged.connect(self._changed)

    @property
    def user_ids(self) -> list[str]:
        return list(self._ids)

    def _reloading(self) -> None:
        self.restoring = True

    def _changed(self, *_: object) -> None:
        if self.restoring:
            return
        rows = self._view.selected_rows()
        self._ids = self._view.selected_user_ids()
        self._row = rows[0] if rows else 0

    def restore(self) -> None:
        """Select the remembered users again where the reloaded table has them."""
        view, model = self._view, self._view.model
        self.restoring = True
        try:
            if not self._ids:
                return
            found = model.rows_of(self._ids, near=self._row)
            table = view.table
            selection = QItemSelection()
            last = model.columnCount() - 1
            for row in found:
                selection.select(model.index(row, 0), model.index(row, last))
            sm = table.selectionModel()
            if found:
                sm.select(
                    selection,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                sm.setCurrentIndex(
                    model.index(found[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate
                )
                self._row = found[0]
            if not self._still_listed(self._ids[0] if not found else model.user_id(found[0])):
                self._ids = []
                view.detail.show_user(None)
            elif found and view.detail.user_id != model.user_id(found[0]):
                view.detail.show_user(model.user_id(found[0]))
        finally:
            self.restoring = False

    def _still_listed(self, user_id: str | None) -> bool:
        if user_id is None:
            return False
        conn = reads.open_read(self._view.model.db_path)
        try:
            return reads.user_matches(conn, user_id, self._view.model.query.filter)
        finally:
            conn.close()
