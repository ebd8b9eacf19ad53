"""`lr-desktop` entry point: dispatches to sub-command modules.

Only the module of the command being run is imported (the window should not wait for
the import of every other command's dependencies); `--help` imports them all.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from lr_desktop import __version__

# command -> module with register(subparsers)
COMMANDS: dict[str, str] = {
    "gui": "lr_desktop.cli.gui_cmd",
    "import": "lr_desktop.cli.import_cmd",
    "sync": "lr_desktop.cli.sync_cmd",
    "status": "lr_desktop.cli.status_cmd",
    "events": "lr_desktop.cli.events_cmd",
    "config": "lr_desktop.cli.config_cmd",
    "emulator": "lr_desktop.cli.emulator_cmd",
    "pull": "lr_desktop.cli.pull_cmd",
    "linkrunner-key": "lr_desktop.cli.pull_cmd",
    "map-ids": "lr_desktop.cli.mapping_cmd",
    "verify": "lr_desktop.cli.verify_cmd",
}


DB_HELP = "database file (default: LR_DESKTOP_DB or the user-data folder)"


def build_parser(commands: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser, with the given commands' modules registered (default: all)."""
    parser = argparse.ArgumentParser(
        prog="lr-desktop",
        description="Keep CleverTap in step with Linkrunner attribution data. "
        "Without a command it opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = dict.fromkeys(COMMANDS[c] for c in (commands or COMMANDS))
    for name in modules:
        importlib.import_module(name).register(sub)
    helps = {a.dest: a.help for a in sub._choices_actions}  # noqa: SLF001
    for name, p in sub.choices.items():
        if not p.description:  # `lr-desktop X --help` says what X does
            p.description = helps.get(name)
        # `lr-desktop sync --db PATH` works too (the top-level value stays when not given)
        if not any("--db" in a.option_strings for a in p._actions):  # noqa: SLF001
            p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=DB_HELP)
    return parser


def _command_index(argv: list[str]) -> int:
    """Index of the first argument that is not a top-level option (len(argv) if none)."""
    i = 0
    while i < len(argv):
        if argv[i] == "--db":
            i += 2
        elif argv[i].startswith("--db="):
            i += 1
        else:
            return i
    return len(argv)


def _default_to_gui(argv: list[str]) -> list[str]:
    """`lr-desktop [--db PATH] [--demo ...]` with no command means the window."""
    i = _command_index(argv)
    if i < len(argv) and (argv[i] in COMMANDS or argv[i] in ("-h", "--help", "--version")):
        return argv
    return [*argv[:i], "gui", *argv[i:]]


def main(argv: list[str] | None = None) -> int:
    argv = _default_to_gui(list(sys.argv[1:] if argv is None else argv))
    i = _command_index(argv)
    command = argv[i] if i < len(argv) else None
    parser = build_parser([command] if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe shows here, not at exit
        return code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _broken_pipe()
    except Exception as exc:
        # database trouble a command did not explain itself. sqlite3 is not imported here:
        # the window is shown before anything opens the database (~8 ms of import time),
        # and an exception cannot be a sqlite3.Error if sqlite3 was never imported.
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is None or not isinstance(exc, sqlite3.Error):
            raise
        from lr_desktop.cli.common import db_path, fail
        from lr_desktop.errors import explain

        err = explain(exc, db_path(args))
        if err is exc:  # a programmer error, not the user's: let it show as a bug
            raise
        fail(str(err))
        return 2


# Exit status of a program ended by SIGPIPE (128 + 13), as `yes | head -1` leaves it.
BROKEN_PIPE_EXIT = 141


def _broken_pipe() -> int:
    """The reader of stdout went away (`lr-desktop status | head -1`): stop quietly, as
    Unix tools do. stdout is pointed at /dev/null so the interpreter's final flush of
    the unsent lines does not print a second error (Python's documented recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return BROKEN_PIPE_EXIT
