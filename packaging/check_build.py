"""Is a frozen build complete? `python packaging/check_build.py dist/lr-desktop`

Checks what the app cannot start or look right without (its resources, the Qt modules it
imports, QtCharts for the Overview), that the Qt modules it does not use stayed out, and
(Linux) that every bundled library finds its dependencies, apart from the few system
libraries the .deb depends on. `scripts/package` runs it on every build; the tests run it
on doctored folders, so it fails when a resource is missing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from lr_desktop.resources import REQUIRED  # noqa: E402

QT_USED = ("QtCore", "QtGui", "QtWidgets", "QtCharts")
QT_LEFT_OUT = ("QtQuick", "QtQml", "QtWebEngineCore", "QtNetwork", "QtSvg", "QtPdf", "QtSql")
# libraries Qt's X11 platform plugin needs that are not bundled when the build machine
# lacks them: the .deb depends on their Debian packages instead
SYSTEM_LIBS = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
# what PyInstaller never bundles (libc, OpenGL/EGL drivers)
BASE_DEPENDS = ("libc6 (>= 2.31)", "libegl1", "libgl1")


def bundle_dir(folder: Path) -> Path:
    """Where PyInstaller put the app's files (`_internal/` since PyInstaller 6)."""
    inner = folder / "_internal"
    return inner if inner.is_dir() else folder


def problems(folder: Path) -> list[str]:
    """What is wrong with the build in `folder` (empty: nothing)."""
    out: list[str] = []
    if not any((folder / n).is_file() for n in ("lr-desktop", "lr-desktop.exe")):
        out.append(f"no lr-desktop program in {folder}")
    inner = bundle_dir(folder)
    for name in REQUIRED:
        if not (inner / "lr_desktop" / "resources" / name).is_file():
            out.append(f"resource missing: lr_desktop/resources/{name}")
    for module in QT_USED:
        if not list((inner / "PySide6").glob(f"{module}.*")):
            out.append(f"Qt module missing: PySide6.{module}")
    if not list(inner.rglob("*Qt6Charts*")) and not list(inner.rglob("QtCharts.framework")):
        out.append("Qt library missing: Qt6Charts (the Overview's charts)")
    for module in QT_LEFT_OUT:
        if list((inner / "PySide6").glob(f"{module}.*")):
            out.append(f"unused Qt module bundled: PySide6.{module}")
    return out


def missing_libraries(folder: Path) -> dict[str, list[str]]:
    """soname -> bundled files that need it and cannot find it (Linux, ldd)."""
    if not sys.platform.startswith("linux"):
        return {}
    missing: dict[str, list[str]] = {}
    for path in sorted(bundle_dir(folder).rglob("*.so*")):
        if not path.is_file() or path.is_symlink():
            continue
        run = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
        for line in run.stdout.splitlines():
            if "=> not found" in line:
                missing.setdefault(line.split()[0], []).append(str(path.relative_to(folder)))
    return missing


def depends() -> str:
    return ", ".join([*BASE_DEPENDS, *sorted(set(SYSTEM_LIBS.values()))])


def main(argv: list[str]) -> int:
    if argv[:1] == ["--depends"]:
        print(depends())
        return 0
    folder = Path(argv[0] if argv else ROOT / "dist" / "lr-desktop")
    found = problems(folder)
    for soname, users in missing_libraries(folder).items():
        if soname not in SYSTEM_LIBS:
            found.append(f"{soname} is needed by {', '.join(users[:3])} but not bundled")
    for problem in found:
        print(f"build check: {problem}", file=sys.stderr)
    if not found:
        print(f"build check: {folder} is complete")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
