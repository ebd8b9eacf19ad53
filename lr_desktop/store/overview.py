"""The Overview's numbers and charts and the history's runs (Qt-free), from the summary
tables the triggers keep (store/summary.py), so they take the same time at any size."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lr_desktop.model import INORGANIC, ORGANIC, Status
from lr_desktop.store import summary
from lr_desktop.store.reads import open_read


@dataclass
class OverviewStats:
    counts: dict[str, int]
    per_day: list[tuple[str, int, int]]  # (YYYY-MM-DD, organic, inorganic), oldest first
    by_network: list[tuple[str, int]]
    top_campaigns: list[tuple[str, int]]
    future_dated: int = 0  # installs dated after today (not in per_day)


def _distinct(conn: sqlite3.Connection, col: str) -> list[Any]:
    """Distinct non-NULL values of an indexed column: one index seek per value."""
    out: list[Any] = []
    v = conn.execute(f"SELECT min({col}) FROM installs").fetchone()[0]
    while v is not None:
        out.append(v)
        v = conn.execute(f"SELECT min({col}) FROM installs WHERE {col} > ?", (v,)).fetchone()[0]
    return out


def _count(conn: sqlite3.Connection, where: str, params: Sequence[Any] = ()) -> int:
    return int(conn.execute(f"SELECT count(*) FROM installs WHERE {where}", params).fetchone()[0])


def status_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Users per delivery state, plus the totals `lr-desktop status` and the Overview
    show (both call this, so they cannot drift): sums over the summary table (no scan
    of `installs`), or index range counts while the summary is stale (a bulk load)."""
    # The counts below read the summary or indexes only; this reads the table's own
    # b-tree (its root page to its last leaf: a few pages), so a damaged table is
    # reported, not hidden by them.
    conn.execute("SELECT max(rowid) FROM installs").fetchone()
    with summary.snapshot(conn):
        if not summary.live(conn):
            return _scanned_status_counts(conn)
        counts = {str(s): 0 for s in Status}
        counts.update(summary.status_rows(conn))
        totals = dict.fromkeys(_TOTALS, 0)
        for kind, n in summary.type_rows(conn):
            totals["attributed"] += n
            if kind in (ORGANIC, INORGANIC):
                totals[kind.lower()] += n
        totals["without_clevertap_id"], totals["possibly_duplicated"] = summary.totals_row(conn)
        counts.update(totals)
        return counts


_TOTALS = ("attributed", "organic", "inorganic", "without_clevertap_id", "possibly_duplicated")


def _scanned_status_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """status_counts from index range counts (they grow with the users)."""
    counts = {str(s): 0 for s in Status}
    for status in _distinct(conn, "status"):
        counts[status] = _count(conn, "status = ?", (status,))
    counts.update(
        attributed=int(conn.execute("SELECT count(*) FROM installs").fetchone()[0]),
        organic=_count(conn, "attribution_type = ?", (ORGANIC,)),
        inorganic=_count(conn, "attribution_type = ?", (INORGANIC,)),
        without_clevertap_id=_count(conn, "clevertap_id IS NULL"),
        possibly_duplicated=int(
            conn.execute(
                "SELECT coalesce(sum(possibly_duplicated), 0) FROM installs "
                "WHERE possibly_duplicated != 0"
            ).fetchone()[0]
        ),
    )
    return counts


def overview_counts(conn: sqlite3.Connection, *, top: int = 10) -> dict[str, Any]:
    """`status_counts` and the top campaigns."""
    with summary.snapshot(conn):
        counts: dict[str, Any] = dict(status_counts(conn))
        if summary.live(conn):
            counts["top_campaigns"] = summary.top_campaigns(conn, top)
            return counts
        counts["top_campaigns"] = list(
            conn.execute(
                "SELECT campaign_name, count(*) FROM installs WHERE campaign_name IS NOT NULL "
                "GROUP BY campaign_name ORDER BY 2 DESC, 1 LIMIT ?",
                (top,),
            )
        )
        return counts


def overview_charts(
    conn: sqlite3.Connection, *, days: int = 30, now: float | None = None
) -> dict[str, Any]:
    """Installs per UTC day of the last `days` days (organic / other); inorganic installs
    per network. The days end at the newest install, or today if that is later: an
    install dated in the future (a wrong clock, a bad file) is counted in "future"
    instead of squeezing the chart down to its own day. The first day is the part of
    it after `newest - days`: the summary's count of that day corrected by a range
    count of the smaller part of it."""
    today_ends = (int(time.time() if now is None else now) // 86400 + 1) * 86400
    with summary.snapshot(conn):
        if not summary.live(conn):
            return _scanned_charts(conn, days, today_ends)
        last = conn.execute("SELECT max(installed_at) FROM installs").fetchone()[0]
        per_day: list[tuple[str, int, int]] = []
        future = 0
        if last is not None:
            last = min(int(last), today_ends - 1)
            since = last - days * 86400  # rows after `since`, as before
            first = since // 86400
            shares: dict[int, list[int]] = {}
            for day, kind, n in summary.day_rows(conn, first):
                if day * 86400 >= today_ends:
                    future += n
                    continue
                if day == first:
                    n = _first_day(conn, kind, n, first, since)
                shares.setdefault(day, [0, 0])[kind != ORGANIC] += n
            for day in range(first, last // 86400 + 1):
                o, i = shares.get(day, (0, 0))
                if o or i:
                    per_day.append((time.strftime("%Y-%m-%d", time.gmtime(day * 86400)), o, i))
        by_network = sorted(
            ((n or "(none)", c) for n, c in summary.networks(conn, ORGANIC)),
            key=lambda x: (-x[1], x[0]),
        )
        return {"per_day": per_day, "by_network": by_network, "future": future}


def _first_day(conn: sqlite3.Connection, kind: str, n: int, day: int, since: int) -> int:
    """Installs of `kind` on `day` after `since` (inside that day), given the `n` of the
    whole day: counts whichever part of the day is shorter."""
    lo, hi = day * 86400, (day + 1) * 86400
    where = "attribution_type = ? AND installed_at >= ? AND installed_at < ?"
    if since + 1 - lo <= hi - since - 1:
        return n - _count(conn, where, (kind, lo, since + 1))
    return _count(conn, where, (kind, since + 1, hi))


def _scanned_charts(conn: sqlite3.Connection, days: int, today_ends: int) -> dict[str, Any]:
    """overview_charts from range counts on (attribution_type, installed_at)."""
    types = _distinct(conn, "attribution_type")
    last = conn.execute("SELECT max(installed_at) FROM installs").fetchone()[0]
    per_day: list[tuple[str, int, int]] = []
    future = 0
    if last is not None and int(last) >= today_ends:
        for t in types:
            future += _count(conn, "attribution_type = ? AND installed_at >= ?", (t, today_ends))
        last = today_ends - 1
    if last is not None:
        since = int(last) - days * 86400  # rows after `since`, as before
        for day in range(since // 86400, int(last) // 86400 + 1):
            lo, hi = max(day * 86400, since + 1), (day + 1) * 86400
            o = i = 0
            for t in types:
                n = _count(
                    conn,
                    "attribution_type = ? AND installed_at >= ? AND installed_at < ?",
                    (t, lo, hi),
                )
                if t == ORGANIC:
                    o += n
                else:
                    i += n
            if o or i:
                per_day.append((time.strftime("%Y-%m-%d", time.gmtime(day * 86400)), o, i))
    networks: dict[str | None, int] = {}
    for t in types:
        if t != ORGANIC:
            for n, c in conn.execute(
                "SELECT ad_network, count(*) FROM installs WHERE attribution_type = ? "
                "GROUP BY ad_network",
                (t,),
            ):
                networks[n] = networks.get(n, 0) + c
    by_network = sorted(
        ((n or "(none)", c) for n, c in networks.items()), key=lambda x: (-x[1], x[0])
    )
    return {"per_day": per_day, "by_network": by_network, "future": future}


def combine_overview(counts: dict[str, Any], charts: dict[str, Any]) -> OverviewStats:
    counts = dict(counts)
    top_campaigns = counts.pop("top_campaigns")
    return OverviewStats(
        counts, charts["per_day"], charts["by_network"], top_campaigns, charts.get("future", 0)
    )


def overview_stats(conn: sqlite3.Connection, *, days: int = 30, top: int = 10) -> OverviewStats:
    """Overview numbers and charts from the summary (no table scan). The
    Overview runs the two halves on two connections at once (`overview_stats_at`)."""
    return combine_overview(overview_counts(conn, top=top), overview_charts(conn, days=days))


def overview_stats_at(path: Path | str, *, days: int = 30, top: int = 10) -> OverviewStats:
    """overview_stats with the counts and the charts read in two threads (SQLite runs
    without the GIL), each on its own connection and read snapshot."""

    def part(fn: Any, **kw: Any) -> Any:
        conn = open_read(path)
        try:
            return fn(conn, **kw)
        finally:
            conn.close()

    with ThreadPoolExecutor(2, thread_name_prefix="lr-overview") as pool:
        charts = pool.submit(part, overview_charts, days=days)
        counts = part(overview_counts, top=top)
        return combine_overview(counts, charts.result())


RUN_COLUMNS = (
    "id",
    "started_at",
    "ended_at",
    "kind",
    "mode",
    "state",
    "total",
    "delivered",
    "rejected",
    "failed",
    "waiting",
    "error",
    "profiles",  # profile upserts of the run's profile phase
    "scope",  # the second copies the user asked for (re-send, send changed), else NULL
)


def runs(conn: sqlite3.Connection, limit: int = 1000) -> list[tuple[Any, ...]]:
    """RUN_COLUMNS, then the run's `detail` (JSON; not a column of the table)."""
    return conn.execute(
        f"SELECT {', '.join(RUN_COLUMNS)}, detail FROM runs ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
