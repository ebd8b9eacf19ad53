#!/usr/bin/env python3
"""Render each section of the window, on the demo after a Linkrunner pull and a sync, to
docs/screenshots/*.png.

QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lr_desktop.demo import DemoSession  # noqa: E402
from lr_desktop.linkrunner.pull import pull_once  # noqa: E402
from lr_desktop.sync import Operation, run_sync  # noqa: E402

SHOTS = ("overview", "install-events", "integrations", "sync-history")
EXTRA = ("first-run", "run-errors")  # a new user's first window; a failed run opened


def _wait(app, done: Callable[[], bool], timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not settle")
        app.processEvents()
        time.sleep(0.02)


def main(out: Path) -> int:
    from lr_desktop.gui.app import make_app
    from lr_desktop.gui.main_window import MainWindow

    out.mkdir(parents=True, exist_ok=True)
    with DemoSession(latency=0.0) as demo:
        assert demo.config is not None
        pull_once(demo.db_path, api_key=demo.linkrunner_key)
        run_sync(demo.db_path, demo.config, Operation.FULL_SYNC)
        app = make_app()
        w = MainWindow(demo.db_path, demo_config=demo.config)
        w.resize(1440, 900)
        w.show()
        _wait(
            app,
            lambda: (
                not w.events.model.is_loading
                and w.integrations.loaded_once
                and w.linkrunner.loaded_once
                and w.overview.stats is not None
                and not w.runner.running()
            ),
        )
        # a still picture: no automatic round while the shots are taken (the form still
        # shows the demo's automatic pull as on)
        w.autopull.configure(False, w.autopull.interval_minutes)
        w.history.refresh()
        for i, name in enumerate(SHOTS):
            w.show_section(i)
            if name == "install-events":
                events = w.events
                events.status_combo.setCurrentIndex(0)
                row = next(
                    (
                        r
                        for r in range(min(500, events.model.rowCount()))
                        if (events.model.row_values(r) or {}).get("status") == "rejected"
                    ),
                    0,
                )
                events.table.selectRow(row)
                events.table.scrollTo(events.model.index(row, 0))
            for _ in range(5):
                app.processEvents()
            path = out / f"{name}.png"
            w.grab().save(str(path))
            print(path)
        w.close()
    _first_run(app, out)
    _failed_run(app, out)
    return 0


def _first_run(app, out: Path) -> None:  # type: ignore[no-untyped-def]
    """No account, no data, not the demo: the checklist above the (empty) Overview."""
    import tempfile

    from lr_desktop.gui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as d:
        w = MainWindow(Path(d) / "lr.sqlite")
        w.resize(1440, 900)
        w.show()
        _wait(app, lambda: w.first_run.state is not None and not w.runner.running())
        w.show_section(0)
        _wait(app, lambda: w.overview.stats is not None and not w.runner.running())
        for _ in range(5):
            app.processEvents()
        path = out / "first-run.png"
        w.grab().save(str(path))
        print(path)
        w.close()


def _failed_run(app, out: Path) -> None:  # type: ignore[no-untyped-def]
    """A sync while CleverTap answers 503 to everything, opened in Sync history."""
    import tempfile
    from dataclasses import replace

    from lr_desktop.emulators.clevertap import Faults
    from lr_desktop.gui.main_window import HISTORY, MainWindow

    with DemoSession(users=300, latency=0.0, directory=Path(tempfile.mkdtemp())) as demo:
        assert demo.config is not None and demo.emulator is not None
        demo.emulator.faults = Faults(error_rate=1.0)
        cfg = replace(demo.config, backoff_base=0.01, backoff_cap=0.02, max_retries=1)
        run_sync(demo.db_path, cfg, Operation.FULL_SYNC)
        w = MainWindow(demo.db_path, demo_config=cfg)
        w.resize(1440, 900)
        w.show()
        w.show_section(HISTORY)
        _wait(app, lambda: w.history.model.rowCount() > 0 and not w.runner.running())
        dialog = w.history.open_run(0)
        assert dialog is not None
        _wait(app, lambda: bool(dialog.groups) and not w.runner.running())
        for _ in range(5):
            app.processEvents()
        path = out / "run-errors.png"
        dialog.grab().save(str(path))
        print(path)
        dialog.close()
        w.close()


if __name__ == "__main__":
    raise SystemExit(
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
    )
