"""The first-run checklist: on a database with no account and no data (not the demo),
every section shows what to do next, as three steps, each a link to where it is done
and ticked once done (`setup_state`). It hides itself when all three are done."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from lr_desktop.gui.changes import SETUP, Topic

if TYPE_CHECKING:  # the core's setup state is read after the first paint
    from lr_desktop.gui.main_window import MainWindow
    from lr_desktop.setup_state import SetupState

STEPS = (
    ("clevertap", "Connect CleverTap", "integrations", "Open Integrations"),
    ("users", "Bring in attributed users", "import", "Import a file…"),
    ("synced", "Sync with CleverTap", "sync", "Sync now"),
)


def read_state(db_path: Path) -> SetupState:
    from lr_desktop.setup_state import setup_state
    from lr_desktop.store import connect

    conn = connect(db_path, readonly=True)  # on the GUI thread: no write, no migration
    try:
        return setup_state(conn)
    finally:
        conn.close()


class FirstRunChecklist(QFrame):
    """Links: "integrations", "linkrunner", "import", "sync" (`link_activated`)."""

    link_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRun")
        self.setProperty("card", True)
        self.state: SetupState | None = None
        self.title = QLabel("<b>Get started</b> — three steps to your installs in CleverTap")
        self.steps: dict[str, QLabel] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 10, 14, 10)
        lay.addWidget(self.title)
        for key, _text, _link, _label in STEPS:
            label = QLabel()
            label.setObjectName(f"step_{key}")
            label.setOpenExternalLinks(False)
            label.linkActivated.connect(self.link_activated)
            self.steps[key] = label
            lay.addWidget(label)
        self.hide()

    def show_state(self, state: SetupState) -> None:
        self.state = state
        done = {"clevertap": state.clevertap, "users": state.users, "synced": state.synced}
        for n, (key, text, link, label) in enumerate(STEPS, start=1):
            mark = "☑" if done[key] else "☐"
            extra = ""
            if key == "users":
                extra = " or <a href='linkrunner'>connect Linkrunner</a>"
            if key == "synced" and not done[key] and state.sync_blocker():
                action = "<span style='color:#6b7280'>(after steps 1 and 2)</span>"
            else:
                action = f"<a href='{link}'>{label}</a>{extra}"
            body = f"<s>{text}</s>" if done[key] else text
            self.steps[key].setText(f"{mark} {n}. {body} — {action}")
            self.steps[key].setProperty("done", done[key])
        self.setVisible(not state.complete)


class FirstRun(QObject):
    """The window's side: the checklist above every section, its links, and the Sync
    button's readiness. The demo has neither (it is set up already)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._checklist: FirstRunChecklist | None = None  # built when the state is read
        self.state: SetupState | None = None
        window.runner.changed.connect(self._data_changed)

    @property
    def checklist(self) -> FirstRunChecklist:
        """Above every section; built on first use (after the first paint: it starts hidden,
        and its rich-text labels cost the paint ~10 ms)."""
        if self._checklist is None:
            self._checklist = FirstRunChecklist()
            self._checklist.link_activated.connect(self._follow)
            central = self._window.centralWidget()
            assert central is not None
            layout = central.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(0, self._checklist)
        return self._checklist

    def _data_changed(self, topics: frozenset[Topic]) -> None:
        if topics & SETUP:
            self.refresh()

    def refresh(self) -> None:
        """Read the steps done (a few indexed lookups) and show them."""
        w = self._window
        if w.source.is_demo or w.closing:
            return
        self.state = read_state(w.db_path)
        if self._checklist is not None or not self.state.complete:
            self.checklist.show_state(self.state)
        w.sync_panel.set_blocked(self.state.sync_blocker())

    def _follow(self, link: str) -> None:
        from lr_desktop.gui.main_window import INTEGRATIONS

        w = self._window
        if link == "integrations":
            w.show_section(INTEGRATIONS)
            w.integrations.project_id.setFocus()
        elif link == "linkrunner":
            w.show_section(INTEGRATIONS)
            w.linkrunner.key.setFocus()
        elif link == "import":
            w.import_action.trigger()
        elif link == "sync":
            w.sync_action.trigger()
