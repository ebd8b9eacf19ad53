"""Pulling attributed users from the Linkrunner Data API into the queue.

Linkrunner's docs mark `display_id` required on /attributed-users, so a pull walks
/campaigns and pulls each campaign (as Airbyte's connector does), incremental on
`attributed_at` per campaign: each asks for [its high-water mark - overlap, now] and
commits page by page (idempotent upserts, so re-read overlap rows count as unchanged).
A campaign's mark (newest `attributed_at` seen) only advances once every page of that
campaign is committed, so a crash or cancel mid-campaign leaves it where it was and the
next pull re-reads the same window: no gaps, no duplicates. A campaign without a mark of
its own starts from the single mark of the pulls before campaigns (`high_water_mark`).
A campaign that errors or disappears is reported and the others go on; a rejected key
or a cancel ends the whole pull. One pull per database at a time.

What the answer leaves out (platform, type, network, CleverTap ID) is handled in
`derive.py`: users whose platform is unknown wait, with `NO_PLATFORM_REASON`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from lr_desktop.linkrunner.campaigns import CampaignResult, list_campaigns
from lr_desktop.linkrunner.client import (
    Cancelled,
    KeyRejected,
    LinkrunnerClient,
    LinkrunnerError,
    NotFound,
    RetryPolicy,
)
from lr_desktop.linkrunner.derive import Campaign
from lr_desktop.linkrunner.records import explain_waiting, map_records
from lr_desktop.linkrunner.report import PullProgress, PullReport
from lr_desktop.linkrunner.settings import (
    LinkrunnerSettings,
    effective_base_url,
    load_settings,
    resolve_api_key,
    update_settings,
)
from lr_desktop.store import connect, runs, transaction
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


class PullAlreadyRunning(LinkrunnerError):
    pass


def lock_for(db_path: Path) -> FileLock:
    return FileLock(str(db_path) + ".pull.lock")


def _finish_run(
    conn: sqlite3.Connection, report: PullReport, state: str, error: str | None
) -> None:
    detail = report.to_dict()
    detail["reasons"] = report.reasons[:100]
    runs.record_run(
        conn,
        report.run_id,
        state,
        total=report.records,
        rejected=report.rejected,
        error=error,
        detail=detail,
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
    report = PullReport(start=int(since) if since is not None else None, end=int(now()))
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
            runs.interrupt_running(conn, "pull")
            report.run_id = runs.start_run(conn, "pull", "api")
    except BaseException:
        client.close()  # its cancel watcher with it
        raise
    try:
        with client:
            campaigns = list_campaigns(
                client,
                page_size=page_size or settings.page_size,
                only=settings.display_ids,
                networks=settings.network_from_campaign,
            )
            report.campaigns = [CampaignResult(c.display_id, c.name, c.network) for c in campaigns]
            for number, (campaign, res) in enumerate(zip(campaigns, report.campaigns, strict=True)):
                mark = settings.mark_for(campaign.display_id)
                if since is not None:
                    res.start = int(since)
                elif mark is not None:
                    res.start = max(0, mark - overlap)
                try:
                    newest = _pull_campaign(
                        conn,
                        client,
                        report,
                        res,
                        campaign,
                        mark,
                        settings,
                        page_size,
                        progress,
                        (number, len(campaigns)),
                    )
                except (Cancelled, KeyRejected):
                    raise
                except NotFound:
                    res.state, res.error = "gone", "no longer in Linkrunner"
                    res.high_water_mark = mark
                    continue
                except LinkrunnerError as exc:
                    res.state, res.error = "failed", str(exc)
                    res.high_water_mark = mark
                    log.warning("Linkrunner campaign %s not pulled: %s", campaign.display_id, exc)
                    continue
                if newest is not None:
                    # A server that ignores end_timestamp must not push the mark past "now".
                    newest = min(newest, max(report.end, mark or 0))
                res.state, res.high_water_mark = "pulled", newest
                with transaction(conn):
                    if newest is not None:
                        marks = dict(load_settings(conn).campaign_marks)
                        marks[campaign.display_id] = newest
                        update_settings(conn, campaign_marks=marks)
                    _finish_run(conn, report, "running", None)
    except Cancelled:
        report.cancelled = True
        for res in report.campaigns:
            if res.state == "pending":
                res.state = "cancelled"
        report.high_water_mark = load_settings(conn).newest_mark
        with transaction(conn):
            _finish_run(conn, report, "cancelled", None)
        return report
    except BaseException as exc:
        report.high_water_mark = load_settings(conn).newest_mark
        with transaction(conn):
            _finish_run(conn, report, "stopped", str(exc) if isinstance(exc, Exception) else None)
        raise
    failed = report.failed_campaigns
    error = (
        f"{len(failed)} of {len(report.campaigns)} campaigns not pulled: "
        + "; ".join(c.describe() for c in failed[:5])
        if failed
        else None
    )
    with transaction(conn):
        report.high_water_mark = update_settings(conn, last_pull_at=time.time()).newest_mark
        _finish_run(conn, report, "finished", error)
    return report


def _pull_campaign(
    conn: sqlite3.Connection,
    client: LinkrunnerClient,
    report: PullReport,
    res: CampaignResult,
    campaign: Campaign,
    mark: int | None,
    settings: LinkrunnerSettings,
    page_size: int | None,
    progress: Callable[[PullProgress], None] | None,
    position: tuple[int, int],  # (campaigns done before this one, campaigns in all)
) -> int | None:
    """Every page of one campaign, each committed; the newest attributed_at seen."""
    newest = mark
    pages = client.iter_attributed_users(
        display_id=campaign.display_id,
        limit=page_size or settings.page_size,
        start=res.start,
        end=report.end,
        timezone=settings.timezone,
    )
    for page in pages:
        items, no_platform = map_records(page.records, report, res, campaign)
        with transaction(conn):
            counts = upsert_attributions(conn, items, source=SOURCE)
            waiting = explain_waiting(conn, items, no_platform)
            _count(report, counts)
            _count(res, counts)
            res.waiting_platform += waiting
            report.waiting_platform += waiting
            report.pages += 1
            res.pages += 1
            _finish_run(conn, report, "running", None)  # progress survives a crash
        for item in items:
            if item.attributed_at is not None and (newest is None or item.attributed_at > newest):
                newest = item.attributed_at
        if progress is not None:
            progress(_progress(report, page.total, campaign.display_id, *position))
    return newest


def _count(report: PullReport | CampaignResult, counts: UpsertCounts) -> None:
    report.imported += counts.imported
    report.updated += counts.updated
    report.unchanged += counts.unchanged


def _progress(
    r: PullReport, total: int | None, campaign: str, done: int, campaigns: int
) -> PullProgress:
    return PullProgress(
        r.pages,
        r.records,
        r.imported,
        r.updated,
        r.unchanged,
        r.rejected,
        total,
        campaign,
        done,
        campaigns,
    )


# -- the automatic loop ------------------------------------------------------------------


@dataclass
class WatchCycle:
    """What one round of `watch` did."""

    report: PullReport | None = None
    summary: Any = None  # lr_desktop.sync.SyncSummary when a send ran
    error: str | None = None  # pull or send problem (the loop goes on)


def _due(db_path: Path) -> int:
    from lr_desktop.sync.ledger import DUE_PENDING

    conn = connect(db_path)
    try:
        return int(
            conn.execute(f"SELECT count(*) FROM installs WHERE {DUE_PENDING.sql}").fetchone()[0]
        )
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
