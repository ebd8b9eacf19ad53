"""Qt-free SQL the window reads with (its own connections; WAL lets it read while the
engine writes). Sorting and filtering happen here, in SQL, on indexed columns."""

from __future__ import annotations

import sqlite3
import threading
import time
from array import array
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lr_desktop.model import INORGANIC, ORGANIC, Status


@dataclass(frozen=True)
class Column:
    key: str  # column of `installs` (also the ORDER BY key), or a ROW_SQL expression
    title: str
    sortable: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("user_id", "User ID"),
    Column("clevertap_id", "CleverTap ID"),
    Column("attribution_type", "Type"),
    Column("ad_network", "Ad network"),
    Column("campaign_name", "Campaign"),
    Column("platform", "Platform"),
    Column("installed_at", "Installed at"),
    Column("status", "Delivery status"),
    Column("attempts", "Attempts"),
    Column("last_attempt_at", "Last attempt"),
    Column("last_code", "CleverTap's answer"),
    # Last, so a header state saved before it existed keeps its columns (shown third).
    Column("ct_verdict", "In CleverTap", sortable=False),
)
SORTABLE = {c.key for c in COLUMNS if c.sortable}

# The last finished CleverTap check (verify/): an uncorrelated subquery, run once per
# statement. A user's verdict in it is one probe of idx_ct_verdicts_user (user_id,
# check_id) per row read, inside the page query; "unknown here" verdicts belong to
# users the check did not find locally (one a user imported later may share an id).
LAST_CHECK_SQL = "(SELECT max(id) FROM ct_checks WHERE state = 'finished')"
_VERDICT_OF = (
    "(SELECT {col} FROM ct_verdicts WHERE user_id = installs.user_id "
    f"AND check_id = {LAST_CHECK_SQL} AND verdict != 'unknown_here' ORDER BY id DESC LIMIT 1)"
)
# row column -> the SQL that reads it (plain columns of installs read themselves)
ROW_SQL = {
    "ct_verdict": _VERDICT_OF.format(col="verdict"),
    "ct_copies": _VERDICT_OF.format(col="copies"),
    "ct_fields": _VERDICT_OF.format(col="fields"),
    "ct_check": LAST_CHECK_SQL,
}
# what a table row holds: the columns plus what the answer and verdict columns show
ROW_COLUMNS = (
    "rowid",
    *(c.key for c in COLUMNS),
    "last_error",
    "last_http_status",
    "ct_copies",
    "ct_fields",
    "ct_check",
)
ROW_SELECT = ", ".join(ROW_SQL.get(c, c) for c in ROW_COLUMNS)
NO_VERDICT = "none"  # the verdict filter's value for users the last check has no verdict for


# Secondary indexes whose first column is an equality filter and whose second column is
# a sort key (schema v3): a filtered, sorted page reads them in order instead of sorting.
COMPOSITE_INDEXES = {
    ("attribution_type", "installed_at"),
    ("ad_network", "campaign_name"),
}
SEARCH_COLUMNS = ("user_id", "clevertap_id", "campaign_name")
_TOP = "\U0010ffff"  # the largest code point: `col < text || _TOP` ends a prefix range


@dataclass(frozen=True)
class EventFilter:
    """What the events table shows. `text` matches the start of a user ID, CleverTap ID
    or campaign name (index ranges, case-sensitive), or, with `substring`, anywhere in
    them (a scan, case-insensitive for ASCII). The model searches prefixes first and
    falls back to the substring scan only when no value starts with the text."""

    status: str | None = None
    attribution_type: str | None = None
    ad_network: str | None = None
    platform: str | None = None
    text: str = ""
    substring: bool = False
    ct_verdict: str | None = None  # a verdict of the last check, or NO_VERDICT

    def verdict_condition(self, *, plain: bool) -> str | None:
        """The last check's verdict, as SQL. `plain` (SQLite picks the plan): membership
        in the set of that verdict's users, built once from idx_ct_verdicts_verdict, so a
        rare verdict drives the query by user_id. Along a sort index: one probe of
        idx_ct_verdicts_user per row walked (building a set of 1,000,000 "present" users
        for each page would take 300 ms)."""
        if not self.ct_verdict:
            return None
        last = f"check_id = {LAST_CHECK_SQL}"
        if self.ct_verdict == NO_VERDICT:
            return (
                f"NOT EXISTS (SELECT 1 FROM ct_verdicts WHERE user_id = installs.user_id "
                f"AND {last} AND verdict != 'unknown_here')"
            )
        if plain:
            return f"user_id IN (SELECT user_id FROM ct_verdicts WHERE {last} AND verdict = ?)"
        return (
            f"EXISTS (SELECT 1 FROM ct_verdicts WHERE user_id = installs.user_id AND {last} "
            "AND verdict = ?)"
        )

    def equalities(self) -> list[tuple[str, str]]:
        return [
            (col, getattr(self, col))
            for col in ("status", "attribution_type", "ad_network", "platform")
            if getattr(self, col)
        ]

    @property
    def search(self) -> str:
        return self.text.strip()

    def is_empty(self) -> bool:
        return not self.equalities() and not self.search and not self.ct_verdict

    def where(self, *, sort_key: str | None = None) -> tuple[str, list[Any]]:
        """SQL condition and parameters. With `sort_key`, filter columns are written as
        `+col` (no index) unless a composite (col, sort_key) index exists, so SQLite walks
        the sort column's index in order instead of sorting every match."""
        parts: list[str] = []
        params: list[Any] = []
        for col, value in self.equalities():
            plain = sort_key is None or (col, sort_key) in COMPOSITE_INDEXES
            parts.append(f"{'' if plain else '+'}{col} = ?")
            params.append(value)
        verdict = self.verdict_condition(plain=sort_key is None)
        if verdict is not None:
            parts.append(verdict)
            if self.ct_verdict != NO_VERDICT:
                params.append(self.ct_verdict)
        text = self.search
        if text and self.substring:
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            parts.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in SEARCH_COLUMNS) + ")")
            params += [like] * len(SEARCH_COLUMNS)
        elif text:
            ranges = []
            for c in SEARCH_COLUMNS:
                col = c if sort_key in (None, c) else f"+{c}"
                ranges.append(f"({col} >= ? AND {col} < ?)")
            parts.append("(" + " OR ".join(ranges) + ")")
            params += [text, text + _TOP] * len(SEARCH_COLUMNS)
        return (" AND ".join(parts) or "1"), params


@dataclass(frozen=True)
class EventQuery:
    filter: EventFilter = field(default_factory=EventFilter)
    sort_key: str = "installed_at"
    descending: bool = True

    def index_ordered(self) -> bool:
        """Whether one index yields the matches in display order (no filter, or one
        equality with a composite (column, sort key) index): then OFFSET runs over that
        index alone, as cheap as without a filter."""
        f = self.filter
        if f.search or f.ct_verdict:
            return False
        eq = f.equalities()
        return not eq or (len(eq) == 1 and (eq[0][0], self.sort_key) in COMPOSITE_INDEXES)

    def order_by(self, *, reverse: bool = False) -> str:
        if self.sort_key not in SORTABLE:
            raise ValueError(f"cannot sort by {self.sort_key!r}")
        d = " DESC" if self.descending != reverse else ""
        return f"{self.sort_key}{d}, rowid{d}"


def open_read(path: Path | str) -> sqlite3.Connection:
    """A read-only-by-pragma connection usable from the thread that opened it."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA query_only = 1")
    return conn


def matching_rowids(conn: sqlite3.Connection, query: EventQuery) -> array:
    """Every matching rowid in display order (8 bytes a row: 8 MB at 1,000,000)."""
    where, params = query.filter.where()
    cur = conn.execute(
        f"SELECT rowid FROM installs WHERE {where} ORDER BY {query.order_by()}", params
    )
    out = array("q")
    while True:
        chunk = cur.fetchmany(50_000)
        if not chunk:
            return out
        out.extend(r for (r,) in chunk)


@contextmanager
def budget(
    conn: sqlite3.Connection, seconds: float | None, cancel: threading.Event | None = None
) -> Iterator[None]:
    """Interrupt the statements run inside after `seconds` (or once `cancel` is set):
    they raise sqlite3.OperationalError("interrupted"). Without a deadline the check runs
    every 100,000 SQLite instructions (well under a millisecond apart), not every 2,000:
    each check takes the GIL from the GUI thread."""
    deadline = None if seconds is None else time.perf_counter() + seconds

    def check() -> int:
        if cancel is not None and cancel.is_set():
            return 1
        return int(deadline is not None and time.perf_counter() > deadline)

    conn.set_progress_handler(check, 2000 if deadline is not None else 100_000)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)


def count_rows(conn: sqlite3.Connection, f: EventFilter) -> int:
    """Matching rows. Without a filter there is no WHERE at all: SQLite then counts the
    smallest index's entries page by page (6 ms at 1,000,000 rows; `WHERE 1` steps
    through every row instead, 18 ms)."""
    if f.is_empty():
        return conn.execute("SELECT count(*) FROM installs").fetchone()[0]
    where, params = f.where()
    return conn.execute(f"SELECT count(*) FROM installs WHERE {where}", params).fetchone()[0]


def resolve_search(conn: sqlite3.Connection, f: EventFilter) -> EventFilter:
    """Prefix search through the indexes (user_id, clevertap_id, campaign_name; SQLite's
    multi-index OR); when no value starts with the text, search inside the values."""
    if not f.search or f.substring:
        return f
    where, params = EventFilter(text=f.text).where()
    if conn.execute(f"SELECT 1 FROM installs WHERE {where} LIMIT 1", params).fetchone():
        return f
    return replace(f, substring=True)


Pair = tuple[Any, int]  # (sort key, rowid): a row's place in the display order


def ordered_slice(
    conn: sqlite3.Connection,
    query: EventQuery,
    offset: int,
    limit: int,
    *,
    reverse: bool = False,
    follow_index: bool = True,
) -> list[Pair]:
    """(key, rowid) of rows offset..offset+limit in display order (or from the end, in
    reverse). `follow_index` walks the sort column's index in order (cheap when matches
    are common near that end); otherwise SQLite picks (e.g. a filter index and a sort)."""
    f = query.filter
    where, params = f.where(sort_key=query.sort_key if follow_index else None)
    sql = (
        f"SELECT {query.sort_key}, rowid FROM installs WHERE {where} "
        f"ORDER BY {query.order_by(reverse=reverse)} LIMIT ? OFFSET ?"
    )
    return conn.execute(sql, [*params, limit, offset]).fetchall()


def page_rows(
    conn: sqlite3.Connection,
    query: EventQuery,
    offset: int,
    limit: int,
    *,
    follow_index: bool = True,
) -> list[tuple]:
    """Whole rows (ROW_COLUMNS) offset..offset+limit in display order: `ordered_slice`
    and `rows_by_rowid` in one statement (for a first page)."""
    where, params = query.filter.where(sort_key=query.sort_key if follow_index else None)
    sql = (
        f"SELECT {ROW_SELECT} FROM installs WHERE {where} "
        f"ORDER BY {query.order_by()} LIMIT ? OFFSET ?"
    )
    return conn.execute(sql, [*params, limit, offset]).fetchall()


def walk(
    conn: sqlite3.Connection, query: EventQuery, after: Pair, n: int, *, reverse: bool = False
) -> list[Pair]:
    """The next `n` rows after the row `after` in display order (before it, nearest first,
    with `reverse`): keyset seeks on the sort column's index, in segments so NULL keys
    (first ascending, last descending) and equal keys (by rowid) stay in order."""
    key, rowid = after
    col = query.sort_key
    descending = query.descending != reverse
    where, params = query.filter.where(sort_key=col)
    d = " DESC" if descending else ""
    lt = "<" if descending else ">"
    segments: list[tuple[str, list[Any], str]] = []
    if key is None:
        segments.append((f"{col} IS NULL AND rowid {lt} ?", [rowid], f"rowid{d}"))
        if not descending:
            segments.append((f"{col} IS NOT NULL", [], f"{col}, rowid"))
    else:
        segments.append((f"{col} = ? AND rowid {lt} ?", [key, rowid], f"rowid{d}"))
        segments.append((f"{col} {lt} ?", [key], f"{col}{d}, rowid{d}"))
        if descending:
            segments.append((f"{col} IS NULL", [], f"rowid{d}"))
    out: list[Pair] = []
    for cond, extra, order in segments:
        need = n - len(out)
        if need <= 0:
            break
        out += conn.execute(
            f"SELECT {col}, rowid FROM installs WHERE {cond} AND {where} ORDER BY {order} LIMIT ?",
            [*extra, *params, need],
        ).fetchall()
    return out


def all_rowids(conn: sqlite3.Connection, query: EventQuery) -> array:
    """Every matching rowid in display order (for small result sets: the model keeps it
    only up to a fixed number of rows)."""
    return matching_rowids(conn, query)


def anchors(conn: sqlite3.Connection, query: EventQuery, every: int) -> list[Pair]:
    """(key, rowid) of the rows at positions every-1, 2*every-1, ... in display order: one
    pass over the matches (SQLite picks the plan), kept sparse."""
    where, params = query.filter.where()
    cur = conn.execute(
        f"SELECT {query.sort_key}, rowid FROM installs WHERE {where} ORDER BY {query.order_by()}",
        params,
    )
    out: list[Pair] = []
    skip = every - 1
    while True:
        chunk = cur.fetchmany(every * 20)
        if not chunk:
            return out
        out += chunk[skip::every]
        skip = (skip - len(chunk)) % every


def rows_by_rowid(conn: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, tuple]:
    if not rowids:
        return {}
    marks = ", ".join("?" * len(rowids))
    cur = conn.execute(f"SELECT {ROW_SELECT} FROM installs WHERE rowid IN ({marks})", list(rowids))
    return {row[0]: row for row in cur}


def filtered_rows(conn: sqlite3.Connection, query: EventQuery, columns: Sequence[str]):  # type: ignore[no-untyped-def]
    """Cursor over the filtered rows in display order (for export)."""
    where, params = query.filter.where()
    return conn.execute(
        f"SELECT {', '.join(columns)} FROM installs WHERE {where} ORDER BY {query.order_by()}",
        params,
    )


def user_matches(conn: sqlite3.Connection, user_id: str, f: EventFilter) -> bool:
    """Whether the user is among the rows the filter shows."""
    where, params = f.where()
    sql = f"SELECT 1 FROM installs WHERE user_id = ? AND {where} LIMIT 1"
    return conn.execute(sql, [user_id, *params]).fetchone() is not None


def ad_networks(conn: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT ad_network FROM installs WHERE ad_network IS NOT NULL ORDER BY 1"
        )
    ]


def user_detail(
    conn: sqlite3.Connection, user_id: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """One user's row and every delivery attempt (oldest first)."""
    cur = conn.execute("SELECT * FROM installs WHERE user_id = ?", (user_id,))
    row = cur.fetchone()
    if row is None:
        return None, []
    names = [d[0] for d in cur.description]
    user = dict(zip(names, row, strict=True))
    cur = conn.execute(
        "SELECT id, run_id, at, mode, kind, http_status, code, message, outcome "
        "FROM attempts WHERE user_id = ? ORDER BY id",
        (user_id,),
    )
    names = [d[0] for d in cur.description]
    attempts = [dict(zip(names, r, strict=True)) for r in cur]
    return user, attempts


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
    return conn.execute(f"SELECT count(*) FROM installs WHERE {where}", params).fetchone()[0]


def overview_counts(conn: sqlite3.Connection, *, top: int = 10) -> dict[str, Any]:
    """What `store.queue.status_counts` reports (minus the per-type totals, which come
    with the per-day chart), from index range counts; and the top campaigns."""
    counts: dict[str, Any] = {str(s): 0 for s in Status}
    for status in _distinct(conn, "status"):
        counts[status] = _count(conn, "status = ?", (status,))
    counts["without_clevertap_id"] = _count(conn, "clevertap_id IS NULL")
    counts["possibly_duplicated"] = conn.execute(
        "SELECT coalesce(sum(possibly_duplicated), 0) FROM installs WHERE possibly_duplicated != 0"
    ).fetchone()[0]
    counts["top_campaigns"] = list(
        conn.execute(
            "SELECT campaign_name, count(*) FROM installs WHERE campaign_name IS NOT NULL "
            "GROUP BY campaign_name ORDER BY 2 DESC LIMIT ?",
            (top,),
        )
    )
    return counts


def overview_charts(
    conn: sqlite3.Connection, *, days: int = 30, now: float | None = None
) -> dict[str, Any]:
    """Installs per UTC day of the last `days` days (organic / other) and per type, by
    range counts on (attribution_type, installed_at); inorganic installs per network.
    The days end at the newest install, or today if that is later: an install dated in
    the future (a wrong clock, a bad file) is counted in "future" instead of squeezing
    the chart down to its own day."""
    types = _distinct(conn, "attribution_type")
    totals = dict.fromkeys(types, 0)
    last = conn.execute("SELECT max(installed_at) FROM installs").fetchone()[0]
    per_day: list[tuple[str, int, int]] = []
    future = 0
    today_ends = (int(time.time() if now is None else now) // 86400 + 1) * 86400
    if last is not None and int(last) >= today_ends:
        for t in types:
            n = _count(conn, "attribution_type = ? AND installed_at >= ?", (t, today_ends))
            totals[t] += n
            future += n
        last = today_ends - 1
    if last is not None:
        since = int(last) - days * 86400  # rows after `since`, as before
        for t in types:
            totals[t] += _count(conn, "attribution_type = ? AND installed_at <= ?", (t, since))
        for day in range(since // 86400, int(last) // 86400 + 1):
            lo, hi = max(day * 86400, since + 1), (day + 1) * 86400
            o = i = 0
            for t in types:
                n = _count(
                    conn,
                    "attribution_type = ? AND installed_at >= ? AND installed_at < ?",
                    (t, lo, hi),
                )
                totals[t] += n
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
    return {"totals": totals, "per_day": per_day, "by_network": by_network, "future": future}


def combine_overview(counts: dict[str, Any], charts: dict[str, Any]) -> OverviewStats:
    counts = dict(counts)
    top_campaigns = counts.pop("top_campaigns")
    totals = charts["totals"]
    counts.update(
        attributed=sum(totals.values()),
        organic=totals.get(ORGANIC, 0),
        inorganic=totals.get(INORGANIC, 0),
    )
    return OverviewStats(
        counts, charts["per_day"], charts["by_network"], top_campaigns, charts.get("future", 0)
    )


def overview_stats(conn: sqlite3.Connection, *, days: int = 30, top: int = 10) -> OverviewStats:
    """Overview numbers and charts from index range counts (no table scan). The
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


def runs(conn: sqlite3.Connection, limit: int = 1000) -> list[tuple]:
    """RUN_COLUMNS, then the run's `detail` (JSON; not a column of the table)."""
    return conn.execute(
        f"SELECT {', '.join(RUN_COLUMNS)}, detail FROM runs ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
