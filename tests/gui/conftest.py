"""GUI fixtures: the real window on a fresh database, the CleverTap emulator, and a
teardown that cancels background work and waits for every thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from lr_desktop.clevertap.config import CleverTapConfig, Secrets
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.sampledata import generate
from lr_desktop.store import connect, transaction
from lr_desktop.store.queue import upsert_attributions

PROJECT, PASSCODE, TOKEN = "GUI-TEST-1", "gui-passcode-Q7x", "gui-token-Z9k"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform plugin warns about window hints it cannot honour.
    for item in items:
        if "tests/gui" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore("propagateSizeHints"))


@pytest.fixture
def emulator() -> Iterator[CleverTapEmulator]:
    emu = CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}).start()
    try:
        yield emu
    finally:
        emu.stop()


def fill_sample(db_path: Path, n: int, *, seed: int = 3) -> None:
    conn = connect(db_path)
    try:
        with transaction(conn):
            upsert_attributions(conn, generate(n, seed=seed), source="test")
    finally:
        conn.close()


@pytest.fixture
def sample_db(db_path: Path) -> Path:
    fill_sample(db_path, 400)
    return db_path


def emulator_config(emu: CleverTapEmulator, **changes: object) -> CleverTapConfig:
    cfg = CleverTapConfig(
        project_id=PROJECT,
        endpoint=emu.url,
        partner_name="linkrunner",  # the emulator's whitelisted partner
        secrets=Secrets(project_token=TOKEN, passcode=PASSCODE),
        backoff_base=0.01,
        backoff_cap=0.05,
        timeout=5.0,
    )
    return replace(cfg, **changes)  # type: ignore[arg-type]


@pytest.fixture
def make_window(qtbot, monkeypatch) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    from lr_desktop.gui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(
        db_path: Path, config: CleverTapConfig | None = None, *, settle: bool = True
    ) -> MainWindow:
        """The window, shown; with `settle`, once the events table and the CleverTap form
        have loaded (which builds those sections: tests of lazy building pass False)."""
        w = MainWindow(db_path, demo_config=config)
        # pytest-qt closes the window before this fixture's teardown: a sync still running
        # then must not open the modal "quit anyway?" question (tests that check it override this)
        monkeypatch.setattr(w, "confirm_close_during_sync", lambda: True)
        monkeypatch.setattr(w, "confirm_discard_edits", lambda _boxes: True)
        qtbot.addWidget(w)
        windows.append(w)
        w.show()
        if settle:
            qtbot.waitUntil(lambda: not w.events.model.is_loading and w.integrations.loaded_once)
        return w

    yield make
    for w in windows:
        monkeypatch.setattr(w, "confirm_close_during_sync", lambda: True)
        monkeypatch.setattr(w, "confirm_discard_edits", lambda _boxes: True)
        if not w.closing:
            w.close()
        assert w.runner.shutdown(30_000)
        qtbot.waitUntil(lambda w=w: not w.runner.running())
