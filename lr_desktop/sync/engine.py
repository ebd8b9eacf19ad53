"""The sync engine: one engine for "send pending" and "Sync with CleverTap", in both
delivery modes, used by the CLI and the GUI alike.

Shape: a producer walks due events by rowid (keyset, so 1,000,000 rows cost one pass),
`concurrency` workers claim a chunk (marking it in flight in one transaction), send it,
retry what is retryable with exponential backoff and jitter, and record every attempt.
In upload mode SQLite works on two threads of its own (a reader finds due events and
builds requests, a writer claims and records) so the event loop keeps the sockets busy;
attribution mode's small claims and results run on the event loop (`write_inline`).
"""

from __future__ import annotations

import asyncio
import errno
import random
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from lr_desktop.clevertap.client import Answer, CleverTapClient, Verdict
from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.clevertap.payloads import (
    RecordBatch,
    attribution_params,
    event_record,
    profile_record,
)
from lr_desktop.clevertap.rules import event_name_problem, event_record_problem
from lr_desktop.store import StoreError
from lr_desktop.store.db import explain
from lr_desktop.sync.answers import unmatched_note
from lr_desktop.sync.ledger import (
    PROFILE_DUE,
    PROFILE_DUE_CHANGED,
    Due,
    Outcome,
    SyncReader,
    SyncStore,
    UploadClaim,
    due_condition,
)
from lr_desktop.sync.precheck import Precheck, settle_flagged
from lr_desktop.sync.scope import SecondCopies, second_copies
from lr_desktop.sync.types import (
    ConfigurationProblem,
    CredentialsRejected,
    Operation,
    Progress,
    RequestRefused,
    SyncAlreadyRunning,
    SyncSummary,
)
from lr_desktop.sync.writer import CombiningWriter

T = TypeVar("T")
ProgressCallback = Callable[[Progress], None]
ATTRIBUTION_CHUNK = 50  # installs a worker claims (one transaction) and then sends one by one
PROGRESS_INTERVAL = 0.2  # seconds between progress reports


def lock_for(db_path: Path) -> FileLock:
    """The cross-process "one sync per database" lock."""
    return FileLock(str(db_path) + ".sync.lock")


def _lock_error(exc: OSError, db_path: Path) -> StoreError:
    if exc.errno == errno.ENOSPC:
        reason = "the disk holding it is full. Free some space and try again"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason = "its folder is read-only. Check the folder's permissions"
    else:
        reason = f"{exc.strerror or exc}"
    return StoreError(
        f"Cannot start a sync on the database ({db_path}): {reason}; nothing was changed."
    )


def run_sync(
    db_path: Path | str,
    config: CleverTapConfig,
    operation: Operation | str = Operation.SEND_PENDING,
    *,
    resend_delivered: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    seed: int | None = None,
    send_changed: bool = False,
) -> SyncSummary:
    """Send what is due (or, for FULL_SYNC, everything CleverTap may be missing). Blocking.

    `send_changed` / `resend_delivered` ask for second copies (see `sync.scope`): for
    this call only; ask the user first, with `second_copies(...).describe()`."""
    operation = Operation(operation)
    problems = config.problems()
    if problems:
        raise ConfigurationProblem(" ".join(problems))
    db_path = Path(db_path)
    lock = lock_for(db_path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise SyncAlreadyRunning(
            "A sync is already running on this database (in this window or another program). "
            "Wait for it to finish."
        ) from None
    except OSError as exc:  # the lock file sits next to the database: same folder problems
        raise _lock_error(exc, db_path) from exc
    try:
        store = SyncStore(db_path)
        try:
            copies = second_copies(
                store.conn, resend_delivered=resend_delivered, send_changed=send_changed
            )
            return _run_locked(store, config, operation, copies, progress, cancel, seed)
        except sqlite3.Error as exc:  # bookkeeping before or after the sending
            raise explain(exc, db_path) from exc
        finally:
            store.close()
    finally:
        lock.release()


def _run_locked(
    store: SyncStore,
    cfg: CleverTapConfig,
    operation: Operation,
    copies: SecondCopies,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    seed: int | None,
) -> SyncSummary:
    resend_delivered = copies.resend_delivered
    if resend_delivered:
        operation = Operation.FULL_SYNC
    recovered = store.recover()
    run_id = store.start_run(str(operation), cfg.mode, copies.label())
    summary = SyncSummary(run_id=run_id, operation=str(operation), mode=cfg.mode)
    summary.resend_delivered, summary.send_changed = resend_delivered, copies.send_changed
    summary.scope = copies.label()
    summary.possibly_duplicated = recovered
    if recovered:
        summary.warnings.append(
            f"{recovered} events were in flight when an earlier run stopped unexpectedly; they are "
            "sent again and may appear twice in CleverTap (it does not deduplicate)."
        )
    if copies.asked:
        summary.warnings.append(f"As asked: {copies.describe()}.")
    started = time.monotonic()
    engine = _Engine(
        store,
        cfg,
        operation,
        due_condition(operation, resend_delivered, copies.send_changed),
        summary,
        progress,
        cancel or threading.Event(),
        random.Random(seed),
    )
    state = "finished"
    try:
        asyncio.run(engine.run())
    except BaseException:
        state = "crashed"
        raise
    finally:
        summary.elapsed_seconds = round(time.monotonic() - started, 3)
        summary.waiting_for_clevertap_id = store.waiting()
        if summary.stopped_reason:
            state = "stopped"
        elif engine.cancel.is_set():
            summary.cancelled = True
            state = "cancelled"
        try:
            store.finish_run(summary, state)
        except (StoreError, sqlite3.Error):
            if state != "crashed":
                raise
    if summary.stopped_reason:
        error = CredentialsRejected if summary.stopped_http_status == 401 else RequestRefused
        raise error(summary.stopped_reason, summary)
    return summary


@dataclass
class _Batch:
    """Results of sending one chunk of records, after retries."""

    accepted: list[int] = field(default_factory=list)
    rejected: list[tuple[int, int | None, str]] = field(default_factory=list)
    failed: list[tuple[int, int | None, str]] = field(default_factory=list)
    unsent: list[int] = field(default_factory=list)  # cancelled or stopped before an answer
    unmatched: list[int] = field(default_factory=list)  # maybe refused: the answer named none
    unmatched_message: str = ""
    maybe_dup: set[int] = field(default_factory=set)
    last_status: int | None = None


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
    result: _Batch
    had_errors: bool  # some events carry an earlier error to clear once delivered


class _Engine:
    def __init__(
        self,
        store: SyncStore,
        cfg: CleverTapConfig,
        operation: Operation,
        where: Due,
        summary: SyncSummary,
        progress: ProgressCallback | None,
        cancel: threading.Event,
        rng: random.Random,
    ) -> None:
        self.store = store
        self.cfg = cfg
        self.operation = operation
        self.where = where
        self.summary = summary
        self.progress_cb = progress
        self.cancel = cancel
        self.rng = rng
        self.stop_answer: Answer | None = None
        self.store_error: StoreError | None = None  # the database failed: everything halts
        self.phase = "events"
        self.total = 0
        self.done = 0
        self.phase_started = time.monotonic()
        self.last_report = 0.0
        # Attribution mode writes on the event loop's thread: its claims and results
        # (50 installs each) are ~1 ms of SQLite, and handing them to a writer thread
        # cost more than it saved (~100 us of CPU per install in GIL hand-offs against
        # the busy event loop; bench/limits.md). The price: while another connection
        # holds the write lock, the whole loop waits for it, not just one worker.
        # Upload mode's writes are ~10x larger and keep the writer thread.
        self.write_inline = cfg.mode == "attribution"
        self.writer = CombiningWriter(store)
        self._read_pool = ThreadPoolExecutor(1, thread_name_prefix="lr-sync-read")
        self.reader = SyncReader(store.path)
        self.slots = asyncio.Semaphore(cfg.concurrency)  # upload requests at once
        names = (cfg.organic_event, cfg.inorganic_event)
        # SQLite builds the records unless an event name needs Python's pre-check wording
        self.sql_event_names = None if any(map(event_name_problem, names)) else names

    # -- plumbing ----------------------------------------------------------------------
    @property
    def halted(self) -> bool:
        return self.cancel.is_set() or self.stop_answer is not None or self.store_error is not None

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run store work on the database thread (attribution mode: right here, see
        `write_inline`). A sqlite3 error (disk full, read-only, I/O error) halts the run
        and is raised as a StoreError in plain words."""
        if self.write_inline:
            try:
                return fn(*args, **kwargs)
            except sqlite3.Error as exc:
                raise self._store_failed(exc) from exc
        return await self._on(asyncio.wrap_future(self.writer.submit(lambda: fn(*args, **kwargs))))

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run reader work (SyncReader) on the reading thread, in parallel with `db`."""
        loop = asyncio.get_running_loop()
        return await self._on(loop.run_in_executor(self._read_pool, lambda: fn(*args, **kwargs)))

    async def _on(self, work: Awaitable[T]) -> T:
        try:
            return await work
        except sqlite3.Error as exc:
            raise self._store_failed(exc) from exc

    def _store_failed(self, exc: sqlite3.Error) -> StoreError:
        err = explain(exc, self.store.path)
        if self.store_error is None:
            self.store_error = err
        return err

    def stop(self, answer: Answer) -> None:
        if self.stop_answer is None:
            self.stop_answer = answer
            self.summary.stopped_reason = answer.message
            self.summary.stopped_http_status = answer.http_status

    async def backoff(self, attempt: int) -> bool:
        """Wait before a retry; False when cancelled or stopped meanwhile."""
        ceiling = min(self.cfg.backoff_cap, self.cfg.backoff_base * 2 ** (attempt - 1))
        deadline = time.monotonic() + ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        while not self.halted:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, 0.05))
        return False

    def report(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.progress_cb is None or (not force and now - self.last_report < PROGRESS_INTERVAL):
            return
        self.last_report = now
        elapsed = max(now - self.phase_started, 1e-6)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else None
        s = self.summary
        counts = (s.delivered, s.rejected, s.failed)
        if self.phase == "profiles":  # the phase's counters count profiles
            counts = (s.profiles_upserted, 0, s.profiles_failed)
        self.progress_cb(
            Progress(
                str(self.operation),
                self.phase,
                self.done,
                self.total,
                *counts,
                round(rate, 1),
                eta,
            )
        )

    # -- phases ------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            async with CleverTapClient(self.cfg) as client, Precheck(self.cfg) as precheck:
                self.client, self.precheck = client, precheck
                halted = lambda: self.halted  # noqa: E731
                await settle_flagged(
                    precheck, self.store, self.where, self.summary, self.db, halted
                )
                await self.events_phase()
                if self.cfg.mode == "upload" and self.cfg.sync_profiles and not self.halted:
                    if self.operation == Operation.FULL_SYNC:
                        await self.profiles_phase(PROFILE_DUE)
                    elif await self.db(self.store.count, PROFILE_DUE_CHANGED):
                        # changed users' profiles follow at once: their event is not re-sent
                        await self.profiles_phase(PROFILE_DUE_CHANGED)
        finally:
            self.writer.shutdown()
            self._read_pool.shutdown(wait=True)
            self.reader.close()

    async def _pump(
        self,
        where: Due,
        chunk: int,
        handle: Callable[[Any], Awaitable[None]],
        prepare: Callable[[list[int]], Awaitable[Any]] | None = None,
        workers: int | None = None,
    ) -> None:
        """Producer/worker loop over due rowids: the producer reads the next chunk (and
        `prepare`s it) on the reading thread while the workers send and record."""
        workers = workers or self.cfg.concurrency
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=self.cfg.concurrency)

        async def produce() -> None:
            after = 0
            try:
                while not self.halted:
                    try:
                        ids = await self.read(self.reader.due_rowids, where, after, chunk)
                        if not ids:
                            break
                        after = ids[-1]
                        await queue.put(await prepare(ids) if prepare else ids)
                    except StoreError:
                        break  # self.store_error is raised once the workers are done
            finally:
                for _ in range(workers):
                    await queue.put(None)

        async def work() -> None:
            while (ids := await queue.get()) is not None:
                if not self.halted:
                    try:
                        await handle(ids)
                    except StoreError:
                        # self.store_error halts everyone; keep draining the queue so
                        # the producer and the other workers finish what is in flight.
                        continue

        await asyncio.gather(produce(), *(work() for _ in range(workers)))
        if self.store_error is not None:
            raise self.store_error

    async def events_phase(self) -> None:
        self.total = self.summary.total = await self.db(self.store.count, self.where)
        self.phase_started = time.monotonic()
        self.report(force=True)
        if self.cfg.mode == "attribution":
            await self._pump(self.where, ATTRIBUTION_CHUNK, self.send_attribution_chunk)
        else:
            # Twice the workers, `concurrency` request slots: while one worker records its
            # answer another claims and sends, so writing results never idles a slot.
            await self._pump(
                self.where,
                self.cfg.batch_size,
                self.send_upload_chunk,
                self.prepare_upload,
                workers=2 * self.cfg.concurrency,
            )
        self.summary.left_queued = max(0, self.total - self.done)
        self.report(force=True)

    async def profiles_phase(self, where: str) -> None:
        self.phase = "profiles"
        self.done = 0
        self.total = await self.db(self.store.count, where)
        self.phase_started = time.monotonic()
        self.report(force=True)
        after = 0
        sem = asyncio.Semaphore(self.cfg.concurrency)
        tasks: list[asyncio.Task[None]] = []
        while not self.halted:
            rows = await self.db(self.store.rows, where, after, self.cfg.batch_size)
            if not rows:
                break
            after = rows[-1]["rowid"]
            await sem.acquire()
            tasks.append(asyncio.create_task(self._send_profiles(rows, sem)))
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):  # e.g. StoreError: after all have finished
                raise result
        self.report(force=True)

    async def _send_profiles(self, rows: list[dict[str, Any]], sem: asyncio.Semaphore) -> None:
        try:
            result = await self.upload_with_retries(
                RecordBatch([profile_record(r) for r in rows]), None
            )
            self.summary.profiles_upserted += len(result.accepted)
            self.summary.profiles_failed += len(result.rejected) + len(result.failed)
            await self.db(
                self.store.mark_profiles,
                [(rows[i]["fingerprint"], rows[i]["rowid"]) for i in result.accepted],
            )
            bad = [
                Outcome.for_row(rows[i], "rejected", result.last_status, code, msg)
                for i, code, msg in result.rejected
            ] + [
                Outcome.for_row(rows[i], "failed", status, None, msg)
                for i, status, msg in result.failed
            ]
            await self.db(
                self.store.record,
                bad,
                run_id=self.summary.run_id,
                mode=self.cfg.mode,
                kind="profile",
            )
            self.done += len(rows) - len(result.unsent)
            self.report()
        finally:
            sem.release()

    # -- upload mode -------------------------------------------------------------------
    async def prepare_upload(self, ids: list[int]) -> UploadClaim:
        return await self.read(self.reader.prepare_upload, ids, self.where, self.sql_event_names)

    async def send_upload_chunk(self, prepared: UploadClaim) -> None:
        async with self.slots:  # claimed only when it can be sent at once
            answered = await self._claim_and_send(prepared)
        if answered is not None:  # the slot is free again: the next request goes meanwhile
            await self._record_upload(answered)

    async def _claim_and_send(self, prepared: UploadClaim) -> _Answered | None:
        claim = await self.db(self.store.claim_prepared, prepared, self.where, self.summary.run_id)
        if not claim:
            return None
        outcomes: list[Outcome] = []
        rowids = list(claim.plain_ids)
        others: list[dict[str, Any]] = []
        for row in claim.other_rows:  # rows SQLite did not build a record for
            rec = event_record(row, self.cfg)
            problem = event_record_problem(rec)
            if problem:  # CleverTap would refuse it: say so without sending
                outcomes.append(
                    Outcome.for_row(row, "rejected", None, problem[0], f"Not sent: {problem[1]}")
                )
            else:
                others.append(rec)
                rowids.append(row["rowid"])
        batch = claim.batch(others)
        sent = _SentRows(rowids)

        async def on_retry(indices: Sequence[int], answer: Answer) -> None:
            await self.db(
                self.store.record,
                [
                    Outcome.for_row(sent[i], "retry", answer.http_status, None, answer.message)
                    for i in indices
                ],
                run_id=self.summary.run_id,
                mode="upload",
            )

        result = await self.upload_with_retries(batch, on_retry) if batch else _Batch()
        return _Answered(sent, outcomes, result, claim.had_errors)

    async def _record_upload(self, answered: _Answered) -> None:
        result, rowids = answered.result, answered.sent.rowids
        # deliveries set-based, without an outcome object each
        delivered = [rowids[i] for i in result.accepted if i not in result.maybe_dup]
        result.accepted = [i for i in result.accepted if i in result.maybe_dup]
        outcomes = answered.outcomes + self._outcomes(answered.sent, result)
        await self.db(
            self.store.record,
            outcomes,
            run_id=self.summary.run_id,
            mode="upload",
            delivered_ids=delivered,
            clear_errors=answered.had_errors,
        )
        self.summary.delivered += len(delivered)
        self.done += len(delivered)
        self._count(outcomes)

    async def upload_with_retries(
        self,
        records: RecordBatch,
        on_retry: Callable[[Sequence[int], Answer], Awaitable[None]] | None,
    ) -> _Batch:
        result = _Batch()
        pending = list(range(len(records)))
        attempt = 0
        while pending:
            if self.halted:
                result.unsent += pending
                break
            if len(pending) == len(records):
                answer = await self.client.upload(records, records.body())
            else:
                answer = await self.client.upload([records[i] for i in pending])
            answered_at = time.monotonic()
            result.last_status = answer.http_status
            if answer.verdict is Verdict.STOP:
                self.stop(answer)
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
                failures = {
                    pending[f.index]: f for f in answer.failures if 0 <= f.index < len(pending)
                }
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
            if attempt > self.cfg.max_retries:
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
            if not await self.backoff(attempt):
                result.unsent += pending
                break
            pending = await self.precheck.before_resend(  # ask CleverTap before re-sending
                records,
                pending,
                result.maybe_dup,
                result.accepted,
                answered_at,
                answer.http_status is None,
                lambda: self.halted,
            )
        return result

    def _outcomes(self, rows: Sequence[dict[str, Any]], result: _Batch) -> list[Outcome]:
        out: list[Outcome] = []
        status = result.last_status
        for i in result.accepted:
            out.append(
                Outcome.for_row(
                    rows[i],
                    "delivered",
                    200,
                    maybe_duplicated=i in result.maybe_dup,
                )
            )
        for i, code, msg in result.rejected:
            out.append(
                Outcome.for_row(
                    rows[i],
                    "rejected",
                    200,
                    code,
                    msg,
                    i in result.maybe_dup,
                )
            )
        out += [
            Outcome.for_row(
                rows[i], "unmatched", 200, None, result.unmatched_message, i in result.maybe_dup
            )
            for i in result.unmatched
        ]
        for i, http_status, msg in result.failed:
            out.append(
                Outcome.for_row(
                    rows[i],
                    "failed",
                    http_status,
                    None,
                    msg,
                    i in result.maybe_dup,
                )
            )
        stopped = self.stop_answer
        for i in result.unsent:
            if stopped is not None:
                out.append(
                    Outcome.for_row(
                        rows[i],
                        "stopped",
                        stopped.http_status,
                        None,
                        stopped.message,
                        i in result.maybe_dup,
                    )
                )
            else:
                out.append(
                    Outcome.for_row(
                        rows[i],
                        "released",
                        status,
                        None,
                        "cancelled before sending",
                        i in result.maybe_dup,
                    )
                )
        return out

    def _count(self, outcomes: Sequence[Outcome]) -> None:
        s = self.summary
        for o in outcomes:
            if o.outcome == "delivered":
                s.delivered += 1
            elif o.outcome == "rejected":
                s.rejected += 1
            elif o.outcome == "failed":
                s.failed += 1
            elif o.outcome == "unmatched":
                s.unmatched += 1
            else:
                if o.maybe_duplicated and o.outcome == "stopped":
                    s.possibly_duplicated += 1
                continue
            self.done += 1
            if o.maybe_duplicated:
                s.possibly_duplicated += 1
        self.report()

    # -- attribution mode --------------------------------------------------------------
    async def send_attribution_chunk(self, ids: list[int]) -> None:
        rows = await self.db(self.store.claim, ids, self.where, self.summary.run_id)
        outcomes: list[Outcome] = []
        for row in rows:
            if self.halted:
                outcomes += self._outcomes([row], _Batch(unsent=[0]))
                continue
            outcomes += await self._attribution_one(row)
        await self.db(self.store.record, outcomes, run_id=self.summary.run_id, mode="attribution")
        self._count(outcomes)

    async def _attribution_one(self, row: dict[str, Any]) -> list[Outcome]:
        params = attribution_params(row, self.cfg)
        attempts: list[Outcome] = []
        maybe_dup = False
        attempt = 0
        while True:
            answer = await self.client.attribution(params)
            if answer.verdict is Verdict.OK:
                return [
                    *attempts,
                    Outcome.for_row(
                        row,
                        "delivered",
                        answer.http_status,
                        maybe_duplicated=maybe_dup,
                    ),
                ]
            if answer.verdict is Verdict.STOP:
                self.stop(answer)
                return [
                    *attempts,
                    Outcome.for_row(
                        row,
                        "stopped",
                        answer.http_status,
                        None,
                        answer.message,
                        maybe_dup,
                    ),
                ]
            maybe_dup = maybe_dup or answer.maybe_processed
            attempt += 1
            if attempt > self.cfg.max_retries:
                return [
                    *attempts,
                    Outcome.for_row(
                        row,
                        "failed",
                        answer.http_status,
                        None,
                        f"{answer.message} (gave up after {attempt} tries)",
                        maybe_dup,
                    ),
                ]
            attempts.append(Outcome.for_row(row, "retry", answer.http_status, None, answer.message))
            if not await self.backoff(attempt):
                return [
                    *attempts,
                    Outcome.for_row(
                        row,
                        "released",
                        answer.http_status,
                        None,
                        "cancelled before sending",
                        maybe_dup,
                    ),
                ]
