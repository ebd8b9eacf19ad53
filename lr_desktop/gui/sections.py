"""The window's sections (Overview, Install events, Integrations, Sync history), each
built on first use and loading its data then.

Until a section is built its page in the stack is an empty placeholder. Reading a
section (`get`) builds it; once the window is up (`startup` over) it also loads the
section's first data, mostly in workers. `refresh_*` touch only what is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QStackedWidget, QWidget

from lr_desktop.gui import changes
from lr_desktop.gui.changes import Topic

if TYPE_CHECKING:
    from lr_desktop.gui.main_window import MainWindow
    from lr_desktop.gui.views.linkrunner_form import LinkrunnerForm

SECTIONS = ("Overview", "Install events", "Integrations", "Sync history")
OVERVIEW, EVENTS, INTEGRATIONS, HISTORY = range(len(SECTIONS))


class Sections(QObject):
    """The stack of section pages and what has been built and loaded."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._w = window
        self.stack = QStackedWidget()
        self.stack.setObjectName("sections")
        for name in SECTIONS:  # placeholders until each section is built
            placeholder = QWidget()
            placeholder.setObjectName(f"unbuilt {name}")
            self.stack.addWidget(placeholder)
        self.startup = True  # the first section's data loads after the first paint
        self._built: dict[int, QWidget] = {}
        self._loaded: set[int] = set()
        self.linkrunner: LinkrunnerForm | None = None  # built with Integrations
        self.events_splitter: Any = None  # saved splitter state, applied when built
        # the Install events view's actions, stood in for until it is built
        self.events_proxies: list[tuple[QMenu, QAction, str]] = []
        window.runner.changed.connect(self.refresh)

    def is_built(self, index: int) -> bool:
        return index in self._built

    def is_loaded(self, index: int) -> bool:
        return index in self._loaded

    def built(self, index: int) -> Any:
        """The section if it has been built, else None (never builds it)."""
        return self._built.get(index)

    def get(self, index: int) -> QWidget:
        """The section, built (and its data loading) on first use."""
        widget = self._built.get(index)
        if widget is None:
            builders: dict[int, Callable[[], QWidget]] = {
                OVERVIEW: self._build_overview,
                EVENTS: self._build_events,
                INTEGRATIONS: self._build_integrations,
                HISTORY: self._build_history,
            }
            widget = builders[index]()
            placeholder = self.stack.widget(index)
            self.stack.insertWidget(index, widget)
            assert placeholder is not None
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self._built[index] = widget
        if not self.startup and index not in self._loaded:
            self.load(index)
        return widget

    def load_built(self) -> None:
        """After the first paint: the data of the sections built so far."""
        for index in list(self._built):
            if index not in self._loaded:
                self.load(index)

    def load(self, index: int) -> None:
        """A section's first data: from the database, the keyring, in workers mostly."""
        self._w.ensure_db()
        self._loaded.add(index)
        widget: Any = self._built[index]
        if index == OVERVIEW:
            widget.build_charts()
            widget.refresh()
        elif index == EVENTS:
            widget.detail.set_config(self._w.source.public())
            widget.start()
        elif index == INTEGRATIONS:
            widget.load()
            assert self.linkrunner is not None
            self.linkrunner.load()
        elif index == HISTORY:
            widget.refresh()

    # -- builders --------------------------------------------------------------------------
    def _build_overview(self) -> QWidget:
        from lr_desktop.gui.views.overview import OverviewView

        return OverviewView(self._w.db_path, self._w.runner)

    def _build_events(self) -> QWidget:
        from lr_desktop.gui.views.events import EventsView

        w = self._w
        if not w.db_path.exists():
            w.ensure_db()  # its model and detail pane open read connections at once
        view = EventsView(w.db_path, w.runner, w.retry_users)
        view.status_message.connect(w.show_status)
        if self.events_splitter is not None:
            view.splitter.restoreState(self.events_splitter)
        for menu, proxy, name in self.events_proxies:
            menu.insertAction(proxy, getattr(view, name))
            menu.removeAction(proxy)
            proxy.deleteLater()
        self.events_proxies = []
        w.export_action = view.export_action
        return view

    def _build_integrations(self) -> QWidget:
        from lr_desktop.gui.views.integrations import IntegrationsView
        from lr_desktop.gui.views.linkrunner_form import LinkrunnerForm

        w = self._w
        view = IntegrationsView(w.source, w.runner)
        form = LinkrunnerForm(w.db_path, w.runs.linkrunner_source, w.runner)
        view.add_section(form)
        self.linkrunner = form
        view.config_saved.connect(w.config_changed)
        view.config_removed.connect(w.config_removed)
        w.runs.connect_form(form)
        return view

    def _build_history(self) -> QWidget:
        from lr_desktop.gui.views.history import HistoryView
        from lr_desktop.run_errors import host_of

        w = self._w
        return HistoryView(w.db_path, w.runner, w.retry_users, lambda: host_of(w.source.public()))

    # -- refreshing what is loaded ---------------------------------------------------------
    def refresh(self, topics: frozenset[Topic]) -> None:
        """The change notice: each loaded section shows what changed."""
        if self._w.closing:
            return
        if Topic.USERS in topics:
            self.reload_events(networks=True)
        elif topics & {Topic.EVENTS, Topic.CHECK}:  # a check: the "In CleverTap" column
            self.reload_events()
        elif Topic.ROWS in topics:
            self.refresh_event_rows()
        if topics & changes.OVERVIEW:
            self.refresh_overview()
        if Topic.RUNS in topics:
            self.refresh_history()

    def refresh_overview(self) -> None:
        if OVERVIEW in self._loaded:
            self._built[OVERVIEW].refresh()  # type: ignore[attr-defined]

    def refresh_history(self) -> None:
        if HISTORY in self._loaded:
            self._built[HISTORY].refresh()  # type: ignore[attr-defined]

    def reload_events(self, *, networks: bool = False) -> None:
        if EVENTS in self._loaded:
            events: Any = self._built[EVENTS]
            if networks:
                events.reload_networks()
            events.model.reload()

    def refresh_event_rows(self) -> None:
        if EVENTS in self._loaded:
            self._built[EVENTS].refresh_rows()  # type: ignore[attr-defined]
