"""Start-up of the frozen build beside the source run, measured in the same run:

    .venv/bin/python -m bench.startup_frozen [dist/lr-desktop/lr-desktop] [--n 100000] [--reps 5]

Each side is timed from process start to the window's first paint (`lr-desktop gui
--smoke-paint` prints the paint's time.time() and quits), on a copy of the same database,
offscreen, null keyring, fresh XDG folders, file cache warm; the sides alternate. The
`bench.startup_probe baseline` (import PySide6.QtWidgets + an empty QMainWindow) is timed
in the same loop for reference.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import PYTHON, ROOT, Measurement, log, run_child
from bench.data import copy_db, queue_db
from bench.startup import _env, time_to_window


def time_to_paint(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.time()
    run = run_child([*cmd, "gui", "--smoke-paint"], env=env, cwd=ROOT, timeout=120)
    for line in run.stdout.splitlines():
        if line.startswith("SHOWN "):
            return float(line.split()[1]) - t0
    raise RuntimeError(f"no window was shown ({run.returncode}): {run.stderr.strip()[-600:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.startup_frozen")
    parser.add_argument("frozen", nargs="?", default=str(ROOT / "dist/lr-desktop/lr-desktop"))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="lr-bench-frozen-"))
    db = copy_db(queue_db(args.n, workdir), workdir / "startup.sqlite")
    env = _env(workdir, db)
    sides = {
        "source (python -m lr_desktop)": [PYTHON, "-m", "lr_desktop"],
        "frozen (dist/lr-desktop/lr-desktop)": [args.frozen],
    }
    results = {name: Measurement(name) for name in sides}
    base = Measurement("PySide6.QtWidgets + empty QMainWindow (bench.startup_probe)")
    for cmd in sides.values():  # warm the file cache
        time_to_paint(cmd, env)
    for rep in range(args.reps):
        for name, cmd in sides.items():
            results[name].samples.append(time_to_paint(cmd, env))
        base.samples.append(time_to_window(["baseline"], env)[0])
        log(f"frozen startup rep {rep + 1}/{args.reps}: " + ", ".join(
            f"{m.label.split()[0]} {m.samples[-1] * 1000:.0f} ms" for m in (*results.values(), base)
        ))  # fmt: skip
    print("| side | median | samples (ms) |\n|---|---:|---|")
    for m in (*results.values(), base):
        samples = ", ".join(f"{s * 1000:.0f}" for s in m.samples)
        print(f"| {m.label} | {m.median * 1000:.1f} ms | {samples} |")
    source, frozen = (m.median for m in results.values())
    print(f"\nfrozen ÷ source: {frozen / source:.2f}  (database of {args.n:,} users)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
