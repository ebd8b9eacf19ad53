"""The engine's one retry loop, for both delivery modes: send, sort each item by the
answer, retry what is retryable with backoff, stop the run on a refused request, give up
after `max_retries`, and never send again once the run is halted.

An upload request is many items (its records); an attribution request is one. What the
loop returns (`Tries`) becomes one `Outcome` per item with `outcomes`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lr_desktop.clevertap.client import Answer, Verdict
from lr_desktop.sync.answers import unmatched_note
from lr_desktop.sync.ledger import Outcome, Result


@dataclass
class Tries:
    """Results of sending items 0..n-1, after retries."""

    accepted: list[int] = field(default_factory=list)
    rejected: list[tuple[int, int | None, str]] = field(default_factory=list)
    failed: list[tuple[int, int | None, str]] = field(default_factory=list)
    unsent: list[int] = field(default_factory=list)  # halted or stopped before an answer
    released: list[int] = field(default_factory=list)  # cancelled while waiting to retry
    unmatched: list[int] = field(default_factory=list)  # maybe refused: the answer named none
    unmatched_message: str = ""
    maybe_dup: set[int] = field(default_factory=set)
    last_status: int | None = None
    stop: Answer | None = None  # the answer that stopped the run, when this one did


class Run(Protocol):
    """What the loop needs of the engine."""

    @property
    def halted(self) -> bool: ...

    @property
    def max_retries(self) -> int: ...

    def stop(self, answer: Answer) -> None: ...

    async def backoff(self, attempt: int) -> bool: ...


Send = Callable[[list[int]], Awaitable[Answer]]
OnRetry = Callable[[Sequence[int], Answer], Awaitable[None]]
# (still pending, the results so far, when the answer came, whether it never came) ->
# what still has to be sent (the check before re-sending)
BeforeResend = Callable[[list[int], Tries, float, bool], Awaitable[list[int]]]


async def with_retries(
    run: Run,
    n: int,
    send: Send,
    on_retry: OnRetry | None = None,
    before_resend: BeforeResend | None = None,
) -> Tries:
    """Send items 0..n-1 (`send` gets those still pending) until each has a verdict."""
    result = Tries()
    pending = list(range(n))
    attempt = 0
    while pending:
        if run.halted:
            result.unsent += pending
            break
        answer = await send(pending)
        answered_at = time.monotonic()
        result.last_status = answer.http_status
        if answer.verdict is Verdict.STOP:
            run.stop(answer)
            result.stop = answer
            if answer.maybe_processed:  # e.g. a 404 after the body left
                result.maybe_dup.update(pending)
            result.unsent += pending
            break
        if answer.verdict is Verdict.RETRY:
            if answer.maybe_processed:
                result.maybe_dup.update(pending)
            retry = pending
            failures = {}
        else:
            failures = {pending[f.index]: f for f in answer.failures if 0 <= f.index < len(pending)}
            retry = [i for i, f in failures.items() if f.retryable]
            unnamed = unmatched_note(answer)  # then none of the others counts as delivered
            for i in pending:
                f = failures.get(i)
                if f is None:
                    (result.unmatched if unnamed else result.accepted).append(i)
                elif not f.retryable:
                    result.rejected.append((i, f.code, f.message))
            if unnamed:
                result.unmatched_message = unnamed
        if not retry:
            break
        attempt += 1
        if attempt > run.max_retries:
            for i in retry:
                f = failures.get(i)
                msg = f.message if f else answer.message
                result.failed.append(
                    (i, answer.http_status, f"{msg} (gave up after {attempt} tries)")
                )
            break
        if on_retry is not None:
            await on_retry(retry, answer)
        pending = retry
        if not await run.backoff(attempt):
            result.released += pending
            break
        if before_resend is not None:
            pending = await before_resend(pending, result, answered_at, answer.http_status is None)
    return result


def outcomes(
    rows: Sequence[dict[str, Any]],
    result: Tries,
    stop_unsent: Answer | None,
    stop_released: Answer | None,
) -> list[Outcome]:
    """One outcome per item. An unsent item is `stopped` when `stop_unsent` explains it
    (else `released`: cancelled), a released one likewise with `stop_released`."""
    dup = result.maybe_dup
    out = [
        Outcome.for_row(rows[i], Result.DELIVERED, 200, maybe_duplicated=i in dup)
        for i in result.accepted
    ]
    out += [
        Outcome.for_row(rows[i], Result.REJECTED, 200, code, msg, i in dup)
        for i, code, msg in result.rejected
    ]
    out += [
        Outcome.for_row(rows[i], Result.UNMATCHED, 200, None, result.unmatched_message, i in dup)
        for i in result.unmatched
    ]
    out += [
        Outcome.for_row(rows[i], Result.FAILED, status, None, msg, i in dup)
        for i, status, msg in result.failed
    ]
    for items, stop in ((result.unsent, stop_unsent), (result.released, stop_released)):
        for i in items:
            if stop is not None:
                out.append(
                    Outcome.for_row(
                        rows[i], Result.STOPPED, stop.http_status, None, stop.message, i in dup
                    )
                )
            else:
                out.append(
                    Outcome.for_row(
                        rows[i],
                        Result.RELEASED,
                        result.last_status,
                        None,
                        "cancelled before sending",
                        i in dup,
                    )
                )
    return out
