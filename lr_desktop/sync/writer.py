"""The engine's database writer: one thread, and writes that queued up while it was busy
run together as one committed transaction (one commit instead of one each).

While requests are answered faster than results are written, a worker's result and the
next worker's claim wait side by side; committing them together halves the commits.
Every write is still committed before the caller hears back, and a group is all or
nothing: if any write in it fails, none of it is kept and every caller gets the error.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lr_desktop.sync.ledger import SyncStore

MAX_GROUP = 16  # writes per transaction at most

_Job = tuple[Callable[[], Any], "Future[Any]"]


class CombiningWriter:
    def __init__(self, store: SyncStore, name: str = "lr-sync-db") -> None:
        self._store = store
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], Any]) -> Future[Any]:
        fut: Future[Any] = Future()
        self._jobs.put((fn, fut))
        return fut

    def shutdown(self) -> None:
        """Finish what was submitted, then stop the thread."""
        self._jobs.put(None)
        self._thread.join()

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            first = self._jobs.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                group.append(job)
            self._run(group)

    def _run(self, group: list[_Job]) -> None:
        live = [(fn, fut) for fn, fut in group if fut.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            if len(live) == 1:
                results = [live[0][0]()]  # in its own transaction, as written
            else:
                results = self._store.together([fn for fn, _ in live])
        except BaseException as exc:  # noqa: BLE001 - handed to every caller of the group
            for _, fut in live:
                fut.set_exception(exc)
            return
        for (_, fut), result in zip(live, results, strict=True):
            fut.set_result(result)
