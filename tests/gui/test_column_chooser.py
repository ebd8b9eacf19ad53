"""The events table: delivery status next to the user ID, a column chooser, and widths,
order and hidden columns remembered by the next window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from lr_desktop.gui.column_chooser import SETTINGS_KEY
from lr_desktop.gui.main_window import ORGANIZATION
from lr_desktop.store.reads import COLUMNS

KEYS = [c.key for c in COLUMNS]


@pytest.fixture(autouse=True)
def _fresh_columns() -> Iterator[None]:
    s = QSettings(ORGANIZATION, "lr-desktop")
    s.remove(SETTINGS_KEY)
    yield
    s.remove(SETTINGS_KEY)
    s.sync()


def _visible_order(header) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        KEYS[header.logicalIndex(v)]
        for v in range(header.count())
        if not header.isSectionHidden(header.logicalIndex(v))
    ]


def test_status_comes_right_after_the_user_id(make_window, sample_db: Path) -> None:  # type: ignore[no-untyped-def]
    header = make_window(sample_db).events.table.horizontalHeader()
    assert _visible_order(header)[:2] == ["user_id", "status"]


def test_chosen_columns_widths_and_order_are_remembered(
    make_window, qtbot, sample_db: Path
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(sample_db)
    view = w.events
    header = view.table.horizontalHeader()
    chooser = view.columns
    menu = chooser.menu()
    texts = [a.text() for a in menu.actions() if a.isCheckable()]
    assert texts == [c.title for c in COLUMNS]
    assert not chooser.actions["user_id"].isEnabled()  # the user ID always shows
    chooser.actions["clevertap_id"].trigger()  # hide it
    assert header.isSectionHidden(KEYS.index("clevertap_id"))
    header.resizeSection(KEYS.index("campaign_name"), 222)
    header.moveSection(header.visualIndex(KEYS.index("platform")), 2)
    order = _visible_order(header)
    menu.deleteLater()
    w.close()

    header2 = make_window(sample_db).events.table.horizontalHeader()
    assert _visible_order(header2) == order
    assert "clevertap_id" not in order and order[2] == "platform"
    assert header2.sectionSize(KEYS.index("campaign_name")) == 222


def test_in_clevertap_comes_third_and_an_older_saved_layout_keeps_its_columns(
    make_window, qtbot, sample_db: Path
) -> None:  # type: ignore[no-untyped-def]
    header = make_window(sample_db).events.table.horizontalHeader()
    assert _visible_order(header)[:3] == ["user_id", "status", "ct_verdict"]
    header.window().close()

    # a layout saved by a version without the column: its widths and order still hold
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QTableView

    old = QTableView()
    old.setModel(QStandardItemModel(0, KEYS.index("ct_verdict")))
    old_header = old.horizontalHeader()
    old_header.setSectionsMovable(True)
    old_header.resizeSection(KEYS.index("campaign_name"), 222)
    old_header.moveSection(old_header.visualIndex(KEYS.index("status")), 1)
    old_header.moveSection(old_header.visualIndex(KEYS.index("platform")), 2)
    QSettings(ORGANIZATION, "lr-desktop").setValue(SETTINGS_KEY, old_header.saveState())
    old.deleteLater()

    header2 = make_window(sample_db).events.table.horizontalHeader()
    order = _visible_order(header2)
    assert order[:3] == ["user_id", "status", "platform"]
    assert header2.sectionSize(KEYS.index("campaign_name")) == 222
    assert "ct_verdict" in order  # shown, after the remembered ones
