"""The engine's database writer: one thread, and writes that queued up while it was busy
run together as one committed transaction (one commit instead of one each).

While requests are answered faster than results are written, a worker's result and the
next worker's claim wait side by side; committing them together halves the commits.
Every write is still committed before the caller hears back, and a group is all or
nothing: if any write in it fails, none of it is kept and every caller gets the error.

Writes submitted `first` (claims: a request cannot go out before its claim is
committed) jump the queue: they commit as a group of their own ahead of the others,
and a group of other writes is cut short (committed as far as it got) when one arrives,
so a claim waits for at most the one result being written, not for a whole group.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lr_desktop.sync.ledger import SyncStore

MAX_GROUP = 16  # writes per transaction at most

_Job = tuple[Callable[[], Any], "Future[Any]", bool]  # (write, its future, first)


class CombiningWriter:
    def __init__(
        self,
        store: SyncStore,
        name: str = "lr-sync-db",
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        """`after_commit`: called on the writer's thread after each committed group."""
        self._store = store
        self._after_commit = after_commit
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._first: deque[_Job] = deque()  # taken off `_jobs`, not yet run
        self._rest: deque[_Job] = deque()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], Any], first: bool = False) -> Future[Any]:
        """Queue a write; `first`: ahead of the other writes (see the module's text)."""
        fut: Future[Any] = Future()
        self._jobs.put((fn, fut, first))
        return fut

    def shutdown(self) -> None:
        """Finish what was submitted, then stop the thread."""
        self._jobs.put(None)
        self._thread.join()

    def _take(self, job: _Job | None) -> None:
        if job is None:
            self._closing = True
        else:
            (self._first if job[2] else self._rest).append(job)

    def _drain(self) -> bool:
        """Move what was submitted meanwhile into the queues; True if a `first` waits."""
        while True:
            try:
                self._take(self._jobs.get_nowait())
            except queue.Empty:
                return bool(self._first)

    def _loop(self) -> None:
        while True:
            if not self._first and not self._rest:
                if self._closing:
                    return
                self._take(self._jobs.get())
                continue
            self._drain()
            if self._first:
                self._run(self._first, None)
            else:
                self._run(self._rest, self._drain)

    def _run(self, waiting: deque[_Job], cut: Callable[[], bool] | None) -> None:
        """Run up to MAX_GROUP writes from `waiting`, together; `cut()` is asked before
        each write after the first and stops the group there (the rest stay waiting)."""
        live: list[_Job] = []
        while waiting and len(live) < MAX_GROUP:
            job = waiting.popleft()
            if job[1].running() or job[1].set_running_or_notify_cancel():  # running: cut off
                live.append(job)
        if not live:
            return
        done = len(live)
        try:
            if len(live) == 1:
                results = [live[0][0]()]  # in its own transaction, as written
            else:
                results = self._store.together([fn for fn, _, _ in live], cut)
                done = len(results)
        except BaseException as exc:  # noqa: BLE001 - handed to every caller of the group
            for _, fut, _ in live:
                fut.set_exception(exc)
            return
        waiting.extendleft(reversed(live[done:]))  # cut short: run in a later group
        if self._after_commit is not None:
            self._after_commit()
        for (_, fut, _), result in zip(live, results, strict=False):
            fut.set_result(result)
