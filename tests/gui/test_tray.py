"""Automatic mode as a background app: the tray's state and notifications come from
real runs; close to tray is asked once and Quit from the tray really quits. The
offscreen platform has no system tray: the show/hide decision is tested with the
tray's availability patched."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.gui.tray import CLOSE_TO_TRAY_KEY

from .conftest import emulator_config

HEADER = "user_id,clevertap_id,platform,attribution_type,ad_network,campaign_name,installed_at\n"


def _file(tmp_path: Path, n: int = 5) -> Path:
    rows = [f"u{i},ct-{i},android,INORGANIC,META,c,{1767225600 + i}\n" for i in range(n)]
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _automatic_window(make_window, qtbot, db_path: Path, emulator: CleverTapEmulator, **cfg):  # type: ignore[no-untyped-def]
    w = make_window(db_path, replace(emulator_config(emulator, **cfg), send_automatically=True))
    w.importer._quiet = True
    qtbot.waitUntil(lambda: w.tray.state is not None)  # read once at start: older runs are old
    return w


def test_tray_state_and_rejection_notice_come_from_the_run(
    make_window, qtbot, db_path: Path, tmp_path: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    emulator.settings.reject_object_ids = {"ct-3"}
    w = _automatic_window(make_window, qtbot, db_path, emulator)
    assert w.tray.automatic()
    assert not w.tray.available and w.tray.icon is None  # offscreen: no tray, no icon
    assert "Last send: not yet" in w.tray.tooltip
    with qtbot.waitSignal(w.tray.notified, timeout=60_000) as note:
        assert w.import_files([_file(tmp_path)])
    assert note.args == [
        "Send pending: not all delivered",
        "CleverTap rejected 1 user. See Sync history.",
    ]
    assert w.tray.notifications == [tuple(note.args)]
    tip = w.tray.tooltip
    assert "Last send: " in tip and "4 delivered, 1 rejected" in tip, tip
    assert "Last pull: not yet" in tip
    assert "Failures: 1 user rejected" in tip, tip


def test_a_failed_run_is_notified(
    make_window, qtbot, db_path: Path, tmp_path: Path, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    emulator.faults = Faults(error_rate=1.0)
    w = _automatic_window(make_window, qtbot, db_path, emulator, max_retries=1)
    with qtbot.waitSignal(w.tray.notified, timeout=60_000) as note:
        assert w.import_files([_file(tmp_path, 3)])
    title, message = note.args
    assert title == "Send pending: not all delivered" and "3 events failed" in message
    assert "Failures: 3 users failed" in w.tray.tooltip


def test_close_to_tray_is_asked_once_and_quit_really_quits(
    make_window, qtbot, db_path: Path, emulator: CleverTapEmulator, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    w = _automatic_window(make_window, qtbot, db_path, emulator)
    monkeypatch.setattr(w.tray, "available", True)  # as on a desktop with a tray
    monkeypatch.setattr(w.tray, "_show_icon", lambda: None)  # offscreen cannot show one
    asked: list[bool] = []
    monkeypatch.setattr(w.tray, "ask_close_to_tray", lambda: asked.append(True) or True)
    quits: list[bool] = []
    monkeypatch.setattr(w.tray, "quit_app", lambda: quits.append(True))
    w.close()
    assert not w.isVisible() and not w.closing  # hidden: the automation keeps running
    assert asked == [True] and w._settings().value(CLOSE_TO_TRAY_KEY) == "true"
    monkeypatch.setattr(w, "raise_", lambda: None)  # offscreen: "does not support raise()"
    w.tray.open_window()
    assert w.isVisible()
    w.close()
    assert not w.isVisible() and not w.closing and asked == [True]  # asked once
    w.tray.quit()
    assert w.closing and quits == [True]  # through the window's close path


def test_close_really_closes_without_a_tray_or_automatic_mode(
    make_window, qtbot, db_path: Path, sample_db: Path, emulator: CleverTapEmulator, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    w = _automatic_window(make_window, qtbot, db_path, emulator)
    monkeypatch.setattr(w.tray, "ask_close_to_tray", lambda: pytest_fail("asked"))
    w.close()  # no system tray (offscreen): nothing asked, really closed
    assert w.closing
    manual = make_window(sample_db, emulator_config(emulator))  # automatic mode off
    monkeypatch.setattr(manual.tray, "available", True)
    manual._settings().setValue(CLOSE_TO_TRAY_KEY, "true")
    assert not manual.tray.automatic()
    manual.close()
    assert manual.closing


def pytest_fail(why: str) -> bool:
    raise AssertionError(why)
