"""`lr-desktop` entry point: dispatches to sub-command modules."""

from __future__ import annotations

import argparse
import importlib
import sys

from lr_desktop import __version__

# Sub-command modules, each with register(subparsers). Missing ones are skipped so the
# CLI works while parts are being built.
COMMAND_MODULES = (
    "lr_desktop.cli.gui_cmd",
    "lr_desktop.cli.import_cmd",
    "lr_desktop.cli.sync_cmd",
    "lr_desktop.cli.status_cmd",
    "lr_desktop.cli.config_cmd",
    "lr_desktop.cli.emulator_cmd",
    "lr_desktop.cli.pull_cmd",
    "lr_desktop.cli.mapping_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lr-desktop",
        description="Keep CleverTap in step with Linkrunner attribution data.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="database file (default: LR_DESKTOP_DB or the user-data folder)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def _default_to_gui(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`lr-desktop [--db PATH] [--demo ...]` with no command means the window."""
    choices = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    if "gui" not in choices:
        return argv
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help", "--version") or arg in choices:
            return argv
        if arg == "--db":
            i += 2
            continue
        if arg.startswith("--db="):
            i += 1
            continue
        break
    return [*argv[:i], "gui", *argv[i:]]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_default_to_gui(parser, sys.argv[1:] if argv is None else argv))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
