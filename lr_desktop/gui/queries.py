"""Qt-free SQL the window reads with (its own connections; WAL lets it read while the
engine writes). Sorting and filtering happen here, in SQL, on indexed columns."""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lr_desktop.store.queue import status_counts


@dataclass(frozen=True)
class Column:
    key: str  # column of `installs` (also the ORDER BY key)
    title: str


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
)
SORTABLE = {c.key for c in COLUMNS}
# what a table row holds: the columns plus what the last one shows
ROW_COLUMNS = ("rowid", *(c.key for c in COLUMNS), "last_error", "last_http_status")


@dataclass(frozen=True)
class EventFilter:
    status: str | None = None
    attribution_type: str | None = None
    ad_network: str | None = None
    platform: str | None = None
    text: str = ""

    def where(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for col in ("status", "attribution_type", "ad_network", "platform"):
            value = getattr(self, col)
            if value:
                parts.append(f"{col} = ?")
                params.append(value)
        text = self.text.strip()
        if text:
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            parts.append(
                "(user_id LIKE ? ESCAPE '\\' OR clevertap_id LIKE ? ESCAPE '\\' "
                "OR campaign_name LIKE ? ESCAPE '\\')"
            )
            params += [like, like, like]
        return (" AND ".join(parts) or "1"), params


@dataclass(frozen=True)
class EventQuery:
    filter: EventFilter = field(default_factory=EventFilter)
    sort_key: str = "installed_at"
    descending: bool = True

    def order_by(self) -> str:
        if self.sort_key not in SORTABLE:
            raise ValueError(f"cannot sort by {self.sort_key!r}")
        d = " DESC" if self.descending else ""
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


def rows_by_rowid(conn: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, tuple]:
    if not rowids:
        return {}
    marks = ", ".join("?" * len(rowids))
    cur = conn.execute(
        f"SELECT {', '.join(ROW_COLUMNS)} FROM installs WHERE rowid IN ({marks})", list(rowids)
    )
    return {row[0]: row for row in cur}


def filtered_rows(conn: sqlite3.Connection, query: EventQuery, columns: Sequence[str]):  # type: ignore[no-untyped-def]
    """Cursor over the filtered rows in display order (for export)."""
    where, params = query.filter.where()
    return conn.execute(
        f"SELECT {', '.join(columns)} FROM installs WHERE {where} ORDER BY {query.order_by()}",
        params,
    )


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


def overview_stats(conn: sqlite3.Connection, *, days: int = 30, top: int = 10) -> OverviewStats:
    counts = status_counts(conn)
    last = conn.execute("SELECT max(installed_at) FROM installs").fetchone()[0]
    per_day: list[tuple[str, int, int]] = []
    if last is not None:
        since = int(last) - days * 86400
        per_day = [
            (d, o, i)
            for d, o, i in conn.execute(
                "SELECT date(installed_at, 'unixepoch') AS d, "
                " sum(attribution_type = 'ORGANIC'), sum(attribution_type != 'ORGANIC') "
                "FROM installs WHERE installed_at > ? GROUP BY d ORDER BY d",
                (since,),
            )
        ]
    by_network = [
        (n or "(none)", c)
        for n, c in conn.execute(
            "SELECT ad_network, count(*) FROM installs WHERE attribution_type != 'ORGANIC' "
            "GROUP BY ad_network ORDER BY 2 DESC"
        )
    ]
    top_campaigns = list(
        conn.execute(
            "SELECT campaign_name, count(*) FROM installs WHERE campaign_name IS NOT NULL "
            "GROUP BY campaign_name ORDER BY 2 DESC LIMIT ?",
            (top,),
        )
    )
    return OverviewStats(counts, per_day, by_network, top_campaigns)


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
)


def runs(conn: sqlite3.Connection, limit: int = 1000) -> list[tuple]:
    return conn.execute(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
