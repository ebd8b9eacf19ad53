"""Where the app's files (style sheet, icons) are, in every way it runs.

The one copy lives in the repository's top-level `resources/` folder. The wheel maps that
folder into the package as `lr_desktop/resources/` (setup.py), and the frozen build puts
it at the same place under its bundle folder (packaging/lr-desktop.spec), so both find it
next to this module; a source checkout (editable install, `scripts/run`) finds it one
folder up, at the repository's top level.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# wheel / pipx and frozen (sys._MEIPASS/lr_desktop/resources), then the source checkout
SEARCH = (_PACKAGE / "resources", _PACKAGE.parent / "resources")
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
# what every build must carry (tests/test_packaging.py and `scripts/package --check`)
REQUIRED = ("style.qss", "lr-desktop.svg", *(f"icons/lr-desktop-{s}.png" for s in ICON_SIZES))


class ResourceMissing(FileNotFoundError):
    """A file the build should carry is not there: the build is broken."""


def resource_path(name: str) -> Path:
    """The path of resource `name` (e.g. "style.qss", "icons/lr-desktop-32.png")."""
    for folder in SEARCH:
        path = folder / name
        if path.is_file():
            return path
    raise ResourceMissing(
        f"{name} is missing from this installation (looked in "
        + ", ".join(str(f) for f in SEARCH)
        + "); reinstall Linkrunner Desktop"
    )


def icon_paths() -> list[Path]:
    """The app icon's PNG sizes, smallest first (for QIcon, launchers and the tray)."""
    return [resource_path(f"icons/lr-desktop-{s}.png") for s in ICON_SIZES]
