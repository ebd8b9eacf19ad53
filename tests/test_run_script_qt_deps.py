"""scripts/run names (or installs) the system libraries Qt's xcb platform plugin lacks,
read from ldd of the plugin itself (Qt's own message, "xcb-cursor0 is needed", misleads).
The names are Debian's packages: on a minimal Debian 12 the plugin also lacks GLib,
whose libraries (libglib-2.0.so.0, libgthread-2.0.so.0) are in libglib2.0-0."""

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
# what ldd printed for libqxcb.so on a fresh `debootstrap --variant=minbase bookworm`
# (PySide6 6.11), beside the ones above
LDD_MINBASE = """#!/bin/sh
echo "	libglib-2.0.so.0 => not found"
echo "	libgthread-2.0.so.0 => not found"
echo "	libdbus-1.so.3 => not found"
echo "	libxcb-render-util.so.0 => not found"
echo "	libgcc_s.so.1 => not found"
echo "	libz.so.1 => not found"
"""
NO_APT = "#!/bin/sh\nexit 1\n"  # an apt-cache that knows no package


def _tool(fake: Path, name: str, text: str) -> None:
    (fake / name).write_text(text)
    (fake / name).chmod(0o755)


def _run(
    tmp_path: Path, script: str, ldd: str = LDD, apt_cache: str = NO_APT, **env: str
) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    _tool(fake, "ldd", ldd)
    _tool(fake, "id", "#!/bin/sh\necho 1000\n")  # not root: name, don't install
    _tool(fake, "apt-cache", apt_cache)
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
    assert "as root:  apt-get install libx11-xcb1 libxcb-cursor0 libxkbcommon-x11-0" in r.stderr


def test_names_that_do_not_follow_the_rule(tmp_path: Path) -> None:
    r = _run(tmp_path, "qt_xcb_packages", ldd=LDD_MINBASE)
    assert r.stdout.split() == [
        "libdbus-1-3",
        "libgcc-s1",
        "libglib2.0-0",
        "libxcb-render-util0",
        "zlib1g",
    ]


def test_the_t64_name_when_apt_knows_only_that(tmp_path: Path) -> None:
    # Debian 13 / Ubuntu 24.04 renamed libglib2.0-0 to libglib2.0-0t64
    apt = '#!/bin/sh\nfor a; do :; done; [ "$a" = libglib2.0-0t64 ] || [ "$a" = zlib1g ]\n'
    r = _run(tmp_path, "qt_xcb_packages", ldd=LDD_MINBASE, apt_cache=apt)
    assert "libglib2.0-0t64" in r.stdout.split() and "libglib2.0-0" not in r.stdout.split()
    assert "zlib1g" in r.stdout.split() and "zlib1gt64" not in r.stdout


def test_other_platforms_are_not_checked(tmp_path: Path) -> None:
    r = _run(tmp_path, "ensure_qt_xcb; echo started", QT_QPA_PLATFORM="offscreen")
    assert r.returncode == 0 and "started" in r.stdout
