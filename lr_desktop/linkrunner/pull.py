"""Pulling attributed users from the Linkrunner Data API into the queue.

Incremental on `attributed_at`: each pull asks for [high-water mark - overlap, now] and
commits page by page (idempotent upserts, so re-read overlap rows count as unchanged).
The high-water mark (newest `attributed_at` seen) only advances once every page of the
pull is committed, so a crash or cancel mid-pull leaves it where it was and the next
pull re-reads the same window: no gaps, no duplicates. One pull per database at a time.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from lr_desktop.linkrunner.client import (
    Cancelled,
    LinkrunnerClient,
    LinkrunnerError,
    RetryPolicy,
)
from lr_desktop.linkrunner.settings import (
    LinkrunnerSettings,
    effective_base_url,
    load_settings,
    resolve_api_key,
    update_settings,
)
from lr_desktop.mapping import RowProblem, attribution_from_record
from lr_desktop.model import Attribution
from lr_desktop.store import connect, transaction
from lr_desktop.store.queue import UpsertCounts, upsert_attributions

__all__ = [
    "SOURCE",
    "PullAlreadyRunning",
    "PullProgress",
    "PullReport",
    "WatchCycle",
    "pull_once",
    "watch",
]

log = logging.getLogger(__name__)

SOURCE = "linkrunner-api"
MAX_REASONS = 200  # rejected records kept with their reason (all are counted)


class PullAlreadyRunning(LinkrunnerError):
    pass


@dataclass
class PullReport:
    run_id: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (record, reason)
    pages: int = 0
    records: int = 0
    start: int | None = None  # window asked for (epoch seconds)
    end: int | None = None
    high_water_mark: int | None = None  # after this pull
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PullProgress:
    pages: int
    records: int
    imported: int
    updated: int
    unchanged: int
    rejected: int
    total: int | None  # users in the window, when Linkrunner says


def lock_for(db_path: Path) -> FileLock:
    return FileLock(str(db_path) + ".pull.lock")


def _map(records: list[dict[str, Any]], report: PullReport) -> list[Attribution]:
    items: list[Attribution] = []
    for raw in records:
        report.records += 1
        try:
            items.append(attribution_from_record(raw))
        except RowProblem as exc:
            report.rejected += 1
            if len(report.reasons) < MAX_REASONS:
                report.reasons.append((_label(raw, report.records), exc.reason))
    return items


def _label(raw: Any, number: int) -> str:
    if isinstance(raw, dict):
        uid = raw.get("user_id") or (raw.get("user_data") or {}).get("id")
        if isinstance(uid, str | int) and str(uid).strip():
            return f"user {str(uid)[:60]}"
    return f"record {number}"


def _finish_run(
    conn: sqlite3.Connection, report: PullReport, state: str, error: str | None
) -> None:
    detail = report.to_dict()
    detail["reasons"] = report.reasons[:100]
    conn.execute(
        "UPDATE runs SET ended_at = ?, state = ?, total = ?, rejected = ?, error = ?, detail = ? "
        "WHERE id = ?",
        (
            time.time(),
            state,
            report.records,
            report.rejected,
            error,
            json.dumps(detail),
            report.run_id,
        ),
    )


def pull_once(
    db_path: Path | str,
    *,
    api_key: str,
    base_url: str | None = None,
    since: int | None = None,
    overlap_seconds: int | None = None,
    progress: Callable[[PullProgress], None] | None = None,
    cancel: threading.Event | None = None,
    retry: RetryPolicy | None = None,
    requests_per_second: float | None = None,
    page_size: int | None = None,
    now: Callable[[], float] = time.time,
) -> PullReport:
    """One incremental pull. `since` (epoch seconds) overrides the stored high-water mark;
    `base_url` (loopback only) overrides settings and LR_LINKRUNNER_ENDPOINT.

    Raises KeyRejected, LinkrunnerUnavailable, BadAnswer (the run is recorded as stopped),
    PullAlreadyRunning, StoreError, EndpointRefused. A cancel returns with `cancelled`.
    """
    db_path = Path(db_path)
    lock = lock_for(db_path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise PullAlreadyRunning(
            "A pull from Linkrunner is already running on this database; wait for it to finish."
        ) from None
    try:
        conn = connect(db_path)
        try:
            return _pull(
                conn,
                api_key,
                base_url,
                since,
                overlap_seconds,
                progress,
                cancel,
                retry,
                requests_per_second,
                page_size,
                now,
            )
        finally:
            conn.close()
    finally:
        lock.release()


def _pull(
    conn: sqlite3.Connection,
    api_key: str,
    base_url: str | None,
    since: int | None,
    overlap_seconds: int | None,
    progress: Callable[[PullProgress], None] | None,
    cancel: threading.Event | None,
    retry: RetryPolicy | None,
    requests_per_second: float | None,
    page_size: int | None,
    now: Callable[[], float],
) -> PullReport:
    settings = load_settings(conn)
    overlap = settings.overlap_seconds if overlap_seconds is None else overlap_seconds
    report = PullReport()
    if since is not None:
        report.start = int(since)
    elif settings.high_water_mark is not None:
        report.start = max(0, settings.high_water_mark - overlap)
    report.end = int(now())
    client = LinkrunnerClient(
        api_key,
        base_url=base_url or effective_base_url(settings),
        requests_per_second=requests_per_second or settings.requests_per_second,
        retry=retry,
        cancel=cancel,
    )
    try:
        with transaction(conn):
            # Only one pull runs at a time (the lock): a "running" pull row is a dead one.
            conn.execute(
                "UPDATE runs SET state = 'interrupted', ended_at = coalesce(ended_at, ?) "
                "WHERE kind = 'pull' AND state = 'running'",
                (time.time(),),
            )
            cur = conn.execute(
                "INSERT INTO runs (kind, mode, started_at, state) "
                "VALUES ('pull', 'api', ?, 'running')",
                (time.time(),),
            )
    except BaseException:
        client.close()  # its cancel watcher with it
        raise
    report.run_id = int(cur.lastrowid or 0)
    newest = settings.high_water_mark
    try:
        with client:
            for display_id in settings.display_ids or [None]:
                pages = client.iter_attributed_users(
                    limit=page_size or settings.page_size,
                    start=report.start,
                    end=report.end,
                    display_id=display_id,
                    timezone=settings.timezone,
                )
                for page in pages:
                    items = _map(page.records, report)
                    with transaction(conn):
                        counts = upsert_attributions(conn, items, source=SOURCE)
                        _count(report, counts)
                        report.pages += 1
                        _finish_run(conn, report, "running", None)  # progress survives a crash
                    for item in items:
                        if item.attributed_at is not None and (
                            newest is None or item.attributed_at > newest
                        ):
                            newest = item.attributed_at
                    if progress is not None:
                        progress(_progress(report, page.total))
    except Cancelled:
        report.cancelled = True
        report.high_water_mark = settings.high_water_mark
        with transaction(conn):
            _finish_run(conn, report, "cancelled", None)
        return report
    except BaseException as exc:
        report.high_water_mark = settings.high_water_mark
        with transaction(conn):
            _finish_run(conn, report, "stopped", str(exc) if isinstance(exc, Exception) else None)
        raise
    if newest is not None and report.end is not None:
        # A server that ignores end_timestamp must not push the mark past our "now".
        newest = min(newest, max(report.end, settings.high_water_mark or 0))
    report.high_water_mark = newest
    with transaction(conn):
        update_settings(conn, high_water_mark=newest, last_pull_at=time.time())
        _finish_run(conn, report, "finished", None)
    return report


def _count(report: PullReport, counts: UpsertCounts) -> None:
    report.imported += counts.imported
    report.updated += counts.updated
    report.unchanged += counts.unchanged


def _progress(r: PullReport, total: int | None) -> PullProgress:
    return PullProgress(r.pages, r.records, r.imported, r.updated, r.unchanged, r.rejected, total)


# -- the automatic loop ------------------------------------------------------------------


@dataclass
class WatchCycle:
    """What one round of `watch` did."""

    report: PullReport | None = None
    summary: Any = None  # lr_desktop.sync.SyncSummary when a send ran
    error: str | None = None  # pull or send problem (the loop goes on)


def _due(db_path: Path) -> int:
    from lr_desktop.sync.state import DUE_PENDING

    conn = connect(db_path)
    try:
        return conn.execute(f"SELECT count(*) FROM installs WHERE {DUE_PENDING.sql}").fetchone()[0]
    finally:
        conn.close()


def run_cycle(
    db_path: Path | str,
    *,
    send_automatically: bool,
    stop: threading.Event,
    api_key: str | None = None,
    base_url: str | None = None,
    pull_kwargs: dict[str, Any] | None = None,
) -> WatchCycle:
    """One pull, then (when asked and something is due) one send of pending events."""
    from lr_desktop.clevertap.credentials import effective_config
    from lr_desktop.sync import Operation, SyncError, run_sync

    db_path = Path(db_path)
    cycle = WatchCycle()
    try:
        key = api_key or resolve_api_key()
        cycle.report = pull_once(
            db_path, api_key=key or "", base_url=base_url, cancel=stop, **(pull_kwargs or {})
        )
    except Exception as exc:  # reported; the next round tries again
        cycle.error = str(exc)
        return cycle
    if not send_automatically or stop.is_set() or not _due(db_path):
        return cycle
    try:
        conn = connect(db_path)
        try:
            cfg = effective_config(conn)
        finally:
            conn.close()
        cycle.summary = run_sync(db_path, cfg, Operation.SEND_PENDING, cancel=stop)
    except SyncError as exc:
        cycle.summary, cycle.error = exc.summary, str(exc)
    except Exception as exc:
        cycle.error = str(exc)
    return cycle


def watch(
    db_path: Path | str,
    *,
    interval_seconds: float,
    send_automatically: bool,
    stop: threading.Event,
    on_report: Callable[[WatchCycle], None] | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    pull_kwargs: dict[str, Any] | None = None,
) -> None:
    """Pull (and send) every `interval_seconds` until `stop` is set; returns promptly then.

    The key is read afresh each round (LR_LINKRUNNER_KEY or the keyring) unless given, so
    a key fixed in the settings is picked up without a restart.
    """
    while not stop.is_set():
        cycle = run_cycle(
            db_path,
            send_automatically=send_automatically,
            stop=stop,
            api_key=api_key,
            base_url=base_url,
            pull_kwargs=pull_kwargs,
        )
        if cycle.error:
            log.warning("Linkrunner watch: %s", cycle.error)
        if on_report is not None:
            on_report(cycle)
        if stop.wait(interval_seconds):
            return


def settings_for(db_path: Path | str) -> LinkrunnerSettings:
    """The stored Linkrunner settings of a database."""
    conn = connect(db_path)
    try:
        return load_settings(conn)
    finally:
        conn.close()
