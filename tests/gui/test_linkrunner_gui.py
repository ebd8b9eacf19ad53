"""Integrations -> Linkrunner and the automatic pull, in the real window: the key only in
the keyring, the connection test, the ID mapping import, attributions pulled and
delivered without a click, closing mid-pull, and the demo's trickle of arrivals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings, Qt

from lr_desktop import secrets
from lr_desktop.clevertap.config import save_config
from lr_desktop.clevertap.credentials import save_secrets
from lr_desktop.demo import DemoSession
from lr_desktop.emulators.clevertap import DEMO_ACCOUNT, CleverTapEmulator
from lr_desktop.emulators.linkrunner import LinkrunnerEmulator
from lr_desktop.gui.main_window import ORGANIZATION
from lr_desktop.linkrunner.settings import load_settings, save_api_key, update_settings
from lr_desktop.store import connect, transaction

from .conftest import PROJECT, emulator_config, fill_sample

KEY = "lr-gui-key-M7q"
KEYRING_ENTRY = (secrets.SERVICE, secrets.LINKRUNNER_API_KEY)


@pytest.fixture
def lr_emu() -> Iterator[LinkrunnerEmulator]:
    with LinkrunnerEmulator(KEY, seed=5, users=30, rate_limit=None, one_campaign=True) as emu:
        yield emu


def _configure(db_path: Path, *, lr_url: str, auto: bool = False, **lr: object) -> None:
    conn = connect(db_path)
    try:
        with transaction(conn):
            update_settings(conn, base_url=lr_url, auto_pull=auto, **lr)
    finally:
        conn.close()


def _configure_clevertap(
    db_path: Path, ct: CleverTapEmulator, *, send_automatically: bool = True
) -> None:
    """CleverTap as a user stores it: settings in the database, secrets in the keyring."""
    cfg = emulator_config(ct, send_automatically=send_automatically, batch_size=20)
    conn = connect(db_path)
    try:
        with transaction(conn):
            save_config(conn, cfg)
    finally:
        conn.close()
    save_secrets(PROJECT, cfg.secrets)


def _settings_rows(db_path: Path) -> str:
    conn = connect(db_path)
    try:
        return str(conn.execute("SELECT key, value FROM settings").fetchall())
    finally:
        conn.close()


def _form(make_window, qtbot, db_path: Path, config=None):  # type: ignore[no-untyped-def]
    w = make_window(db_path, config)
    qtbot.waitUntil(lambda: w.linkrunner.loaded_once)
    return w, w.linkrunner


def test_key_lives_only_in_the_keyring_and_can_be_removed(
    make_window, qtbot, db_path: Path, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    w, form = _form(make_window, qtbot, db_path)
    assert form.key.echoMode() == form.key.EchoMode.Password
    form.key.reveal.trigger()
    assert form.key.echoMode() == form.key.EchoMode.Normal
    assert "Memory keyring (tests)" in form.backend_label.text()

    form.key.setText(f"  {KEY} ")
    form.interval.setValue(5)
    form.auto_pull.setChecked(True)
    with qtbot.waitSignal(form.action_finished, timeout=10_000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.result_label.text() == "Saved."
    assert memory_keyring.store == {KEYRING_ENTRY: KEY}
    assert KEY not in _settings_rows(db_path)
    conn = connect(db_path)
    assert load_settings(conn).pull_interval_minutes == 5
    conn.close()
    assert w.autopull.enabled and w.autopull.timer.isActive()
    assert w.autopull.timer.interval() == 5 * 60_000
    assert "every 5 min" in form.last_pull_label.text()
    w.close()
    settings_file = Path(QSettings(ORGANIZATION, "lr-desktop").fileName())
    assert KEY not in settings_file.read_text(errors="replace")

    w2, form2 = _form(make_window, qtbot, db_path)
    assert form2.key.text() == KEY and form2.auto_pull.isChecked()
    with qtbot.waitSignal(form2.action_finished, timeout=10_000):
        form2.remove(confirm=False)
    assert memory_keyring.store == {}
    assert form2.key.text() == ""
    assert "removed" in form2.result_label.text()


def test_no_keyring_saves_nothing_and_says_so(make_window, qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    keyring.set_keyring(fail.Keyring())
    _w, form = _form(make_window, qtbot, db_path)
    assert "No system keyring" in form.backend_label.text()
    form.key.setText(KEY)
    form.interval.setValue(3)
    with qtbot.waitSignal(form.action_finished, timeout=10_000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.result_label.text().startswith("Nothing was saved.")
    assert "gnome-keyring" in form.result_label.text()
    conn = connect(db_path)
    assert load_settings(conn).pull_interval_minutes == 15  # the settings were not saved
    conn.close()
    assert KEY not in _settings_rows(db_path)


def test_connection_test_with_a_good_and_a_bad_key(
    make_window, qtbot, db_path: Path, lr_emu: LinkrunnerEmulator, memory_keyring
) -> None:  # type: ignore[no-untyped-def]
    _configure(db_path, lr_url=lr_emu.url)
    _w, form = _form(make_window, qtbot, db_path)
    assert lr_emu.url in form.backend_label.text()
    form.key.setText(KEY)
    with qtbot.waitSignal(form.test_finished, timeout=10_000) as ok:
        qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
        assert not form.test_button.isEnabled()
    assert ok.args == [True]
    assert form.result_label.text() == "✔ Linkrunner accepted the key. It lists 6 campaigns."

    bad = "not-the-key-X1"
    form.key.setText(bad)
    with qtbot.waitSignal(form.test_finished, timeout=10_000) as ok:
        qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
    assert ok.args == [False]
    text = form.result_label.text()
    assert text.startswith("✘ Linkrunner did not accept this API key") and bad not in text
    assert memory_keyring.store == {}  # a test saves nothing


def test_id_mapping_import_from_the_window(
    make_window, qtbot, db_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    fill_sample(db_path, 200)
    conn = connect(db_path)
    waiting = [
        r[0] for r in conn.execute("SELECT user_id FROM installs WHERE status = 'waiting_id'")
    ]
    known = conn.execute(
        "SELECT user_id, clevertap_id FROM installs WHERE clevertap_id IS NOT NULL LIMIT 1"
    ).fetchone()
    conn.close()
    assert len(waiting) >= 2
    csv = tmp_path / "ids.csv"
    csv.write_text(
        "user_id,clevertap_id\n"
        f"{waiting[0]},__mapped-1\n"  # row 2: matched
        f"{known[0]},{known[1]}\n"  # row 3: unchanged
        "nobody-here,__x\n"  # row 4: unknown
        f"{waiting[1]},\n",  # row 5: rejected
        encoding="utf-8",
    )
    w, form = _form(make_window, qtbot, db_path)
    with qtbot.waitSignal(form.mapping_finished, timeout=10_000) as done:
        assert form.import_mapping(csv)
    report = done.args[0]
    assert (report.matched, report.unchanged, report.unknown, report.rejected) == (1, 1, 1, 1)
    text = form.mapping_label.text()
    assert "1 matched, 1 unchanged, 1 unknown user ID, 1 rejected" in text
    assert "row 5: CleverTap ID is missing" in text
    conn = connect(db_path)
    status = conn.execute(
        "SELECT status, clevertap_id FROM installs WHERE user_id = ?", (waiting[0],)
    ).fetchone()
    conn.close()
    assert status == ("queued", "__mapped-1")
    assert "got a CleverTap ID" in w.status_label.text()

    broken = tmp_path / "broken.csv"
    broken.write_text("a,b\n1,2\n", encoding="utf-8")
    with qtbot.waitSignal(form.mapping_finished, timeout=10_000):
        assert form.import_mapping(broken)
    assert form.mapping_label.text().startswith("Nothing was changed.")


def test_new_attributions_are_pulled_and_delivered_without_a_click(
    make_window,
    qtbot,
    db_path: Path,
    emulator: CleverTapEmulator,
    lr_emu: LinkrunnerEmulator,
) -> None:  # type: ignore[no-untyped-def]
    _configure_clevertap(db_path, emulator)
    save_api_key(KEY)
    _configure(db_path, lr_url=lr_emu.url, auto=True, pull_interval_minutes=0.005)  # 300 ms
    w, _form_ = _form(make_window, qtbot, db_path)
    assert w.autopull.enabled

    def delivered_all() -> bool:
        with_id = {u["user_data"]["clevertap_id"] for u in lr_emu.users()}
        with_id.discard(None)
        sent = [e["objectId"] for e in emulator.events(account=PROJECT)]
        return set(sent) == with_id and len(sent) == len(with_id)

    qtbot.waitUntil(lambda: delivered_all() and w.events.model.rowCount() == 30, timeout=20_000)
    lr_emu.add_users(12)  # attributed in Linkrunner while the window is open
    qtbot.waitUntil(lambda: delivered_all() and w.events.model.rowCount() == 42, timeout=20_000)
    w.autopull.configure(False, 0.005)  # no more rounds: the window closes with nothing running
    qtbot.waitUntil(lambda: not w.sync_panel.running and not w.autopull.running, timeout=10_000)

    conn = connect(db_path)
    statuses = dict(conn.execute("SELECT status, count(*) FROM installs GROUP BY status"))
    kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM runs")}
    conn.close()
    n_with_id = sum(1 for u in lr_emu.users() if u["user_data"]["clevertap_id"])
    assert statuses == {"delivered": n_with_id, "waiting_id": 42 - n_with_id}
    assert {"pull", "send"} <= kinds
    w.history.refresh()
    kinds_shown = {w.history.model.index(r, 3).data() for r in range(w.history.model.rowCount())}
    assert "Linkrunner pull" in kinds_shown
    assert "Linkrunner" in w.status_label.text() or "Send finished" in w.status_label.text()


def test_closing_the_window_during_a_pull_stops_it_cleanly(
    make_window, qtbot, db_path: Path, lr_emu: LinkrunnerEmulator
) -> None:  # type: ignore[no-untyped-def]
    """Linkrunner holds page 2 (all 30 users are in one campaign); closing cancels the pull and ends that request at once
    (tests/test_linkrunner_pull.py bounds how soon); page 1 stays, page 2 comes next time."""
    save_api_key(KEY)
    _configure(db_path, lr_url=lr_emu.url, page_size=5)  # 30 users: 6 pages
    w, _form_ = _form(make_window, qtbot, db_path)
    hold = lr_emu.hold(page=2)
    with qtbot.waitSignal(w.autopull.started, timeout=5_000):
        qtbot.mouseClick(w.linkrunner.pull_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(hold.reached.is_set, timeout=10_000)
    assert w.autopull.running
    try:
        w.close()  # waits for the worker thread
        qtbot.waitUntil(lambda: not w.runner.running(), timeout=10_000)
    finally:
        hold.release()
    conn = connect(db_path)
    state, total = conn.execute(
        "SELECT state, total FROM runs WHERE kind = 'pull' ORDER BY id DESC"
    ).fetchone()
    users = conn.execute("SELECT count(*) FROM installs").fetchone()[0]
    conn.close()
    assert state == "cancelled" and total == 5 and users == 5


def test_demo_shows_new_attributions_arriving_and_delivered(
    make_window, qtbot, memory_keyring, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with DemoSession(
        users=60,
        latency=0.0,
        pull_interval_seconds=0.3,
        trickle_users=2,
        trickle_every=0.2,
        automatic=True,
    ) as demo:
        assert demo.linkrunner is not None and demo.emulator is not None
        lr, ct = demo.linkrunner, demo.emulator
        w, form = _form(make_window, qtbot, demo.db_path, demo.config)
        assert "memory only" in form.backend_label.text() and not form.demo_label.isHidden()
        assert form.key.text() == demo.linkrunner_key and form.auto_pull.isChecked()

        def lr_delivered() -> int:
            ids = {u["user_data"]["clevertap_id"] for u in lr.users()}
            return sum(1 for e in ct.events(account=DEMO_ACCOUNT[0]) if e["objectId"] in ids)

        qtbot.waitUntil(
            lambda: lr_delivered() >= 4 and w.events.model.rowCount() > 60, timeout=20_000
        )
        monkeypatch.setattr(w, "confirm_close_during_sync", lambda: True)
        w.close()  # an automatic send may be running: it stops, and so does the next pull
    assert memory_keyring.store == {}  # the demo key never reaches the keyring
    assert not demo.directory.exists()


def test_auto_pull_waits_for_a_running_sync(
    make_window, qtbot, db_path: Path, lr_emu: LinkrunnerEmulator, emulator: CleverTapEmulator
) -> None:  # type: ignore[no-untyped-def]
    _configure_clevertap(db_path, emulator, send_automatically=False)
    save_api_key(KEY)
    _configure(db_path, lr_url=lr_emu.url)
    fill_sample(db_path, 50)
    w, _form_ = _form(make_window, qtbot, db_path)
    assert w.sync_panel.start()
    w.autopull.enabled = True
    w.autopull.tick()  # the timer's slot while a sync runs: held back, not overlapping
    assert not w.autopull.running
    with qtbot.waitSignal(w.autopull.finished, timeout=20_000) as done:
        pass  # the sync ends, then the held-back round runs
    assert w.sync_panel.last_summary is not None and w.sync_panel.last_summary.delivered > 0
    assert done.args[0].report is not None and done.args[0].report.imported == 30
    assert not w.sync_panel.running  # "Send automatically" is off: nothing was sent after it
