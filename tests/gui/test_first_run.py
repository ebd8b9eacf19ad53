"""First run (no account, no data, not the demo): a checklist above every section, each
step a link to where it is done and ticked once done; Sync disabled, saying why, until
it can work; its message links to Integrations and clears once the config is saved."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt

from lr_desktop.gui.main_window import INTEGRATIONS, SECTIONS

from .conftest import PASSCODE, PROJECT, TOKEN


def _steps(w) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: label.text() for k, label in w.first_run.checklist.steps.items()}


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "users.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["user_id", "attribution_type", "platform", "installed_at", "clevertap_id"])
        out.writerow(["u1", "ORGANIC", "android", "2026-11-30T10:00:00Z", "ct-1"])
    return path


def test_the_checklist_guides_a_new_user_step_by_step(
    make_window, qtbot, db_path: Path, tmp_path: Path, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path)
    checklist = w.first_run.checklist
    qtbot.waitUntil(lambda: w.first_run.state is not None)
    for i in range(len(SECTIONS)):  # above every section
        w.show_section(i)
        assert checklist.isVisible()
    steps = _steps(w)
    assert all(t.startswith("☐") for t in steps.values())
    assert "href='integrations'" in steps["clevertap"]
    assert "href='import'" in steps["users"] and "href='linkrunner'" in steps["users"]
    button = w.sync_panel.sync_button
    assert not button.isEnabled() and "Connect CleverTap" in button.toolTip()

    # Sync from the menu says why it cannot, with a link to Integrations
    w.sync_action.trigger()
    assert "Connect CleverTap" in w.sync_panel.label.text()
    assert w.sync_panel.fix_link.isVisibleTo(w)
    w.show_section(0)
    w.sync_panel.fix_link.linkActivated.emit("integrations")
    assert w.stack.currentIndex() == INTEGRATIONS

    # step 1: the link leads to the form; saving ticks it
    checklist.link_activated.emit("integrations")
    view = w.integrations
    view.project_id.setText(PROJECT)
    view.token.setText(TOKEN)
    view.passcode.setText(PASSCODE)
    with qtbot.waitSignal(view.action_finished, timeout=20_000):
        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert _steps(w)["clevertap"].startswith("☑")
    assert not w.sync_panel.fix_link.isVisibleTo(w)  # the message cleared with the save
    assert not button.isEnabled() and "Bring in attributed users" in button.toolTip()

    # step 2: an import ticks it and Sync can work
    w.importer._quiet = True
    with qtbot.waitSignal(w.importer.finished, timeout=30_000):
        w.import_files([_file(tmp_path)])
    assert _steps(w)["users"].startswith("☑")
    assert button.isEnabled() and "href='sync'" in _steps(w)["synced"]
    assert checklist.isVisible()


def test_the_checklist_hides_once_everything_is_done(
    make_window, qtbot, sample_db: Path, emulator
) -> None:  # type: ignore[no-untyped-def]
    from lr_desktop.setup_state import SetupState

    w = make_window(sample_db)
    qtbot.waitUntil(lambda: w.first_run.state is not None)
    w.first_run.checklist.show_state(SetupState(True, True, True))
    assert not w.first_run.checklist.isVisible()


def test_the_demo_has_no_checklist(make_window, qtbot, sample_db: Path, emulator) -> None:  # type: ignore[no-untyped-def]
    from .conftest import emulator_config

    w = make_window(sample_db, emulator_config(emulator))
    qtbot.wait(50)  # the background start ran (nothing to await: the demo shows nothing)
    assert not w.first_run.checklist.isVisible() and w.sync_panel.sync_button.isEnabled()
