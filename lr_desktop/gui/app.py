"""Starting the window: the QApplication, logging, the excepthook, and the demo."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from lr_desktop import APP_ID, APP_NAME

log = logging.getLogger(__name__)


def _stylesheet() -> str:
    path = Path(__file__).resolve().parents[2] / "resources" / "style.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        from importlib.resources import files

        try:
            return (files("lr_desktop.gui") / "style.qss").read_text(encoding="utf-8")
        except (OSError, FileNotFoundError):
            return ""


def make_app(argv: list[str] | None = None):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from lr_desktop.gui.main_window import ORGANIZATION

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setStyleSheet(_stylesheet())
    return app


def run(db_path: Path, *, demo: bool = False) -> int:
    """Open the window on `db_path` (or on a fresh demo) and run until it closes."""
    from lr_desktop.gui.logsetup import install_excepthook, setup_logging
    from lr_desktop.gui.stop_signals import StopOnSignals

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
        return int(app.exec())
    finally:
        try:
            if session is not None:
                session.stop()
        finally:
            stopper.remove()
