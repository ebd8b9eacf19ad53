"""Shared benchmark plumbing: results, timing, peak RSS of child processes, machine facts."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Measurement:
    """One side of a pair: wall-clock samples (seconds) of repeated runs."""

    label: str
    samples: list[float] = field(default_factory=list)
    items: int = 0  # rows/events handled per run (0 = not a throughput measurement)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. peak RSS, counts

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def rate(self) -> float:
        """Items per second at the median time."""
        m = self.median
        return self.items / m if self.items and m > 0 else float("nan")


@dataclass
class Pair:
    """One ratio of a benchmark: this project's side against a peer or floor, both
    measured in the same run. `ratio` is own ÷ peer time (`lower_is_better`) or
    own ÷ peer rate (not)."""

    what: str  # e.g. "100 ms round trips, concurrency 15"
    own: str  # Measurement label of this project's side
    peer: str  # Measurement label of the peer / floor / limit
    definition: str  # what the peer or floor is, in a sentence
    target: str  # e.g. "≤ 1.4×"
    ratio: float | None = None
    met: bool | None = None
    lower_is_better: bool = True


@dataclass
class BenchResult:
    name: str
    title: str
    n: int
    target: str
    measurements: list[Measurement] = field(default_factory=list)
    ratio: float | None = None  # what the target is judged on
    ratio_label: str = ""
    met: bool | None = None  # None: could not be judged (a piece is missing)
    notes: list[str] = field(default_factory=list)
    checks: list[tuple[str, str, bool | None]] = field(default_factory=list)  # sub-targets
    profile: str = ""  # top of a profile when the target was missed
    error: str = ""  # why this benchmark could not run
    pairs: list[Pair] = field(default_factory=list)  # each ratio with its peer's definition
    definitions: dict[str, str] = field(default_factory=dict)  # measurement label -> what it is
    limits: str = ""  # for a missed target: what limits it, in a line (the profile backs it)

    def get(self, label: str) -> Measurement:
        for m in self.measurements:
            if m.label == label:
                return m
        raise KeyError(label)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for m, md in zip(self.measurements, d["measurements"], strict=True):
            md["median"] = m.median
            md["rate"] = m.rate
        return d


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


@dataclass
class ChildRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_child(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 1800,
) -> ChildRun:
    """Run a command; wall time and its own peak RSS (wait4 gives per-child rusage)."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"lr-bench-child-{os.getpid()}.out"
    err_path = out_path.with_suffix(".err")
    with open(out_path, "w+b") as out, open(err_path, "w+b") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        deadline = t0 + timeout
        hwm = 0.0  # the child's own peak (VmHWM): wait4's maxrss can carry the parent's
        while True:
            hwm = max(hwm, _vm_hwm_mb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    out_path.unlink(missing_ok=True)
    err_path.unlink(missing_ok=True)
    # the exec'd program's own high-water mark; wait4's ru_maxrss also counts the mm the
    # child had before exec (a copy of this process: 637 MiB after a 10M-user sync here)
    peak = hwm or usage.ru_maxrss / 1024
    return ChildRun(seconds, peak, proc.returncode, stdout, stderr)


def _vm_hwm_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def self_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _version(module: str, attr: str = "__version__") -> str:
    try:
        mod = __import__(module)
        return str(getattr(mod, attr))
    except Exception as exc:  # a missing peer is reported, not fatal
        return f"not available ({type(exc).__name__})"


def machine_info() -> dict[str, str]:
    import sqlite3

    try:
        from importlib.metadata import version

        sqlite_utils = version("sqlite-utils")
    except Exception:
        sqlite_utils = "not installed"
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    return {
        "CPU": _cpu_model(),
        "cores": str(cores),
        "RAM": f"{_ram_gb():.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PySide6": _version("PySide6"),
        "Qt": _qt_version(),
        "httpx": _version("httpx"),
        "sqlite-utils": sqlite_utils,
    }


def _qt_version() -> str:
    try:
        from PySide6 import QtCore

        return QtCore.qVersion()
    except Exception as exc:
        return f"not available ({type(exc).__name__})"


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return rev + (" (+ uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
