"""The Overview's first paint, in a child process (offscreen Qt, fresh settings):

    python -m bench.overview_child DB REPS    -> JSON: per run, ms from MainWindow()
                                                 to the window painted with the data

The window opens on the Overview (no saved section), paints once empty, reads its
numbers in a worker after that paint, and shows them: a run ends when the Overview's
`updated` has fired and the window has been repainted with the cards and charts filled.
`stats_ms` times the same read (`overview_stats_at`) alone, after the window is gone.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEvent, QObject  # noqa: E402

from bench.gui_child import _KEEP, _app, _wait, _warm_up  # noqa: E402


class _Painted(QObject):
    """Records when the watched widget was first painted."""

    def __init__(self, clock: QElapsedTimer) -> None:
        super().__init__()
        self.clock = clock
        self.at: float | None = None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and self.at is None:
            self.at = self.clock.nsecsElapsed() / 1e6
        return False


def first_paint(db: Path) -> dict[str, Any]:
    from lr_desktop.gui.main_window import MainWindow

    app = _app()
    clock = QElapsedTimer()
    clock.start()
    window = MainWindow(db)
    painted = _Painted(clock)
    window.installEventFilter(painted)
    updated: list[float] = []
    overview = window.overview
    overview.updated.connect(lambda: updated.append(clock.nsecsElapsed() / 1e6))
    window.show()
    ok = _wait(lambda: bool(updated))
    window.repaint()  # the cards and charts with their numbers
    done_ms = clock.nsecsElapsed() / 1e6
    stats = overview.stats
    out = {
        "ok": ok,
        "first_paint_ms": done_ms if ok else None,
        "empty_paint_ms": painted.at,  # the window's first paint, before the data
        "data_ms": updated[0] if updated else None,  # the worker's numbers arrived
        "attributed": stats.counts.get("attributed") if stats else None,
        "days": len(stats.per_day) if stats else None,
    }
    window.removeEventFilter(painted)
    window.closing = True
    window.runner.shutdown(60_000)
    window.hide()
    window.deleteLater()
    app.processEvents()
    _KEEP.append((window, painted))
    return out


def stats_ms(db: Path) -> float:
    from lr_desktop.store import overview

    t0 = time.perf_counter()
    overview.overview_stats_at(db)
    return (time.perf_counter() - t0) * 1000


def main(argv: list[str]) -> int:
    db, reps = Path(argv[0]), int(argv[1])
    _app()
    _warm_up()
    runs = [first_paint(db) for _ in range(reps)]
    doc = {"runs": runs, "stats_ms": [stats_ms(db) for _ in range(reps)]}
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip Qt teardown


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
