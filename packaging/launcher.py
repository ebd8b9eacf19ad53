"""Entry point of the frozen build (PyInstaller): `lr-desktop ...`.

The app starts helpers as `sys.executable [-u] -m lr_desktop[.module] ...` (the isolated
sync child, the emulator subprocess). In a frozen build sys.executable is this program, so
it answers `-m` for the app's own modules the way Python would; anything else goes to
the normal command line.
"""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["-u"]:  # unbuffered, as `python -u`
        args = args[1:]
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.reconfigure(line_buffering=True)
    if len(args) >= 2 and args[0] == "-m" and args[1].split(".")[0] == "lr_desktop":
        sys.argv = [sys.argv[0], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return
    from lr_desktop.cli.main import main as cli_main

    raise SystemExit(cli_main(args))


if __name__ == "__main__":
    main()
