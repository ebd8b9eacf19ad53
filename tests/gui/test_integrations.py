"""Integrations -> CleverTap: validation, keyring, test connection, remove."""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings, Qt

from lr_desktop import secrets
from lr_desktop.clevertap.config import load_config
from lr_desktop.clevertap.credentials import delete_secrets, load_secrets
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.gui.main_window import ORGANIZATION
from lr_desktop.store import connect

from .conftest import PASSCODE, PROJECT, TOKEN


def _fill(view, *, project: str = PROJECT, passcode: str = PASSCODE, region: str = "IN") -> None:  # type: ignore[no-untyped-def]
    view.project_id.setText(project)
    view.token.setText(TOKEN)
    view.passcode.setText(passcode)
    view.region.setCurrentIndex(view.region.findData(region))
    view.send_automatically.setChecked(True)


def _save(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.action_finished, timeout=20_000):
        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)


def test_regions_show_their_hosts_and_secrets_are_masked(make_window, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = make_window(db_path).integrations
    texts = [view.region.itemText(i) for i in range(view.region.count())]
    assert len(texts) == 7
    assert any("IN" in t and "in1.api.clevertap.com" in t for t in texts)
    assert any("UAE" in t and "mec1.api.clevertap.com" in t for t in texts)
    assert view.passcode.echoMode() == view.passcode.EchoMode.Password
    view.passcode.reveal.trigger()
    assert view.passcode.echoMode() == view.passcode.EchoMode.Normal


def test_invalid_form_is_not_saved(make_window, qtbot, db_path: Path, memory_keyring) -> None:  # type: ignore[no-untyped-def]
    view = make_window(db_path).integrations
    _fill(view, project="bad id!", passcode="")
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert not view.problems_label.isHidden()
    text = view.problems_label.text()
    assert "Project ID looks wrong" in text and "Passcode is missing" in text
    assert memory_keyring.store == {}
    conn = connect(db_path)
    assert load_config(conn).project_id == ""
    conn.close()


def test_save_puts_secrets_in_keyring_and_settings_in_db(
    make_window, qtbot, db_path: Path, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path)
    view = w.integrations
    _fill(view)
    _save(qtbot, view)
    assert view.result_label.text() == "Saved."
    assert "Memory keyring (tests)" in view.backend_label.text()
    assert load_secrets(PROJECT).passcode == PASSCODE
    conn = connect(db_path)
    cfg = load_config(conn)
    raw = conn.execute("SELECT value FROM settings").fetchall()
    conn.close()
    assert cfg.project_id == PROJECT and cfg.region == "IN" and cfg.send_automatically
    assert PASSCODE not in str(raw) and TOKEN not in str(raw)
    w.close()
    settings_file = Path(QSettings(ORGANIZATION, "lr-desktop").fileName())
    assert settings_file.exists() and PASSCODE not in settings_file.read_text(errors="replace")

    # a new window shows what was saved
    w2 = make_window(db_path)
    assert w2.integrations.project_id.text() == PROJECT
    assert w2.integrations.passcode.text() == PASSCODE
    assert w2.integrations.region.currentData() == "IN"

    with qtbot.waitSignal(w2.integrations.action_finished, timeout=20_000):
        w2.integrations.remove(confirm=False)
    assert load_secrets(PROJECT).passcode is None
    conn = connect(db_path)
    assert load_config(conn).project_id == ""
    conn.close()


def test_no_keyring_saves_nothing_and_says_what_to_install(
    make_window, qtbot, db_path: Path
) -> None:  # type: ignore[no-untyped-def]
    keyring.set_keyring(fail.Keyring())
    w = make_window(db_path)
    view = w.integrations
    assert "No system keyring" in view.backend_label.text()
    _fill(view)
    _save(qtbot, view)
    assert "Nothing was saved" in view.result_label.text()
    assert "gnome-keyring" in view.result_label.text()
    conn = connect(db_path)
    assert load_config(conn).project_id == ""
    conn.close()


def test_connection_test_runs_in_a_worker(
    make_window, qtbot, db_path: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    from .conftest import emulator_config

    w = make_window(db_path, emulator_config(emulator))  # endpoint points at the emulator
    view = w.integrations
    with qtbot.waitSignal(view.test_finished, timeout=20_000) as blocker:
        qtbot.mouseClick(view.test_button, Qt.MouseButton.LeftButton)
        assert not view.test_button.isEnabled()  # the window stays responsive meanwhile
    assert blocker.args[0].ok
    assert view.result_label.text().startswith("✔")
    view.passcode.setText("wrong")
    with qtbot.waitSignal(view.test_finished, timeout=20_000) as blocker:
        qtbot.mouseClick(view.test_button, Qt.MouseButton.LeftButton)
    assert not blocker.args[0].ok
    assert "credentials or region wrong" in view.result_label.text()


def test_connection_test_on_a_host_that_answers_200_empty_cannot_verify(
    make_window, qtbot, db_path: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    """CleverTap's hosts answer 200, empty, on arbitrary paths: that is no "Connected"."""
    from dataclasses import replace

    from lr_desktop.emulators.httpserver import HttpServer, Response

    from .conftest import emulator_config

    async def empty(_req: object) -> Response:
        return Response(200, b"")

    with HttpServer(empty, "127.0.0.1", 0) as host:
        w = make_window(db_path, replace(emulator_config(emulator), endpoint=host.url))
        view = w.integrations
        with qtbot.waitSignal(view.test_finished, timeout=20_000) as blocker:
            qtbot.mouseClick(view.test_button, Qt.MouseButton.LeftButton)
    assert not blocker.args[0].ok and blocker.args[0].outcome == "unverified"
    text = view.result_label.text()
    assert text.startswith("⚠ Could not verify") and "HTTP 200 with an empty body" in text


@pytest.mark.real_keyring
@pytest.mark.skipif(
    os.environ.get("LR_REAL_KEYRING") != "1", reason="needs LR_REAL_KEYRING=1 and a Secret Service"
)
def test_save_with_the_real_os_keyring(make_window, qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = "GUI-REAL-KR-1"
    try:
        w = make_window(db_path)
        view = w.integrations
        _fill(view, project=project)
        _save(qtbot, view)
        assert view.result_label.text() == "Saved.", view.result_label.text()
        assert secrets.backend_name() in view.backend_label.text()
        assert load_secrets(project).passcode == PASSCODE
    finally:
        delete_secrets(project)
