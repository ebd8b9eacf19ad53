"""The sync engine: one engine for "send pending" and "Sync with CleverTap", in both
delivery modes, used by the CLI and the GUI alike.

Shape: a producer walks due events by rowid (keyset, so 1,000,000 rows cost one pass),
`concurrency` workers claim a chunk (marking it in flight in one transaction), send it,
retry what is retryable with exponential backoff and jitter (`sync.retry`, the one loop
for both modes), and record every attempt. This module is the shared plumbing; the
sending is in `sync.upload` and `sync.attribution`. In upload mode SQLite works on two
threads of its own (a reader finds due events and builds requests, a writer claims and
records) so the event loop keeps the sockets busy; attribution mode's small claims and
results run on the event loop (`write_inline`).
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
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from lr_desktop.clevertap.client import Answer, CleverTapClient
from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.errors import explain
from lr_desktop.store import StoreError
from lr_desktop.sync.attribution import AttributionSender
from lr_desktop.sync.checkpoint import Checkpointer
from lr_desktop.sync.due import (
    PROFILE_DUE,
    PROFILE_DUE_CHANGED,
    Due,
    Outcome,
    Result,
    due_condition,
)
from lr_desktop.sync.ledger import SyncStore
from lr_desktop.sync.precheck import Precheck, settle_flagged
from lr_desktop.sync.reader import SyncReader
from lr_desktop.sync.scope import SecondCopies, second_copies
from lr_desktop.sync.types import (
    ConfigurationProblem,
    CredentialsRejected,
    Operation,
    Progress,
    RequestRefused,
    RunState,
    SyncAlreadyRunning,
    SyncSummary,
)
from lr_desktop.sync.upload import UploadSender
from lr_desktop.sync.writer import CombiningWriter

T = TypeVar("T")
ProgressCallback = Callable[[Progress], None]
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
            raise explain(exc, db_path)  # noqa: B904 - a StoreError carries exc as its cause
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
    engine = Engine(
        store,
        cfg,
        operation,
        due_condition(operation, resend_delivered, copies.send_changed),
        summary,
        progress,
        cancel or threading.Event(),
        random.Random(seed),
    )
    state = RunState.FINISHED
    try:
        asyncio.run(engine.run())
    except BaseException:
        state = RunState.CRASHED
        raise
    finally:
        summary.elapsed_seconds = round(time.monotonic() - started, 3)
        summary.waiting_for_clevertap_id = store.waiting()
        if summary.stopped_reason:
            state = RunState.STOPPED
        elif engine.cancel.is_set():
            summary.cancelled = True
            state = RunState.CANCELLED
        try:
            store.finish_run(summary, state)
        except (StoreError, sqlite3.Error):
            if state != RunState.CRASHED:
                raise
    if summary.stopped_reason:
        error = CredentialsRejected if summary.stopped_http_status == 401 else RequestRefused
        raise error(summary.stopped_reason, summary)
    return summary


class Engine:
    """One run's shared plumbing: the database threads, halting, backoff, progress and
    the producer/worker loop; `UploadSender` and `AttributionSender` do the sending."""

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
        self.checkpointer = None if self.write_inline else Checkpointer(store.path, store.conn)
        self.writer = CombiningWriter(
            store, after_commit=self.checkpointer.nudge if self.checkpointer else None
        )
        self._read_pool = ThreadPoolExecutor(1, thread_name_prefix="lr-sync-read")
        self.reader = SyncReader(store.path)

    # -- plumbing ----------------------------------------------------------------------
    @property
    def halted(self) -> bool:
        return self.cancel.is_set() or self.stop_answer is not None or self.store_error is not None

    @property
    def max_retries(self) -> int:
        return self.cfg.max_retries

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run store work on the database thread (attribution mode: right here, see
        `write_inline`). A sqlite3 error (disk full, read-only, I/O error) halts the run
        and is raised as a StoreError in plain words."""
        return await self._write(False, fn, *args, **kwargs)

    async def db_first(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`db` for a write a request waits for (a claim): ahead of queued results."""
        return await self._write(True, fn, *args, **kwargs)

    async def _write(self, first: bool, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self.write_inline:
            try:
                return fn(*args, **kwargs)
            except sqlite3.Error as exc:
                raise self._store_failed(exc)  # noqa: B904 - carries exc as its cause
        job = self.writer.submit(lambda: fn(*args, **kwargs), first)
        return await self._on(asyncio.wrap_future(job))

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run reader work (SyncReader) on the reading thread, in parallel with `db`."""
        loop = asyncio.get_running_loop()
        return await self._on(loop.run_in_executor(self._read_pool, lambda: fn(*args, **kwargs)))

    async def _on(self, work: Awaitable[T]) -> T:
        try:
            return await work
        except sqlite3.Error as exc:
            raise self._store_failed(exc)  # noqa: B904 - carries exc as its cause

    def _store_failed(self, exc: sqlite3.Error) -> Exception:
        err = explain(exc, self.store.path)  # a bug comes back as itself and propagates
        if self.store_error is None and isinstance(err, StoreError):
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
                if self.cfg.mode == "attribution":
                    await self.events_phase(AttributionSender(self))
                else:
                    upload = UploadSender(self)
                    await self.events_phase(upload)
                    if self.cfg.sync_profiles and not self.halted:
                        if self.operation == Operation.FULL_SYNC:
                            await upload.profiles_phase(PROFILE_DUE)
                        elif await self.db(self.store.count, PROFILE_DUE_CHANGED):
                            # changed users' profiles follow at once: their event is not re-sent
                            await upload.profiles_phase(PROFILE_DUE_CHANGED)
        finally:
            self.writer.shutdown()
            if self.checkpointer is not None:
                self.checkpointer.close()
            self._read_pool.shutdown(wait=True)
            self.reader.close()

    async def pump(
        self,
        where: Due,
        chunk: int,
        handle: Callable[[Any], Awaitable[None]],
        fetch: Callable[[int], Awaitable[tuple[int, Any]]] | None = None,
        workers: int | None = None,
    ) -> None:
        """Producer/worker loop over due events: the producer reads the next chunk on the
        reading thread while the workers send and record. `fetch(after)` gives the next
        chunk after rowid `after` as (its last rowid or 0 when done, the chunk); by
        default the chunk is the due rowids."""
        workers = workers or self.cfg.concurrency
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=self.cfg.concurrency)

        async def due_ids(after: int) -> tuple[int, list[int]]:
            ids = await self.read(self.reader.due_rowids, where, after, chunk)
            return (ids[-1] if ids else 0), ids

        async def produce() -> None:
            after = 0
            try:
                while not self.halted:
                    try:
                        after, item = await (fetch or due_ids)(after)
                        if not after:
                            break
                        await queue.put(item)
                    except StoreError:
                        break  # self.store_error is raised once the workers are done
            finally:
                for _ in range(workers):
                    await queue.put(None)

        async def work() -> None:
            while (item := await queue.get()) is not None:
                if not self.halted:
                    try:
                        await handle(item)
                    except StoreError:
                        # self.store_error halts everyone; keep draining the queue so
                        # the producer and the other workers finish what is in flight.
                        continue

        await asyncio.gather(produce(), *(work() for _ in range(workers)))
        if self.store_error is not None:
            raise self.store_error

    async def events_phase(self, sender: UploadSender | AttributionSender) -> None:
        self.total = self.summary.total = await self.db(self.store.count, self.where)
        self.phase_started = time.monotonic()
        self.report(force=True)
        await sender.events()
        self.summary.left_queued = max(0, self.total - self.done)
        self.report(force=True)

    def count(self, outcomes: Sequence[Outcome]) -> None:
        """Add attempts' outcomes to the summary and the progress."""
        s = self.summary
        for o in outcomes:
            if o.outcome == Result.DELIVERED:
                s.delivered += 1
            elif o.outcome == Result.REJECTED:
                s.rejected += 1
            elif o.outcome == Result.FAILED:
                s.failed += 1
            elif o.outcome == Result.UNMATCHED:
                s.unmatched += 1
            else:
                if o.maybe_duplicated and o.outcome == Result.STOPPED:
                    s.possibly_duplicated += 1
                continue
            self.done += 1
            if o.maybe_duplicated:
                s.possibly_duplicated += 1
        self.report()
