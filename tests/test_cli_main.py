"""`lr-desktop` with no command opens the window; options before it still work."""

import pytest

from lr_desktop.cli.main import _default_to_gui, build_parser


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], ["gui"]),
        (["--demo"], ["gui", "--demo"]),
        (["--db", "x.sqlite", "--demo"], ["--db", "x.sqlite", "gui", "--demo"]),
        (["--db=x.sqlite"], ["--db=x.sqlite", "gui"]),
        (["sync", "--json"], ["sync", "--json"]),
        (["--db", "x.sqlite", "status"], ["--db", "x.sqlite", "status"]),
        (["--version"], ["--version"]),
    ],
)
def test_default_command_is_the_window(argv: list[str], expected: list[str]) -> None:
    assert _default_to_gui(argv) == expected


def test_demo_flag_parses_to_the_gui_command() -> None:
    args = build_parser(["gui"]).parse_args(_default_to_gui(["--db", "x.sqlite", "--demo"]))
    assert args.command == "gui" and args.demo and args.db == "x.sqlite"


def test_every_command_registers_and_only_the_one_run_is_imported() -> None:
    import subprocess
    import sys

    from lr_desktop.cli.main import COMMANDS

    full = build_parser()
    assert set(full._subparsers._group_actions[0].choices) == set(COMMANDS)  # type: ignore[union-attr]
    code = (
        "import sys; from lr_desktop.cli import main as m; "
        "p = m.build_parser(['gui']); "
        "print(any(k in sys.modules for k in ('lr_desktop.sync.engine', 'lr_desktop.importer', 'httpx')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
