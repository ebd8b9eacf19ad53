"""The check's page writer (no Qt): calls run in the order handed over, on one thread
that is not the download's, at most `ahead` wait, and a failed commit reaches the
download."""

from __future__ import annotations

import asyncio
import threading

import pytest

from lr_desktop.verify.page_writer import PageWriter


def test_calls_run_in_order_on_one_other_thread_with_a_bounded_queue() -> None:
    done: list[int] = []
    threads: set[int] = set()
    gate = threading.Event()
    waiting: list[int] = []

    def job(i: int) -> None:
        gate.wait(5)
        threads.add(threading.get_ident())
        done.append(i)

    async def main() -> None:
        async with PageWriter(ahead=2) as w:
            for i in range(2):
                await w.hand_over(lambda i=i: job(i))  # type: ignore[misc]
            # a third hand-over waits for the oldest: open the gate while it waits
            third = asyncio.ensure_future(w.hand_over(lambda: job(2)))
            await asyncio.sleep(0)
            waiting.append(len(done))
            assert not third.done()
            gate.set()
            await third
            assert await w.call(lambda: len(done)) == 3  # after all that was handed over

    asyncio.run(main())
    assert done == [0, 1, 2]
    assert waiting == [0]
    assert len(threads) == 1 and threading.get_ident() not in threads


def test_a_failed_call_is_raised_and_the_rest_still_run() -> None:
    ran: list[str] = []
    gate = threading.Event()

    def fail() -> None:
        gate.wait(5)
        raise OSError("disk full")

    async def main() -> None:
        async with PageWriter(ahead=8) as w:
            await w.hand_over(fail)
            await w.hand_over(lambda: ran.append("after"))
            gate.set()  # both wait; the writer's drain raises the first one's error

    with pytest.raises(OSError, match="disk full"):
        asyncio.run(main())
    assert ran == ["after"]
