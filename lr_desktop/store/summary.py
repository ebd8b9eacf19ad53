"""The Overview's and `lr-desktop status`'s counts without scanning `installs` (schema v8).

Two small tables, kept exact by triggers on `installs`:

- `summary_days`: users per (UTC day of install, attribution type, status), with how many
  of them have no CleverTap ID and the sum of their `possibly_duplicated`. The status
  counts, the totals and the per-day chart are sums over it (a few thousand rows).
- `summary_campaigns`: users per (attribution type, ad network, campaign): the top
  campaigns and the per-network chart.

Each trigger fires only when a column it counts changes (`UPDATE OF ... WHEN old.x IS
NOT new.x`): a delivery, which changes `status`, pays two small upserts; a retry, which
changes none of them, pays only the WHEN test.

A bulk load drops the triggers and `rebuild` recounts both tables with one GROUP BY each
and re-creates the triggers, in one transaction. Triggers missing means the summary is
stale (a bulk load running, or one that crashed before `rebuild`): readers check `live`
in their snapshot and count from `installs` instead, and the next open rebuilds it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# The UTC day of an install (floor of installed_at / 86400; SQLite's `/` truncates).
_DAY = (
    "(CAST({t}.installed_at AS INTEGER) / 86400 - (CAST({t}.installed_at AS INTEGER) % 86400 < 0))"
)

TABLES = (
    "CREATE TABLE IF NOT EXISTS summary_days (day INTEGER NOT NULL, "
    "attribution_type TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, "
    "without_id INTEGER NOT NULL, dups INTEGER NOT NULL, "
    "PRIMARY KEY (day, attribution_type, status)) WITHOUT ROWID",
    # ad_network and campaign_name may be NULL (a NULL never conflicts in a UNIQUE key):
    # rows are found with IS, and inserted when the UPDATE found none.
    "CREATE TABLE IF NOT EXISTS summary_campaigns (attribution_type TEXT NOT NULL, "
    "ad_network TEXT, campaign_name TEXT, n INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS summary_campaigns_key "
    "ON summary_campaigns (attribution_type, ad_network, campaign_name)",
)


def _days_add(t: str) -> str:
    return (
        "INSERT INTO summary_days VALUES "
        f"({_DAY.format(t=t)}, {t}.attribution_type, {t}.status, 1, "
        f"{t}.clevertap_id IS NULL, coalesce({t}.possibly_duplicated, 0)) "
        "ON CONFLICT (day, attribution_type, status) DO UPDATE SET n = n + 1, "
        "without_id = without_id + excluded.without_id, dups = dups + excluded.dups;"
    )


def _days_remove(t: str) -> str:
    return (
        "UPDATE summary_days SET n = n - 1, "
        f"without_id = without_id - ({t}.clevertap_id IS NULL), "
        f"dups = dups - coalesce({t}.possibly_duplicated, 0) "
        f"WHERE day = {_DAY.format(t=t)} AND attribution_type = {t}.attribution_type "
        f"AND status = {t}.status;"
    )


def _campaign_key(t: str) -> str:
    return (
        f"attribution_type = {t}.attribution_type AND ad_network IS {t}.ad_network "
        f"AND campaign_name IS {t}.campaign_name"
    )


def _campaigns_add(t: str) -> str:
    return (
        f"UPDATE summary_campaigns SET n = n + 1 WHERE {_campaign_key(t)};"
        " INSERT INTO summary_campaigns SELECT "
        f"{t}.attribution_type, {t}.ad_network, {t}.campaign_name, 1 WHERE changes() = 0;"
    )


def _campaigns_remove(t: str) -> str:
    return f"UPDATE summary_campaigns SET n = n - 1 WHERE {_campaign_key(t)};"


_DAY_COLUMNS = ("status", "attribution_type", "installed_at", "clevertap_id", "possibly_duplicated")
_DAY_CHANGED = " OR ".join(
    [
        "old.status IS NOT new.status",
        "old.attribution_type IS NOT new.attribution_type",
        "old.installed_at IS NOT new.installed_at",
        "(old.clevertap_id IS NULL) IS NOT (new.clevertap_id IS NULL)",
        "coalesce(old.possibly_duplicated, 0) IS NOT coalesce(new.possibly_duplicated, 0)",
    ]
)
_CAMPAIGN_COLUMNS = ("attribution_type", "ad_network", "campaign_name")
_CAMPAIGN_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _CAMPAIGN_COLUMNS)

TRIGGERS: dict[str, str] = {
    "summary_insert": "AFTER INSERT ON installs BEGIN "
    + _days_add("new")
    + _campaigns_add("new")
    + " END",
    "summary_delete": "AFTER DELETE ON installs BEGIN "
    + _days_remove("old")
    + _campaigns_remove("old")
    + " END",
    "summary_update_days": f"AFTER UPDATE OF {', '.join(_DAY_COLUMNS)} ON installs "
    f"WHEN {_DAY_CHANGED} BEGIN " + _days_remove("old") + _days_add("new") + " END",
    "summary_update_campaigns": f"AFTER UPDATE OF {', '.join(_CAMPAIGN_COLUMNS)} ON installs "
    f"WHEN {_CAMPAIGN_CHANGED} BEGIN " + _campaigns_remove("old") + _campaigns_add("new") + " END",
}


def missing_triggers(conn: sqlite3.Connection) -> list[str]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    return [name for name in TRIGGERS if name not in present]


def live(conn: sqlite3.Connection) -> bool:
    """Whether the summary is current: its tables and every trigger exist."""
    names = [*TRIGGERS, "summary_days", "summary_campaigns"]
    marks = ", ".join("?" * len(names))
    found = conn.execute(
        f"SELECT count(*) FROM sqlite_master WHERE name IN ({marks})", names
    ).fetchone()[0]
    return bool(found == len(names))


def drop_triggers(conn: sqlite3.Connection) -> None:
    """Stop keeping the summary (a bulk load is starting); `rebuild` brings it back."""
    for name in TRIGGERS:
        conn.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def rebuild(conn: sqlite3.Connection) -> None:
    """Recount the summary from `installs` and (re-)create its triggers. Run it inside
    one transaction, so no write lands between the count and the triggers."""
    for sql in TABLES:
        conn.execute(sql)
    drop_triggers(conn)
    conn.execute("DELETE FROM summary_days")
    conn.execute("DELETE FROM summary_campaigns")
    conn.execute(
        f"INSERT INTO summary_days SELECT {_DAY.format(t='installs')} AS d, attribution_type, "
        "status, count(*), sum(clevertap_id IS NULL), sum(coalesce(possibly_duplicated, 0)) "
        "FROM installs GROUP BY d, attribution_type, status"
    )
    conn.execute(
        "INSERT INTO summary_campaigns SELECT attribution_type, ad_network, campaign_name, "
        "count(*) FROM installs GROUP BY attribution_type, ad_network, campaign_name"
    )
    for name, body in TRIGGERS.items():
        conn.execute(f'CREATE TRIGGER "{name}" {body}')


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction (unless the caller has one): the check that the summary is
    live and the reads of it see the same database."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def status_rows(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """(status, attribution_type, users, without CleverTap ID, possibly duplicated)."""
    return conn.execute(
        "SELECT status, attribution_type, sum(n), sum(without_id), sum(dups) FROM summary_days "
        "GROUP BY status, attribution_type HAVING sum(n) != 0"
    ).fetchall()


def day_rows(conn: sqlite3.Connection, first_day: int) -> list[tuple[int, str, int]]:
    """(day, attribution_type, users) of every day from `first_day` on."""
    return conn.execute(
        "SELECT day, attribution_type, sum(n) FROM summary_days WHERE day >= ? "
        "GROUP BY day, attribution_type HAVING sum(n) != 0",
        (first_day,),
    ).fetchall()


def top_campaigns(conn: sqlite3.Connection, top: int) -> list[tuple[str, int]]:
    return conn.execute(
        "SELECT campaign_name, sum(n) FROM summary_campaigns WHERE campaign_name IS NOT NULL "
        "GROUP BY campaign_name HAVING sum(n) != 0 ORDER BY 2 DESC, 1 LIMIT ?",
        (top,),
    ).fetchall()


def networks(conn: sqlite3.Connection, organic: str) -> list[tuple[str | None, int]]:
    """(ad_network, users) of the installs whose attribution type is not `organic`."""
    return conn.execute(
        "SELECT ad_network, sum(n) FROM summary_campaigns WHERE attribution_type != ? "
        "GROUP BY ad_network HAVING sum(n) != 0",
        (organic,),
    ).fetchall()
