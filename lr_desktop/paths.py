"""Where files live: platform folders, overridable for scripts and tests.

On Linux the two folders the window needs before its first paint (the database's and
the log's) are the XDG ones, worked out here: importing platformdirs costs start-up
~7-15 ms. Anything unusual (an XDG variable or HOME that is not an absolute path) and
every other platform is left to platformdirs; tests/test_paths.py checks both agree.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lr_desktop import APP_ID


def _xdg(var: str, default: str) -> str | None:
    """Linux: $var, or ~/`default` when it is unset; None: let platformdirs decide."""
    if not sys.platform.startswith("linux"):
        return None
    value = os.environ.get(var, "")
    if value:
        return value if os.path.isabs(value) else None
    home = os.environ.get("HOME", "")
    return os.path.join(home, default) if os.path.isabs(home) else None


def data_dir() -> Path:
    base = _xdg("XDG_DATA_HOME", ".local/share")
    if base is not None:
        return Path(base, APP_ID)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_ID, appauthor=False))


def log_dir() -> Path:
    base = _xdg("XDG_STATE_HOME", ".local/state")
    if base is not None:
        return Path(base, APP_ID, "log")
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_ID, appauthor=False))


def default_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH` wins, then `LR_DESKTOP_DB`, then the user-data folder."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("LR_DESKTOP_DB")
    if env:
        return Path(env)
    return data_dir() / "lr-desktop.sqlite"
