"""The check's database work on a thread of its own, so the download never waits for it.

A page of 5,000 records takes longer to store (rows built, matched and committed) than
CleverTap takes to send the next one; done on the download's event loop, every request
waited for it. Here each page is handed to one writer thread, which commits the pages in
the order given (a segment's pages stay in order, each with the cursor of the next). At
most `ahead` pages wait (memory stays flat): the download then waits for the oldest.
A failed commit is raised to the download at its next hand-over or at `drain`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

AHEAD = 4  # pages handed over and not yet committed, at most


class PageWriter:
    """Runs store calls on one thread, in order. Use `async with`."""

    def __init__(self, ahead: int = AHEAD) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="lr-verify-db")
        self._pending: deque[Future[object]] = deque()
        self._ahead = ahead

    async def __aenter__(self) -> PageWriter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.drain()
        finally:
            self._pool.shutdown(wait=True)

    async def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` after everything handed over so far and wait for its result."""
        return await asyncio.wrap_future(self._pool.submit(fn))

    async def hand_over(self, fn: Callable[[], object]) -> None:
        """Queue `fn` without waiting for it, unless `ahead` calls already wait."""
        self._pending.append(self._pool.submit(fn))
        while len(self._pending) > self._ahead or (self._pending and self._pending[0].done()):
            await asyncio.wrap_future(self._pending.popleft())

    async def drain(self) -> None:
        """Wait for every call handed over; raises the first one's error."""
        error: BaseException | None = None
        while self._pending:
            try:
                await asyncio.wrap_future(self._pending.popleft())
            except BaseException as exc:  # noqa: BLE001 - the others are still waited for
                error = error or exc
        if error is not None:
            raise error
