"""Integrations -> CleverTap: where the delivery mode is chosen, the form says how each
mode lands in CleverTap, that the partner name must be whitelisted (and has no default),
and that POST for attribution has no public source."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from lr_desktop.clevertap.config import load_config
from lr_desktop.store import connect

from .conftest import PASSCODE, PROJECT, TOKEN


def _attribution_form(view) -> None:  # type: ignore[no-untyped-def]
    view.project_id.setText(PROJECT)
    view.token.setText(TOKEN)
    view.passcode.setText(PASSCODE)
    view.mode.setCurrentIndex(view.mode.findData("attribution"))


def test_the_form_says_how_each_mode_lands_in_clevertap(make_window, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = make_window(db_path).integrations
    assert view.mode.currentData() == "upload"
    assert "custom event" in view.mode_note.text()
    view.mode.setCurrentIndex(view.mode.findData("attribution"))
    note = view.mode_note.text()
    assert "“UTM Visited”" in note and "Settings > Partners" in note and "segments" in note
    assert "whitelisted this partner name" in view.partner_note.text()
    assert view.method.isEnabled()
    labels = [view.method.itemText(i) for i in range(view.method.count())]
    assert labels[view.method.findData("POST")] == "POST (no public source)"


def test_partner_name_has_no_unseen_default(
    make_window, qtbot, db_path: Path, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    view = make_window(db_path).integrations
    assert view.partner.text() == ""  # a fresh form carries no partner name
    _attribution_form(view)
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert "whitelisted for your account" in view.problems_label.text()
    assert memory_keyring.store == {}  # not saved
    view.partner.setText("acme-partner")
    view.method.setCurrentIndex(view.method.findData("POST"))
    with qtbot.waitSignal(view.action_finished, timeout=20_000):
        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert view.result_label.text() == "Saved."
    conn = connect(db_path)
    cfg = load_config(conn)
    conn.close()
    assert (cfg.mode, cfg.partner_name, cfg.attribution_method) == (
        "attribution",
        "acme-partner",
        "POST",
    )
