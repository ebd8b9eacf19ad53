"""`run_verify`: download what CleverTap holds for the local installs' date range,
page by page (each page committed), then judge every user. The CLI and the window call
this same function (the window on a worker thread, with `progress` and `cancel`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.clevertap.reads import (
    DEFAULT_READ_CONCURRENCY,
    MAX_BATCH_SIZE,
    CleverTapReader,
    CursorRefused,
    EventsPage,
    ReadApiError,
)
from lr_desktop.errors import UserFixableError
from lr_desktop.store import connect, runs, transaction
from lr_desktop.verify import attribution
from lr_desktop.verify.page_writer import PageWriter
from lr_desktop.verify.store import CheckStore, Segment, day_start, install_range, page_digest
from lr_desktop.verify.verdicts import judge_all, match_records

MAX_RESTARTS = 3  # a segment whose cursors keep being refused stops the check
# How long after delivery an event is surely in CleverTap's Get Events answers: UNCONFIRMED
# (CleverTap documents no delay). Events delivered later than this before the check
# are not judged missing, so a slow index never makes the app send a second copy.
DEFAULT_GRACE_SECONDS = 3600.0


class CheckAlreadyRunning(ValueError, UserFixableError):
    """Another check holds this database's verify lock."""


class Cancel(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class VerifyProgress:
    phase: str  # "download" | "judge"
    pages: int  # pages downloaded in this run
    records: int  # records held for the check so far
    expected: int  # local installs in the range (CleverTap's total is not known up front)
    segments_done: int
    segments: int
    rate: float  # records per second in this run

    @property
    def fraction(self) -> float:
        return 1.0 if not self.expected else min(1.0, self.records / self.expected)


@dataclass
class VerifySummary:
    check_id: int = 0
    run_id: int = 0
    since: str = ""
    until: str = ""
    state: str = "running"  # finished | cancelled | failed
    resumed: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    made_due: int = 0  # missing users put back in the queue
    confirmed: int = 0  # queued/failed users CleverTap holds: now delivered
    flags_cleared: int = 0  # "possibly duplicated" cleared: CleverTap holds one copy
    records: int = 0
    pages_downloaded: int = 0
    pages_skipped: int = 0  # a restarted query's pages already held
    api_calls: int = 0
    retries: int = 0
    restarts: int = 0  # queries started again after a refused (expired) cursor
    elapsed_seconds: float = 0.0
    judge_seconds: float = 0.0  # matching and verdicts, after the download
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write it YYYY-MM-DD, e.g. 2026-01-31") from None


def run_verify(
    db_path: Path | str,
    cfg: CleverTapConfig,
    *,
    since: str | None = None,
    until: str | None = None,
    progress: Callable[[VerifyProgress], None] | None = None,
    cancel: Cancel | None = None,
    concurrency: int = DEFAULT_READ_CONCURRENCY,
    batch_size: int = MAX_BATCH_SIZE,
    legacy_query: bool = False,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> VerifySummary:
    """Check what CleverTap holds; resumes an unfinished check over the same range.
    Raises ReadApiError (the summary on `.summary`) when the read API fails, and
    CheckAlreadyRunning when another check runs on this database."""
    lock = FileLock(str(db_path) + ".verify.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise CheckAlreadyRunning(
            "A CleverTap check is already running on this database (in the window or "
            "another program). Wait for it to finish."
        ) from None
    try:
        return _run(
            db_path,
            cfg,
            since,
            until,
            progress,
            cancel,
            concurrency,
            batch_size,
            legacy_query,
            grace_seconds,
        )
    finally:
        lock.release()


def _run(
    db_path: Path | str,
    cfg: CleverTapConfig,
    since: str | None,
    until: str | None,
    progress: Callable[[VerifyProgress], None] | None,
    cancel: Cancel | None,
    concurrency: int,
    batch_size: int,
    legacy_query: bool,
    grace_seconds: float,
) -> VerifySummary:
    started = time.monotonic()
    conn = connect(db_path, check_same_thread=False)  # the page writer's thread commits pages
    try:
        store = CheckStore(conn)
        span = install_range(conn)
        first = _parse_day(since) if since else (span[0] if span else date.today())
        last = _parse_day(until) if until else (span[1] if span else date.today())
        if last < first:
            raise ValueError("--until is before --since")
        summary = VerifySummary(since=first.isoformat(), until=last.isoformat())
        with transaction(conn):  # this process holds the verify lock: no other check runs
            runs.interrupt_running(conn, "verify")
            summary.run_id = runs.start_run(conn, "verify", "upload")
        old = store.unfinished()
        if old is not None and old[1:] == (summary.since, summary.until):
            summary.check_id, summary.resumed = old[0], True
            store.set_check_state(old[0], "running", summary.run_id)
        else:
            names = list(dict.fromkeys((cfg.organic_event, cfg.inorganic_event)))
            if attribution.wanted(conn, cfg):  # attribution installs are "UTM Visited"
                names.append(attribution.UTM_VISITED)
            summary.check_id = store.start_check(first, last, names, summary.run_id)
        low, high = day_start(first), day_start(last + timedelta(days=1))
        # from two index counts (installs in range, less those without a CleverTap ID)
        # rather than reading every row in the range
        (expected,) = conn.execute(
            "SELECT (SELECT count(*) FROM installs WHERE installed_at >= :lo "
            "AND installed_at < :hi) - (SELECT count(*) FROM installs "
            "WHERE clevertap_id IS NULL AND +installed_at >= :lo AND +installed_at < :hi)",
            {"lo": low, "hi": high},
        ).fetchone()
        job = _Download(store, summary, cfg, expected, progress, cancel, started)
        try:
            asyncio.run(job.run(concurrency, batch_size, legacy_query))
        except ReadApiError as exc:
            summary.error = str(exc)
            _finish(store, summary, "failed", started)
            exc.summary = summary  # type: ignore[attr-defined]
            raise
        if cancel is not None and cancel.is_set():
            _finish(store, summary, "cancelled", started)
            return summary
        job.report("judge")
        judging = time.monotonic()
        utm = any(s.event_name == attribution.UTM_VISITED for s in job.segments)
        with transaction(conn):
            match_records(conn, summary.check_id, everything=summary.resumed)
            if utm:
                attribution.match_utm(conn, summary.check_id, cfg)
            (began,) = conn.execute(
                "SELECT started_at FROM ct_checks WHERE id = ?", (summary.check_id,)
            ).fetchone()
            counts, settled = judge_all(
                conn, summary.check_id, cfg, low, high, began - grace_seconds
            )
            if utm:
                delta, more = attribution.judge_attribution(
                    conn, summary.check_id, cfg, low, high, began - grace_seconds
                )
                counts.update(delta)
                settled.update(more)
            store.forget_older(summary.check_id)
        summary.judge_seconds = round(time.monotonic() - judging, 3)
        summary.counts = dict(sorted((+counts).items()))  # + drops zero counts
        summary.made_due = settled["made_due"]
        summary.confirmed = settled["confirmed"]
        summary.flags_cleared = settled["flags_cleared"]
        _finish(store, summary, "finished", started)
        return summary
    finally:
        conn.close()


def _finish(store: CheckStore, summary: VerifySummary, state: str, started: float) -> None:
    summary.state = state
    summary.elapsed_seconds = round(time.monotonic() - started, 3)
    (summary.records,) = store.conn.execute(
        "SELECT coalesce(sum(records), 0) FROM ct_segments WHERE check_id = ?",
        (summary.check_id,),
    ).fetchone()
    with transaction(store.conn):
        store.conn.execute(
            "UPDATE ct_checks SET state = ?, ended_at = ?, summary = ? WHERE id = ?",
            (state, time.time(), json.dumps(summary.to_dict()), summary.check_id),
        )
        store.conn.execute(
            "UPDATE runs SET state = ?, ended_at = ?, total = ?, error = ?, detail = ? "
            "WHERE id = ?",
            (
                "stopped" if state == "failed" else state,
                time.time(),
                sum(summary.counts.values()),
                summary.error,
                json.dumps(summary.to_dict()),
                summary.run_id,
            ),
        )


class _Download:
    def __init__(
        self,
        store: CheckStore,
        summary: VerifySummary,
        cfg: CleverTapConfig,
        expected: int,
        progress: Callable[[VerifyProgress], None] | None,
        cancel: Cancel | None,
        started: float,
    ) -> None:
        self.store, self.summary, self.cfg = store, summary, cfg
        self.expected, self.progress, self.cancel, self.started = (
            expected,
            progress,
            cancel,
            started,
        )
        self.segments = store.segments(summary.check_id)
        self.new_records = 0
        self.writer: PageWriter

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def report(self, phase: str) -> None:
        if self.progress is None:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.progress(
            VerifyProgress(
                phase,
                self.summary.pages_downloaded,
                sum(s.records for s in self.segments),
                self.expected,
                sum(s.done for s in self.segments),
                len(self.segments),
                self.new_records / elapsed,
            )
        )

    async def run(self, concurrency: int, batch_size: int, legacy: bool) -> None:
        slots = asyncio.Semaphore(concurrency)  # segments downloading at once
        async with (
            CleverTapReader(self.cfg, concurrency=concurrency, legacy_query=legacy) as r,
            PageWriter() as writer,
        ):
            self.writer = writer
            # matching needs every install's event_id at hand: built while the first
            # pages download
            prepared = asyncio.ensure_future(writer.call(self.store.prepare_matching))

            async def one(seg: Segment) -> None:
                async with slots:
                    await self.segment(r, seg, batch_size)

            tasks = [asyncio.create_task(one(s)) for s in self.segments if not s.done]
            try:
                await asyncio.gather(prepared, *tasks)
            except BaseException:
                for t in tasks:  # one segment failed: stop the others before the client closes
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
            finally:
                self.summary.api_calls += r.calls
                self.summary.retries += r.retries

    async def segment(self, reader: CleverTapReader, seg: Segment, batch_size: int) -> None:
        cursor, page_no = seg.cursor, seg.at_page
        replay = seg.pages  # pages up to this number may already be held: compare digests
        restarts = 0
        ahead: asyncio.Task[EventsPage] | None = None  # the next page, asked for before a commit
        try:
            while not self.cancelled():
                if cursor is None:
                    cursor = await reader.start_events(
                        seg.event_name, seg.from_day, seg.to_day, batch_size
                    )
                    replay, page_no = seg.pages, 0
                try:
                    page = await (ahead or reader.page(cursor))
                except CursorRefused as exc:
                    restarts += 1
                    self.summary.restarts += 1
                    if restarts > MAX_RESTARTS:
                        raise ReadApiError(
                            f"CleverTap keeps refusing the page cursors of {seg.event_name} "
                            f"({seg.from_day}-{seg.to_day}): {exc}. Run the check again later."
                        ) from exc
                    cursor = ahead = None
                    continue
                ahead = None
                if page.next_cursor and not self.cancelled():
                    # CleverTap prepares the next page while this one is committed
                    ahead = asyncio.create_task(reader.page(page.next_cursor))
                page_no += 1
                if not await self._store_page(seg, page_no, page, replay):
                    replay = 0  # from here on CleverTap's pages differ from what is held
                self.report("download")
                if page.next_cursor is None:
                    return  # the segment is done once the writer commits this page
                cursor = page.next_cursor
        finally:
            if ahead is not None:
                ahead.cancel()
                await asyncio.gather(ahead, return_exceptions=True)

    async def _store_page(self, seg: Segment, page_no: int, page: EventsPage, replay: int) -> bool:
        """Hand a page to the writer, or skip it if the same page is held; True when
        skipped. Only a page that may be held is waited for."""
        digest = page_digest(page.body, page.next_cursor)
        if page_no <= replay:
            held = await self.writer.call(lambda: self.store.stored_digest(seg.id, page_no))
            if held == digest:
                await self.writer.call(
                    lambda: self.store.skip_page(seg, page_no, page.next_cursor)
                )
                self.summary.pages_skipped += 1
                return True

        def commit() -> None:
            self.store.commit_page(
                self.summary.check_id, seg, page_no, page.records, digest, page.next_cursor
            )

        await self.writer.hand_over(commit)
        # counted as handed over (every page handed over is committed before the judge)
        self.new_records += len(page.records)
        self.summary.pages_downloaded += 1
        return False
