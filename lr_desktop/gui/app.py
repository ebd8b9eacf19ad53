"""Starting the window: the QApplication, logging, the excepthook, and the demo."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from lr_desktop import APP_ID, APP_NAME

log = logging.getLogger(__name__)


def _stylesheet() -> str:
    from lr_desktop.resources import resource_path

    return resource_path("style.qss").read_text(encoding="utf-8")


def app_icon():  # type: ignore[no-untyped-def]
    """The app icon in every PNG size (the window, the task bar and a future tray use it)."""
    from PySide6.QtGui import QIcon

    from lr_desktop.resources import icon_paths

    icon = QIcon()
    for path in icon_paths():
        icon.addFile(str(path))
    return icon


def make_app(argv: list[str] | None = None):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from lr_desktop.gui.main_window import ORGANIZATION

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setStyleSheet(_stylesheet())
    app.setWindowIcon(app_icon())
    app.setDesktopFileName(APP_ID)  # Wayland/X11: match the window to lr-desktop.desktop
    return app


def run(
    db_path: Path, *, demo: bool = False, smoke_sync: bool = False, smoke_paint: bool = False
) -> int:
    """Open the window on `db_path` (or on a fresh demo) and run until it closes
    (`smoke_sync`: press Sync once, quit when it is done; `smoke_paint`: quit at the first
    paint; see gui/smoke.py)."""
    from lr_desktop.gui.excepthook import install_excepthook
    from lr_desktop.gui.stop_signals import StopOnSignals
    from lr_desktop.logsetup import setup_logging

    log_path = setup_logging()
    app = make_app()
    install_excepthook(log_path)
    session = None
    window = None

    def stop() -> None:
        if window is not None:
            window.close_without_asking()
        else:
            app.quit()

    stopper = StopOnSignals(stop)
    try:
        if demo:
            from lr_desktop.demo import DemoSession

            session = DemoSession().start()
            db_path = session.db_path
            log.info(
                "demo started: database %s, emulator %s",
                db_path,
                session.config.endpoint if session.config else "",
            )
        from lr_desktop.gui.main_window import MainWindow

        window = MainWindow(
            db_path,
            demo_config=session.config if session else None,
            demo_linkrunner_key=session.linkrunner_key if session else None,
        )
        window.show()
        smoke: Any = None
        if smoke_sync:
            from lr_desktop.gui.smoke import SmokeSync

            smoke = SmokeSync(window)
        elif smoke_paint:
            from lr_desktop.gui.smoke import SmokePaint

            smoke = SmokePaint(window)
        code = int(app.exec())
        return max(code, smoke.exit_code) if smoke is not None else code
    finally:
        try:
            if session is not None:
                session.stop()
        finally:
            stopper.remove()
