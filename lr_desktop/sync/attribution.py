"""Attribution mode: one install per request to CleverTap's attribution partner endpoint.
A worker claims `ATTRIBUTION_CHUNK` installs in one transaction, sends them one by one
through `sync.retry` (asking CleverTap before re-sending one whose answer was lost:
`sync.precheck`), and records the chunk's attempts in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lr_desktop.clevertap.client import Answer
from lr_desktop.clevertap.payloads import attribution_params
from lr_desktop.sync.due import Outcome, Result
from lr_desktop.sync.retry import Tries, outcomes, with_retries

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lr_desktop.sync.engine import Engine

ATTRIBUTION_CHUNK = 50  # installs a worker claims (one transaction) and then sends one by one


class AttributionSender:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def events(self) -> None:
        e = self.engine
        await e.pump(e.where, ATTRIBUTION_CHUNK, self.send_chunk)

    async def send_chunk(self, ids: list[int]) -> None:
        e = self.engine
        rows = await e.db(e.store.claim, ids, e.where, e.summary.run_id)
        written: list[Outcome] = []
        for row in rows:
            written += await self._one(row)
        await e.db(e.store.record, written, run_id=e.summary.run_id, mode="attribution")
        e.count(written)

    async def _one(self, row: dict[str, Any]) -> list[Outcome]:
        """One install's attempts: its retries, then what it came to."""
        e = self.engine
        params = attribution_params(row, e.cfg)
        retries: list[Outcome] = []

        async def send(_pending: list[int]) -> Answer:
            return await e.client.attribution(params)

        async def on_retry(_indices: Sequence[int], answer: Answer) -> None:
            retries.append(
                Outcome.for_row(row, Result.RETRY, answer.http_status, None, answer.message)
            )

        async def before_resend(
            pending: list[int], result: Tries, answered_at: float, no_answer: bool
        ) -> list[int]:
            return await e.precheck.before_resend(  # ask CleverTap before re-sending
                [row], pending, result.maybe_dup, result.accepted, answered_at, no_answer,
                lambda: e.halted,
            )  # fmt: skip

        result = await with_retries(e, 1, send, on_retry, before_resend)
        # Stopped by its own answer, or halted before it was sent (by another worker's
        # stop: that answer); cancelled while waiting to retry: released, whatever stopped.
        return retries + outcomes([row], result, result.stop or e.stop_answer, None)
