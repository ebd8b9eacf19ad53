"""Integrations forms behave like settings forms: Return saves, unsaved edits are marked
and not dropped silently on quit, the pull interval reads as a person says it, and
LR_CLEVERTAP_* variables in force are shown as such."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from lr_desktop.gui.interval_box import describe, parse
from lr_desktop.gui.main_window import INTEGRATIONS

from .conftest import PASSCODE, PROJECT, TOKEN


def _fill(view) -> None:  # type: ignore[no-untyped-def]
    view.project_id.setText(PROJECT)
    view.token.setText(TOKEN)
    view.passcode.setText(PASSCODE)


def test_return_saves_and_the_unsaved_marker_follows_the_edits(
    make_window, qtbot, db_path: Path, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path)
    w.show_section(INTEGRATIONS)
    view = w.integrations
    assert not view.unsaved.dirty and view.unsaved_label.isHidden()
    _fill(view)
    assert view.unsaved.dirty and not view.unsaved_label.isHidden()
    assert "Unsaved" in view.unsaved_label.text()
    with qtbot.waitSignal(view.action_finished, timeout=20_000) as done:
        qtbot.keyClick(view.passcode, Qt.Key.Key_Return)
    assert done.args == ["save"] and view.result_label.text() == "Saved."
    assert not view.unsaved.dirty and view.unsaved_label.isHidden()
    view.organic_event.setText(view.organic_event.text() + "x")
    assert view.unsaved.dirty
    view.organic_event.setText(view.organic_event.text()[:-1])  # typed back: nothing changed
    assert not view.unsaved.dirty


def test_quitting_with_unsaved_edits_asks_first(
    make_window, qtbot, db_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path)
    w.show_section(0)
    asked: list[list[str]] = []
    monkeypatch.setattr(w, "confirm_discard_edits", lambda boxes: asked.append(boxes) or False)
    w.integrations.project_id.setText(PROJECT)
    w.linkrunner.key.setText("lr-key")
    assert not w.close()
    assert asked == [["CleverTap", "Linkrunner"]]
    assert w.isVisible() and w.stack.currentIndex() == INTEGRATIONS
    monkeypatch.setattr(w, "confirm_discard_edits", lambda boxes: asked.append(boxes) or True)
    assert w.close()


def test_the_pull_interval_reads_in_seconds_minutes_or_hours(
    make_window, qtbot, db_path: Path
) -> None:  # type: ignore[no-untyped-def]
    box = make_window(db_path).linkrunner.interval
    box.setValue(0.25)
    assert box.text() == "15 s"
    box.stepBy(1)
    assert box.text() == "30 s"
    box.setValue(5)
    assert box.text() == "5 min"
    box.setValue(120)
    assert box.text() == "2 h"
    assert [parse(t) for t in ("15 s", "5 min", "2 h", "10")] == [0.25, 5, 120, 10]
    assert describe(1.5) == "1 min 30 s"


def test_environment_overrides_in_force_are_shown(
    make_window, qtbot, db_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LR_CLEVERTAP_PROJECT_ID", "ENV-PROJECT-1")
    monkeypatch.setenv("LR_CLEVERTAP_PASSCODE", "env-secret-passcode")
    view = make_window(db_path).integrations
    text = view.env_label.text()
    assert not view.env_label.isHidden()
    assert "LR_CLEVERTAP_PROJECT_ID = ENV-PROJECT-1" in text and "LR_CLEVERTAP_PASSCODE" in text
    assert "env-secret-passcode" not in text
    assert view.passcode.text() == "" and "LR_CLEVERTAP_PASSCODE" in view.passcode.placeholderText()
