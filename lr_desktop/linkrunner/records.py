"""A page of Data API records -> Attributions (derive.py fills what the answer leaves
out), and the reason stored for users who wait because the platform is unknown."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lr_desktop.fieldmap import RowProblem, attribution_from_record
from lr_desktop.linkrunner.campaigns import CampaignResult
from lr_desktop.linkrunner.derive import NO_PLATFORM_REASON, UNKNOWN_PLATFORM, Campaign, prepare
from lr_desktop.model import Attribution

if TYPE_CHECKING:
    from lr_desktop.linkrunner.report import PullReport

MAX_REASONS = 200  # rejected records kept with their reason (all are counted)


def map_records(
    records: list[dict[str, Any]], report: PullReport, res: CampaignResult, campaign: Campaign
) -> tuple[list[Attribution], set[str]]:
    """The page's users, and the ids of those whose platform is unknown."""
    items: list[Attribution] = []
    no_platform: set[str] = set()
    for raw in records:
        report.records += 1
        res.records += 1
        prepared = prepare(raw, campaign)
        try:
            item = attribution_from_record(prepared.record)
        except RowProblem as exc:
            report.rejected += 1
            res.rejected += 1
            if len(report.reasons) < MAX_REASONS:
                report.reasons.append((_label(raw, report.records), exc.reason))
            continue
        for name in prepared.inferred:
            report.inferred[name] = report.inferred.get(name, 0) + 1
        if prepared.platform_unknown:
            item = replace(item, platform=UNKNOWN_PLATFORM)
            no_platform.add(item.user_id)
        items.append(item)
    return items, no_platform


def explain_waiting(
    conn: sqlite3.Connection, items: list[Attribution], no_platform: set[str]
) -> int:
    """Say why users without a platform wait; clear that reason once one is known.
    Returns how many of `no_platform` still wait for it (a known platform is kept)."""
    waiting = [(NO_PLATFORM_REASON, i.user_id) for i in items if i.user_id in no_platform]
    known = [(i.user_id, NO_PLATFORM_REASON) for i in items if i.user_id not in no_platform]
    before = conn.total_changes
    conn.executemany(
        "UPDATE installs SET last_error = ? WHERE user_id = ? AND platform = '' "
        "AND status = 'waiting_id'",
        waiting,
    )
    still_waiting = conn.total_changes - before
    conn.executemany(
        "UPDATE installs SET last_error = NULL WHERE user_id = ? AND last_error = ?", known
    )
    return still_waiting


def _label(raw: Any, number: int) -> str:
    if isinstance(raw, dict):
        uid = raw.get("user_id") or (raw.get("user_data") or {}).get("id")
        if isinstance(uid, str | int) and str(uid).strip():
            return f"user {str(uid)[:60]}"
    return f"record {number}"
