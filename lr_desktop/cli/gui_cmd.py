"""`lr-desktop gui`: the desktop window (also what plain `lr-desktop` runs)."""

from __future__ import annotations

import argparse

from lr_desktop.cli.common import db_path, fail


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "gui",
        help="open the desktop window (the default when no command is given)",
        description="Open the Linkrunner Desktop window.",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="open a throw-away demo: sample users and a local CleverTap emulator, nothing saved",
    )
    p.add_argument(
        "--demo-if-unconfigured",
        action="store_true",
        help="open the demo only when no CleverTap configuration is stored in the database",
    )
    # packaging check (CI): press Sync once the window is painted, quit when it is done
    p.add_argument("--smoke-sync", action="store_true", help=argparse.SUPPRESS)
    # start-up bench (bench/startup_frozen.py): print the first paint's time and quit
    p.add_argument("--smoke-paint", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _configured(args: argparse.Namespace) -> bool:
    from lr_desktop.clevertap.config import load_config
    from lr_desktop.store import StoreError, connect

    try:
        conn = connect(db_path(args))
    except StoreError:
        return False
    try:
        return bool(load_config(conn).project_id)
    finally:
        conn.close()


def run(args: argparse.Namespace) -> int:
    try:
        from lr_desktop.gui.app import run as run_gui
    except ImportError as exc:
        fail(f"the window needs PySide6: {exc}")
        return 2
    demo = bool(args.demo) or (bool(args.demo_if_unconfigured) and not _configured(args))
    return run_gui(
        db_path(args),
        demo=demo,
        smoke_sync=bool(args.smoke_sync),
        smoke_paint=bool(args.smoke_paint),
    )
