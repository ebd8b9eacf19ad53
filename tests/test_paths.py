"""paths.py works out the Linux XDG folders itself (platformdirs costs start-up time):
they must be exactly the folders platformdirs gives, and the unusual cases are its."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CODE = """
import json, platformdirs
from lr_desktop import APP_ID, paths
print(json.dumps([
    [str(paths.data_dir()), platformdirs.user_data_dir(APP_ID, appauthor=False)],
    [str(paths.log_dir()), platformdirs.user_log_dir(APP_ID, appauthor=False)],
]))
"""

LOADED = """
import sys
from lr_desktop import paths
paths.default_db_path(), paths.log_dir()
print("platformdirs" in sys.modules)
"""

CASES = {
    "XDG set": {"HOME": "/home/ann", "XDG_DATA_HOME": "/x/data", "XDG_STATE_HOME": "/x/state"},
    "XDG unset": {"HOME": "/home/ann"},
    "XDG empty": {"HOME": "/home/ann/", "XDG_DATA_HOME": "", "XDG_STATE_HOME": ""},
    "XDG relative": {"HOME": "/home/ann", "XDG_DATA_HOME": "rel", "XDG_STATE_HOME": "rel"},
    "HOME is /": {"HOME": "/"},
}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG folders are Linux's")
@pytest.mark.parametrize("env", CASES.values(), ids=CASES.keys())
def test_the_folders_are_platformdirs_own(env: dict[str, str], tmp_path: Path) -> None:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k != "HOME"}
    out = subprocess.run(
        [sys.executable, "-c", CODE],
        capture_output=True,
        text=True,
        env={**keep, **env},
        cwd=tmp_path,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    for ours, theirs in json.loads(out.stdout):
        assert ours == theirs


def test_the_window_does_not_import_platformdirs_on_linux() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LOADED],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": "/home/ann"},
        timeout=60,
    )
    assert out.stdout.strip() == ("False" if sys.platform.startswith("linux") else "True")
