"""Start-up builds only the section the window opens on; the others are built, and load
their data, on first visit. The database, the first section's data and the automatic
pull's settings come right after the first paint. Each must be correct when first used."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from lr_desktop.gui.main_window import (
    EVENTS,
    HISTORY,
    INTEGRATIONS,
    ORGANIZATION,
    OVERVIEW,
    SECTIONS,
)
from lr_desktop.gui.views.events import EventsView
from lr_desktop.gui.views.overview import OverviewView
from lr_desktop.importer import import_files
from lr_desktop.linkrunner.settings import update_settings
from lr_desktop.store import connect, transaction
from lr_desktop.store.schema import SCHEMA_VERSION

from .conftest import fill_sample

UNBUILT = (EVENTS, INTEGRATIONS, HISTORY)


@pytest.fixture
def opens_on():  # type: ignore[no-untyped-def]
    """The section a new window opens on (the one saved when the last window closed)."""

    def save(index: int) -> None:
        s = QSettings(ORGANIZATION, "lr-desktop")
        s.setValue("window/section", index)
        s.sync()

    save(OVERVIEW)
    return save


def _menu_texts(w, title: str) -> list[str]:  # type: ignore[no-untyped-def]
    menu = next(a.menu() for a in w.menuBar().actions() if a.text() == title)
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def _menu_actions(w, title: str) -> list[QAction]:  # type: ignore[no-untyped-def]
    menu = next(a.menu() for a in w.menuBar().actions() if a.text() == title)
    return list(menu.actions())


def _imported_run(db_path: Path, tmp_path: Path) -> None:
    csv = tmp_path / "users.csv"
    csv.write_text(
        "user_id,clevertap_id,platform,attribution_type,installed_at\n"
        "imp-1,__ct-imp-1,android,ORGANIC,1767225600\n",
        encoding="utf-8",
    )
    assert import_files(db_path, [csv]).imported == 1


def test_sections_are_built_on_first_visit_with_their_content(
    make_window, qtbot, sample_db: Path, tmp_path: Path, opens_on
) -> None:  # type: ignore[no-untyped-def]
    _imported_run(sample_db, tmp_path)  # 401 users, one run in the history
    w = make_window(sample_db, settle=False)
    assert w.section_built(OVERVIEW)
    assert not any(w.section_built(i) for i in UNBUILT)
    overview = w.stack.currentWidget()  # (reading w.overview would load it now)
    assert isinstance(overview, OverviewView)
    assert overview.findChild(QWidget, "overviewCharts") is None  # they come after the paint

    # the Overview gets its charts and numbers once the window is up
    qtbot.waitUntil(lambda: overview.stats is not None, timeout=10_000)
    assert overview is w.overview
    assert overview.cards["attributed"].value.text() == "401"
    charts = overview.findChild(QWidget, "overviewCharts")
    assert charts is not None and charts.isVisible()
    assert overview.status_chart.series() and overview.per_day_chart.series()
    assert not any(w.section_built(i) for i in UNBUILT)  # nothing else was built meanwhile

    w.show_section(EVENTS)
    assert w.section_built(EVENTS) and w.stack.currentWidget() is w.events
    qtbot.waitUntil(lambda: w.events.count_label.text() == "401 users", timeout=10_000)
    assert w.events.network_combo.count() > 1  # the ad networks were read
    assert w.events.model.rowCount() == 401

    w.show_section(INTEGRATIONS)
    assert w.stack.currentWidget() is w.integrations
    qtbot.waitUntil(lambda: w.integrations.loaded_once and w.linkrunner.loaded_once)
    assert "Memory keyring (tests)" in w.integrations.backend_label.text()
    assert "Memory keyring (tests)" in w.linkrunner.backend_label.text()
    assert w.linkrunner.parent() is not None and w.linkrunner.isVisible()

    w.show_section(HISTORY)
    assert w.stack.currentWidget() is w.history
    assert w.history.model.rowCount() == 1
    assert w.history.model.index(0, 3).data() == "File import"
    assert [w.stack.widget(i) for i in range(len(SECTIONS))] == [
        w.overview,
        w.events,
        w.integrations,
        w.history,
    ]


def test_menus_work_before_install_events_is_built(
    make_window, qtbot, sample_db: Path, opens_on
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(sample_db, settle=False)
    expected_file = [
        "&Import attribution files…",
        "Export filtered rows as CSV…",
        "Save import &template…",
        "&Quit",
    ]
    expected_edit = ["&Find…", "Retry selected", "Copy CleverTap ID"]
    assert _menu_texts(w, "&File") == expected_file
    assert _menu_texts(w, "&Edit") == expected_edit
    assert not w.section_built(EVENTS)

    copy = next(a for a in _menu_actions(w, "&Edit") if a.text() == "Copy CleverTap ID")
    copy.trigger()  # builds the section; with nothing selected nothing is copied
    assert w.section_built(EVENTS)
    # the view's own actions (shared with the table's context menu) took their places
    assert _menu_texts(w, "&File") == expected_file
    assert _menu_texts(w, "&Edit") == expected_edit
    edit = _menu_actions(w, "&Edit")
    assert w.events.retry_action in edit and w.events.copy_action in edit
    assert w.export_action is w.events.export_action
    assert w.export_action in _menu_actions(w, "&File")

    w.find_action.trigger()
    assert w.stack.currentWidget() is w.events
    qtbot.waitUntil(lambda: w.events.count_label.text() == "400 users", timeout=10_000)


def test_opens_on_the_saved_section(
    make_window, qtbot, sample_db: Path, tmp_path: Path, opens_on
) -> None:  # type: ignore[no-untyped-def]
    _imported_run(sample_db, tmp_path)
    opens_on(HISTORY)
    w = make_window(sample_db, settle=False)
    assert w.sidebar.currentRow() == HISTORY and w.stack.currentWidget() is w.history
    qtbot.waitUntil(lambda: w.history.model.rowCount() == 1)  # loaded after the first paint
    assert not w.section_built(OVERVIEW)
    w.show_section(OVERVIEW)  # built and loaded now
    qtbot.waitUntil(lambda: w.overview.stats is not None, timeout=10_000)
    assert w.overview.cards["attributed"].value.text() == "401"


def test_a_new_database_is_created_after_the_first_paint(
    make_window, qtbot, db_path: Path, opens_on
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path, settle=False)
    assert not db_path.exists()  # nothing touched the database before the window was painted
    overview = w.stack.currentWidget()
    assert isinstance(overview, OverviewView)
    qtbot.waitUntil(lambda: overview.stats is not None, timeout=10_000)
    assert overview.cards["attributed"].value.text() == "0"
    conn = connect(db_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def test_automatic_pull_starts_without_visiting_integrations(
    make_window, qtbot, db_path: Path, opens_on
) -> None:  # type: ignore[no-untyped-def]
    fill_sample(db_path, 10)
    conn = connect(db_path)
    try:
        with transaction(conn):
            update_settings(conn, pull_interval_minutes=7, auto_pull=True)
    finally:
        conn.close()
    w = make_window(db_path, settle=False)

    def timer() -> QTimer | None:
        return w.findChild(QTimer, "linkrunnerAutoPull")

    qtbot.waitUntil(lambda: timer() is not None and timer().isActive(), timeout=10_000)
    assert timer().interval() == 7 * 60_000
    assert w.autopull.enabled
    assert not w.section_built(INTEGRATIONS)
    # the form shows the same settings when it is first opened
    w.show_section(INTEGRATIONS)
    qtbot.waitUntil(lambda: w.linkrunner.loaded_once)
    assert w.linkrunner.auto_pull.isChecked() and w.linkrunner.interval.value() == 7
    assert w.linkrunner.pull_button.isEnabled()


@pytest.mark.parametrize("existing", [True, False], ids=["existing-db", "new-db"])
def test_opens_on_install_events(
    make_window, qtbot, db_path: Path, opens_on, existing: bool
) -> None:  # type: ignore[no-untyped-def]
    if existing:
        fill_sample(db_path, 30)
    opens_on(EVENTS)
    w = make_window(db_path, settle=False)
    events = w.stack.currentWidget()
    assert isinstance(events, EventsView) and not w.section_built(OVERVIEW)
    want = f"{30 if existing else 0} users"
    qtbot.waitUntil(lambda: events.count_label.text() == want, timeout=10_000)
    assert events.model.rowCount() == (30 if existing else 0)
    assert [a for a in _menu_actions(w, "&Edit") if a is events.retry_action]
