"""Upload mode: events (and profile properties) go to `POST /1/upload` in requests of up
to `batch_size` records. The reader thread builds each request's records in SQLite ahead
of time; a worker claims them (committed), sends them through `sync.retry`, and records
the answers, while `concurrency` slots cap the requests at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lr_desktop.clevertap.client import Answer
from lr_desktop.clevertap.payloads import RecordBatch, event_record, profile_record
from lr_desktop.clevertap.rules import event_name_problem, event_record_problem
from lr_desktop.sync.due import Outcome, Result
from lr_desktop.sync.reader import UploadClaim
from lr_desktop.sync.retry import OnRetry, Tries, outcomes, with_retries

if TYPE_CHECKING:
    from lr_desktop.sync.engine import Engine


class _SentRows(Sequence[dict[str, Any]]):
    """rowid of each record in an upload request, for outcomes (the user id is looked up
    when the attempt is written: SQL-built records are never parsed back for it)."""

    def __init__(self, rowids: list[int]) -> None:
        self.rowids = rowids

    def __len__(self) -> int:
        return len(self.rowids)

    def __getitem__(self, i: int) -> dict[str, Any]:  # type: ignore[override]
        return {"rowid": self.rowids[i], "user_id": None}


@dataclass
class _Answered:
    """An upload request after its answer (and retries), before its results are written."""

    sent: _SentRows
    outcomes: list[Outcome]  # those known before sending (pre-check rejects)
    result: Tries
    had_errors: bool  # some events carry an earlier error to clear once delivered


class UploadSender:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        cfg = engine.cfg
        self.slots = asyncio.Semaphore(cfg.concurrency)  # upload requests at once
        names = (cfg.organic_event, cfg.inorganic_event)
        # SQLite builds the records unless an event name needs Python's pre-check wording
        self.sql_event_names = None if any(map(event_name_problem, names)) else names

    async def events(self) -> None:
        # Twice the workers, `concurrency` request slots: while one worker records its
        # answer another claims and sends, so writing results never idles a slot.
        e = self.engine
        await e.pump(
            e.where, e.cfg.batch_size, self.send_chunk, self.next_chunk, 2 * e.cfg.concurrency
        )

    async def next_chunk(self, after: int) -> tuple[int, UploadClaim]:
        """The next request's records, found and built on the reading thread."""
        e = self.engine
        size = e.cfg.batch_size
        return await e.read(e.reader.next_upload, e.where, after, size, self.sql_event_names)

    async def send_chunk(self, prepared: UploadClaim) -> None:
        async with self.slots:  # claimed only when it can be sent at once
            answered = await self._claim_and_send(prepared)
        if answered is not None:  # the slot is free again: the next request goes meanwhile
            await self._record(answered)

    async def _claim_and_send(self, prepared: UploadClaim) -> _Answered | None:
        e = self.engine
        claim = await e.db_first(e.store.claim_prepared, prepared, e.where, e.summary.run_id)
        if not claim:
            return None
        pre: list[Outcome] = []
        rowids = list(claim.plain_ids)
        others: list[dict[str, Any]] = []
        for row in claim.other_rows:  # rows SQLite did not build a record for
            rec = event_record(row, e.cfg)
            problem = event_record_problem(rec)
            if problem:  # CleverTap would refuse it: say so without sending
                pre.append(
                    Outcome.for_row(
                        row, Result.REJECTED, None, problem[0], f"Not sent: {problem[1]}"
                    )
                )
            else:
                others.append(rec)
                rowids.append(row["rowid"])
        batch = claim.batch(others)
        sent = _SentRows(rowids)

        async def on_retry(indices: Sequence[int], answer: Answer) -> None:
            await e.db(
                e.store.record,
                [
                    Outcome.for_row(sent[i], Result.RETRY, answer.http_status, None, answer.message)
                    for i in indices
                ],
                run_id=e.summary.run_id,
                mode="upload",
            )

        result = await self.send(batch, on_retry) if batch else Tries()
        return _Answered(sent, pre, result, claim.had_errors)

    async def _record(self, answered: _Answered) -> None:
        e = self.engine
        result, rowids = answered.result, answered.sent.rowids
        # deliveries set-based, without an outcome object each
        delivered = [rowids[i] for i in result.accepted if i not in result.maybe_dup]
        result.accepted = [i for i in result.accepted if i in result.maybe_dup]
        stop = e.stop_answer
        written = answered.outcomes + outcomes(answered.sent, result, stop, stop)
        await e.db(
            e.store.record,
            written,
            run_id=e.summary.run_id,
            mode="upload",
            delivered_ids=delivered,
            clear_errors=answered.had_errors,
        )
        e.summary.delivered += len(delivered)
        e.done += len(delivered)
        e.count(written)

    async def send(self, records: RecordBatch, on_retry: OnRetry | None) -> Tries:
        """Send these records, retrying, and asking CleverTap before re-sending what
        may have landed (`sync.precheck`)."""
        e = self.engine
        client, precheck = e.client, e.precheck

        async def send(pending: list[int]) -> Answer:
            if len(pending) == len(records):
                return await client.upload(records, records.body())
            return await client.upload([records[i] for i in pending])

        async def before_resend(
            pending: list[int], result: Tries, answered_at: float, no_answer: bool
        ) -> list[int]:
            return await precheck.before_resend(  # ask CleverTap before re-sending
                records,
                pending,
                result.maybe_dup,
                result.accepted,
                answered_at,
                no_answer,
                lambda: e.halted,
            )

        return await with_retries(e, len(records), send, on_retry, before_resend)

    # -- profile properties -------------------------------------------------------------
    async def profiles_phase(self, where: str) -> None:
        e = self.engine
        e.phase = "profiles"
        e.done = 0
        e.total = await e.db(e.store.count, where)
        e.phase_started = time.monotonic()
        e.report(force=True)
        after = 0
        sem = asyncio.Semaphore(e.cfg.concurrency)
        tasks: list[asyncio.Task[None]] = []
        while not e.halted:
            rows = await e.db(e.store.rows, where, after, e.cfg.batch_size)
            if not rows:
                break
            after = rows[-1]["rowid"]
            await sem.acquire()
            tasks.append(asyncio.create_task(self._send_profiles(rows, sem)))
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):  # e.g. StoreError: after all have finished
                raise result
        e.report(force=True)

    async def _send_profiles(self, rows: list[dict[str, Any]], sem: asyncio.Semaphore) -> None:
        e = self.engine
        try:
            result = await self.send(RecordBatch([profile_record(r) for r in rows]), None)
            e.summary.profiles_upserted += len(result.accepted)
            e.summary.profiles_failed += len(result.rejected) + len(result.failed)
            await e.db(
                e.store.mark_profiles,
                [(rows[i]["fingerprint"], rows[i]["rowid"]) for i in result.accepted],
            )
            bad = [
                Outcome.for_row(rows[i], Result.REJECTED, result.last_status, code, msg)
                for i, code, msg in result.rejected
            ] + [
                Outcome.for_row(rows[i], Result.FAILED, status, None, msg)
                for i, status, msg in result.failed
            ]
            await e.db(
                e.store.record, bad, run_id=e.summary.run_id, mode=e.cfg.mode, kind="profile"
            )
            e.done += len(rows) - len(result.unsent) - len(result.released)
            e.report()
        finally:
            sem.release()
