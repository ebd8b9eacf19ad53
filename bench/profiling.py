"""A small sampling profiler over all Python threads (no extra dependency).

cProfile only sees the thread that starts it, while the sync engine runs its event loop
in one thread and its SQLite work in another. This samples `sys._current_frames()`
every few milliseconds and reports, per thread, where the time goes: the share of
samples a function was on the stack (inclusive) and at the top (self). Time a thread
spends waiting (in select/epoll, on a lock or queue) is shown as such, so the busy
part of each thread stands out.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from types import FrameType
from typing import Any

_IDLE = {
    ("selectors.py", "select"),
    ("threading.py", "wait"),
    ("queue.py", "get"),
    ("thread.py", "_worker"),
    ("base_events.py", "_run_once"),
    ("writer.py", "_loop"),  # the sync's writer waiting in SimpleQueue.get (C: no frame)
}


def _key(frame: FrameType) -> tuple[str, str, int]:
    code = frame.f_code
    return code.co_filename, code.co_name, code.co_firstlineno


def _short(key: tuple[str, str, int]) -> str:
    path, name, line = key
    parts = path.replace("\\", "/").split("/")
    if "lr_desktop" in parts:
        path = "/".join(parts[parts.index("lr_desktop") :])
    elif "site-packages" in parts:
        path = "/".join(parts[parts.index("site-packages") + 1 :])
    else:
        path = "/".join(parts[-2:])
    return f"{path}:{line} {name}"


class Sampler:
    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: Counter[int] = Counter()
        self.inclusive: dict[int, Counter[tuple[str, str, int]]] = {}
        self.self_: dict[int, Counter[tuple[str, str, int]]] = {}
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                self.samples[ident] += 1
                top = _key(frame)
                self.self_.setdefault(ident, Counter())[top] += 1
                seen: set[tuple[str, str, int]] = set()
                inc = self.inclusive.setdefault(ident, Counter())
                f: FrameType | None = frame
                while f is not None:
                    k = _key(f)
                    if k not in seen:
                        seen.add(k)
                        inc[k] += 1
                    f = f.f_back
            for t in threading.enumerate():
                if t.ident is not None:
                    self.names.setdefault(t.ident, t.name)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self, top: int = 12, wall: float | None = None) -> str:
        lines: list[str] = []
        for ident, total in self.samples.most_common():
            if total < 5:
                continue
            name = self.names.get(ident, str(ident))
            selfc = self.self_[ident]
            idle = sum(c for k, c in selfc.items() if (k[0].rsplit("/", 1)[-1], k[1]) in _IDLE)
            busy = total - idle
            head = f"thread {name}: {total} samples"
            if wall:
                head += f" over {wall:.2f}s"
            head += f"; busy (not waiting) {100 * busy / total:.0f}%"
            lines.append(head)
            lines.append("  self time (top of stack):")
            for k, c in selfc.most_common(top):
                lines.append(f"    {100 * c / total:5.1f}%  {_short(k)}")
            lines.append("  inclusive (on the stack), project code:")
            shown = 0
            for k, c in self.inclusive[ident].most_common():
                if "lr_desktop" not in k[0] and "bench" not in k[0]:
                    continue
                lines.append(f"    {100 * c / total:5.1f}%  {_short(k)}")
                shown += 1
                if shown >= top:
                    break
        return "\n".join(lines)


def profile_call(fn: Callable[[], Any], interval: float = 0.005, top: int = 12) -> str:
    """Run `fn` under the sampler; return the per-thread summary text."""
    t0 = time.perf_counter()
    with Sampler(interval) as s:
        fn()
    return s.summary(top, time.perf_counter() - t0)


class _Rows:
    """A fetched result that answers like the cursor it replaces."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows

    def __iter__(self) -> Any:
        return iter(self._rows)


class TimedConnection:
    """Stands in for a sqlite3 connection: times every statement (fetched whole),
    grouped by its SQL text, for code that only calls `execute`."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.spent: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def execute(self, sql: str, params: Any = ()) -> _Rows:
        t0 = time.perf_counter()
        rows = self.conn.execute(sql, params).fetchall()
        key = " ".join(sql.split())
        self.spent[key] += time.perf_counter() - t0
        self.calls[key] += 1
        return _Rows(rows)

    @property
    def in_transaction(self) -> bool:  # store.summary.snapshot asks
        return bool(self.conn.in_transaction)

    def summary(self, top: int = 10) -> str:
        total = sum(self.spent.values())
        lines = [f"SQL: {total * 1000:,.0f} ms in {sum(self.calls.values()):,} statements"]
        for key, secs in self.spent.most_common(top):
            lines.append(f"  {secs * 1000:8,.0f} ms  {self.calls[key]:5,}×  {key[:150]}")
        return "\n".join(lines)


def rss_timeline(cmd: list[str], *, cwd: Any = None, interval: float = 0.5, rows: int = 24) -> str:
    """Run `cmd` as a child; its resident memory (VmRSS) over time, with the last line it
    printed to stderr at each moment (progress), so growth can be placed: which phase of
    the work holds the memory."""
    import subprocess

    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    last = [""]

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.strip():
                last[0] = line.strip()[-90:]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    t0 = time.perf_counter()
    points: list[tuple[float, float, str]] = []
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                kb = next(int(x.split()[1]) for x in f if x.startswith("VmRSS:"))
            points.append((time.perf_counter() - t0, kb / 1024, last[0]))
        except (OSError, StopIteration):
            pass
        time.sleep(interval)
    reader.join(5)
    if not points:
        return "no samples"
    step = max(1, len(points) // rows)
    shown = points[::step] + ([points[-1]] if (len(points) - 1) % step else [])
    peak = max(p[1] for p in points)
    lines = [f"resident memory of `{' '.join(cmd[-3:])}`: peak {peak:,.0f} MiB"]
    lines += [f"  {t:7.1f} s  {mb:7,.0f} MiB  {what}" for t, mb, what in shown]
    return "\n".join(lines)
