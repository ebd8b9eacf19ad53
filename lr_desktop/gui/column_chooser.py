"""The events table's columns: delivery status second (after the user ID) and "In
CleverTap" third, a chooser
(the header's context menu) to show or hide columns, and widths, order and hidden
columns remembered across sessions (QSettings; the header's own saved state)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QObject, QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHeaderView, QMenu

from lr_desktop import APP_ID

SETTINGS_KEY = "events/header"
ORGANIZATION = "Linkrunner"  # main_window.ORGANIZATION (imported there from here would cycle)
ALWAYS_SHOWN = ("user_id",)
UP_FRONT = ("status", "ct_verdict")  # by default right after the user ID, in this order


class ColumnChooser(QObject):
    def __init__(
        self,
        header: QHeaderView,
        keys: tuple[str, ...],
        titles: tuple[str, ...],
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(header)
        self._header = header
        self._keys = keys
        self._titles = titles
        self._settings = settings or QSettings(ORGANIZATION, APP_ID)
        self._save_timer = QTimer(self, singleShot=True, interval=400)
        self._save_timer.timeout.connect(self.save)
        header.setSectionsMovable(True)
        header.setFirstSectionMovable(False)
        self._up_front()
        state = self._settings.value(SETTINGS_KEY)
        if isinstance(state, QByteArray | bytes) and state:
            header.restoreState(QByteArray(state))
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._menu)
        header.sectionMoved.connect(self._changed)
        header.sectionResized.connect(self._changed)
        self.actions: dict[str, QAction] = {}
        for i, key in enumerate(keys):
            a = QAction(titles[i], self, checkable=True, objectName=f"column {key}")
            a.setChecked(not header.isSectionHidden(i))
            a.setEnabled(key not in ALWAYS_SHOWN)
            a.toggled.connect(lambda on, i=i: self.set_shown(i, on))
            self.actions[key] = a

    def menu(self) -> QMenu:
        menu = QMenu(self._header)
        menu.setObjectName("columnChooser")
        menu.addSection("Columns")
        for key in self._keys:
            menu.addAction(self.actions[key])
        menu.addSeparator()
        menu.addAction("Reset columns", self.reset)
        return menu

    def _menu(self, pos: QPoint) -> None:
        self.menu().popup(self._header.mapToGlobal(pos))

    def set_shown(self, column: int, shown: bool) -> None:
        self._header.setSectionHidden(column, not shown)
        self._changed()

    def reset(self) -> None:
        header = self._header
        for i in range(header.count()):
            header.setSectionHidden(i, False)
            header.moveSection(header.visualIndex(i), i)
        self._up_front()
        for a in self.actions.values():
            a.setChecked(True)
        self._changed()

    def _up_front(self) -> None:
        for place, key in enumerate((k for k in UP_FRONT if k in self._keys), 1):
            self._header.moveSection(self._header.visualIndex(self._keys.index(key)), place)

    def _changed(self, *_: object) -> None:
        self._save_timer.start()

    def save(self) -> None:
        self._save_timer.stop()
        self._settings.setValue(SETTINGS_KEY, self._header.saveState())
