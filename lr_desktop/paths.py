"""Where files live: platform folders, overridable for scripts and tests."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from lr_desktop import APP_ID


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_ID, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_ID, appauthor=False))


def default_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH` wins, then `LR_DESKTOP_DB`, then the user-data folder."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("LR_DESKTOP_DB")
    if env:
        return Path(env)
    return data_dir() / "lr-desktop.sqlite"
