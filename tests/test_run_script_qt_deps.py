"""scripts/run names (or installs) the system libraries Qt's xcb platform plugin lacks,
read from ldd of the plugin itself (Qt's own message, "xcb-cursor0 is needed", misleads)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LDD = """#!/bin/sh
echo "	libxcb-cursor.so.0 => not found"
echo "	libxkbcommon-x11.so.0 => not found"
echo "	libX11-xcb.so.1 => not found"
echo "	libEGL.so.1 => /usr/lib/x86_64-linux-gnu/libEGL.so.1 (0x00007f)"
"""


def _run(tmp_path: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "ldd").write_text(LDD)
    (fake / "ldd").chmod(0o755)
    (fake / "id").write_text("#!/bin/sh\necho 1000\n")  # not root: name, don't install
    (fake / "id").chmod(0o755)
    venv = Path(sys.executable).parent.parent
    return subprocess.run(
        ["bash", "-c", f"source scripts/_qt_xcb.sh; {script}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "VENV": str(venv), **env},
        check=False,
    )


def test_missing_libraries_are_named_as_debian_packages(tmp_path: Path) -> None:
    r = _run(tmp_path, "qt_xcb_packages")
    assert r.stdout.split() == ["libx11-xcb1", "libxcb-cursor0", "libxkbcommon-x11-0"]


def test_not_root_it_names_them_and_stops(tmp_path: Path) -> None:
    r = _run(tmp_path, "ensure_qt_xcb; echo started", QT_QPA_PLATFORM="")
    assert r.returncode == 2 and "started" not in r.stdout
    assert "sudo apt-get install libx11-xcb1 libxcb-cursor0 libxkbcommon-x11-0" in r.stderr


def test_other_platforms_are_not_checked(tmp_path: Path) -> None:
    r = _run(tmp_path, "ensure_qt_xcb; echo started", QT_QPA_PLATFORM="offscreen")
    assert r.returncode == 0 and "started" in r.stdout
