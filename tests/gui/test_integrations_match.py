"""Integrations -> CleverTap: the attribution-mode match tolerance (how close CleverTap's
"UTM Visited" time must be to the install time) is a setting, and the form says that
CleverTap's timestamp for it is not confirmed."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from lr_desktop.clevertap.config import load_config
from lr_desktop.store import connect

from .conftest import PASSCODE, PROJECT, TOKEN


def test_match_tolerance_is_a_saved_setting_with_its_caveat(
    make_window, qtbot, db_path: Path, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    view = make_window(db_path).integrations
    assert view.match_seconds.value() == 60 and not view.match_seconds.isEnabled()
    assert "not confirmed" in view.match_note.text()
    assert view.match_seconds.toolTip() == view.match_note.text()
    view.match_seconds.setValue(90)
    assert view.unsaved.dirty  # the field counts as a change to save
    view.match_seconds.setValue(60)
    assert not view.unsaved.dirty
    view.project_id.setText(PROJECT)
    view.token.setText(TOKEN)
    view.passcode.setText(PASSCODE)
    view.mode.setCurrentIndex(view.mode.findData("attribution"))
    view.partner.setText("acme-partner")
    assert view.match_seconds.isEnabled()
    view.match_seconds.setValue(120)
    with qtbot.waitSignal(view.action_finished, timeout=20_000) as saved:
        view.save()
    assert saved.args == ["save"] and view.result_label.text() == "Saved."
    with closing(connect(db_path)) as conn:
        assert load_config(conn).attribution_match_seconds == 120.0
