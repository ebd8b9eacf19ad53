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
    assert _default_to_gui(build_parser(), argv) == expected


def test_demo_flag_parses_to_the_gui_command() -> None:
    parser = build_parser()
    args = parser.parse_args(_default_to_gui(parser, ["--db", "x.sqlite", "--demo"]))
    assert args.command == "gui" and args.demo and args.db == "x.sqlite"
