"""Render resources/lr-desktop.svg to the PNG sizes launchers and the window use.

Run once after editing the SVG (`.venv/bin/python scripts/render-icons.py`) and commit the
PNGs: the app loads PNGs, so the build needs no SVG renderer (QtSvg is not bundled).
Uses QtSvg from the PySide6 wheel, so nothing beyond PyPI is needed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ROOT / "resources" / "lr-desktop.svg"))
    if not renderer.isValid():
        print("resources/lr-desktop.svg is not a valid SVG", file=sys.stderr)
        return 1
    out = ROOT / "resources" / "icons"
    out.mkdir(exist_ok=True)
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(out / f"lr-desktop-{size}.png"))
    print(f"rendered {len(SIZES)} sizes into {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
