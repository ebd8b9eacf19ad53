"""The Overview's and `lr-desktop status`'s counts without scanning `installs` (schema v9).

Small tables, kept exact by triggers on `installs`:

- `summary_status`: users per status (a row per status);
- `summary_totals`: one row: users without a CleverTap ID, the sum of `possibly_duplicated`;
- `summary_days`: users per (UTC day of install, attribution type): the per-day chart and
  the organic / inorganic totals;
- `summary_networks`: users per (attribution type, ad network): the per-network chart;
- `summary_campaigns`: users per campaign name (NULL names not kept): the top campaigns.

Each table has its own trigger, which fires only when a column it counts changes (`UPDATE
OF ... WHEN old.x IS NOT new.x`): a delivery, which changes `status` alone, moves one
count between two rows of summary_status, a page that stays in the cache; a retry,
which changes no counted column, pays only a WHEN test.

A bulk load drops the triggers; `rebuild` recounts every table from indexes (no table
scan, no sort: each GROUP BY walks a covering index, the days are range counts) and
re-creates the triggers, in one transaction. Triggers missing means the summary is stale
(a bulk load running, or one that crashed before `rebuild`): readers check `live` in
their snapshot and count from `installs` instead, and the next open rebuilds it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The UTC day of an install: floor(installed_at / 86400), the day whose range
# [day * 86400, (day + 1) * 86400) holds it. A text value sorts after every number (the
# range counts call it "future"): it gets a day far in the future.
FAR_DAY = 10**12
_DAY = (
    "(CASE WHEN {t}.installed_at >= '' THEN " + str(FAR_DAY) + " ELSE "
    "CAST({t}.installed_at / 86400 AS INTEGER) - "
    "(CAST({t}.installed_at / 86400 AS INTEGER) * 86400 > {t}.installed_at) END)"
)

TABLES = (
    "CREATE TABLE IF NOT EXISTS summary_status (status TEXT PRIMARY KEY, n INTEGER NOT NULL) "
    "WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS summary_totals "
    "(without_id INTEGER NOT NULL, dups INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS summary_days (day INTEGER NOT NULL, "
    "attribution_type TEXT NOT NULL, n INTEGER NOT NULL, "
    "PRIMARY KEY (day, attribution_type)) WITHOUT ROWID",
    # ad_network may be NULL (a NULL never conflicts in a UNIQUE key): its rows are found
    # with IS, and inserted when the UPDATE found none.
    "CREATE TABLE IF NOT EXISTS summary_networks "
    "(attribution_type TEXT NOT NULL, ad_network TEXT, n INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS summary_networks_key "
    "ON summary_networks (attribution_type, ad_network)",
    "CREATE TABLE IF NOT EXISTS summary_campaigns "
    "(campaign_name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
)
TABLE_NAMES = (
    "summary_status",
    "summary_totals",
    "summary_days",
    "summary_networks",
    "summary_campaigns",
)


def _status(t: str, sign: str) -> str:
    if sign == "-":
        return f"UPDATE summary_status SET n = n - 1 WHERE status = {t}.status;"
    return (
        f"INSERT INTO summary_status VALUES ({t}.status, 1) "
        "ON CONFLICT (status) DO UPDATE SET n = n + 1;"
    )


def _totals(t: str, sign: str) -> str:
    return (
        f"UPDATE summary_totals SET without_id = without_id {sign} ({t}.clevertap_id IS NULL), "
        f"dups = dups {sign} coalesce({t}.possibly_duplicated, 0);"
    )


def _days(t: str, sign: str) -> str:
    day = _DAY.format(t=t)
    if sign == "-":
        return (
            "UPDATE summary_days SET n = n - 1 "
            f"WHERE day = {day} AND attribution_type = {t}.attribution_type;"
        )
    return (
        f"INSERT INTO summary_days VALUES ({day}, {t}.attribution_type, 1) "
        "ON CONFLICT (day, attribution_type) DO UPDATE SET n = n + 1;"
    )


def _networks(t: str, sign: str) -> str:
    key = f"attribution_type = {t}.attribution_type AND ad_network IS {t}.ad_network"
    found = f"UPDATE summary_networks SET n = n {sign} 1 WHERE {key};"
    if sign == "-":
        return found
    return (
        found + " INSERT INTO summary_networks SELECT "
        f"{t}.attribution_type, {t}.ad_network, 1 WHERE changes() = 0;"
    )


def _campaigns(t: str, sign: str) -> str:
    if sign == "-":
        return f"UPDATE summary_campaigns SET n = n - 1 WHERE campaign_name = {t}.campaign_name;"
    return (
        f"INSERT INTO summary_campaigns SELECT {t}.campaign_name, 1 "
        f"WHERE {t}.campaign_name IS NOT NULL "
        "ON CONFLICT (campaign_name) DO UPDATE SET n = n + 1;"
    )


PARTS = (_status, _totals, _days, _networks, _campaigns)


def _on_update(
    part: Callable[[str, str], str], columns: tuple[str, ...], changed: list[str]
) -> str:
    return (
        f"AFTER UPDATE OF {', '.join(columns)} ON installs WHEN {' OR '.join(changed)} "
        f"BEGIN {part('old', '-')} {part('new', '+')} END"
    )


TRIGGERS: dict[str, str] = {
    "summary_insert": "AFTER INSERT ON installs BEGIN "
    + " ".join(part("new", "+") for part in PARTS)
    + " END",
    "summary_delete": "AFTER DELETE ON installs BEGIN "
    + " ".join(part("old", "-") for part in PARTS)
    + " END",
    "summary_update_status": _on_update(_status, ("status",), ["old.status IS NOT new.status"]),
    "summary_update_totals": _on_update(
        _totals,
        ("clevertap_id", "possibly_duplicated"),
        [
            "(old.clevertap_id IS NULL) IS NOT (new.clevertap_id IS NULL)",
            "coalesce(old.possibly_duplicated, 0) IS NOT coalesce(new.possibly_duplicated, 0)",
        ],
    ),
    "summary_update_days": _on_update(
        _days,
        ("attribution_type", "installed_at"),
        [
            "old.attribution_type IS NOT new.attribution_type",
            "old.installed_at IS NOT new.installed_at",
        ],
    ),
    "summary_update_networks": _on_update(
        _networks,
        ("attribution_type", "ad_network"),
        [
            "old.attribution_type IS NOT new.attribution_type",
            "old.ad_network IS NOT new.ad_network",
        ],
    ),
    "summary_update_campaigns": _on_update(
        _campaigns, ("campaign_name",), ["old.campaign_name IS NOT new.campaign_name"]
    ),
}


def live(conn: sqlite3.Connection) -> bool:
    """Whether the summary is current: its tables and every trigger exist."""
    names = [*TRIGGERS, *TABLE_NAMES]
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
    one transaction, so no write lands between the count and the triggers. Each count
    reads an index of `installs` (when present): a GROUP BY in index order, or ranges."""
    for sql in TABLES:
        conn.execute(sql)
    drop_triggers(conn)
    for table in TABLE_NAMES:
        conn.execute(f"DELETE FROM {table}")
    conn.execute("INSERT INTO summary_status SELECT status, count(*) FROM installs GROUP BY status")
    conn.execute(
        "INSERT INTO summary_totals VALUES ("
        "(SELECT count(*) FROM installs WHERE clevertap_id IS NULL), "
        "(SELECT coalesce(sum(possibly_duplicated), 0) FROM installs "
        "WHERE possibly_duplicated != 0))"
    )
    conn.execute(
        "INSERT INTO summary_networks SELECT attribution_type, ad_network, count(*) "
        "FROM installs GROUP BY attribution_type, ad_network"
    )
    conn.execute(
        "INSERT INTO summary_campaigns SELECT campaign_name, count(*) FROM installs "
        "WHERE campaign_name IS NOT NULL GROUP BY campaign_name"
    )
    types = [r[0] for r in conn.execute("SELECT DISTINCT attribution_type FROM summary_networks")]
    days = list(_day_counts(conn, types))  # a few rows a day; read before the inserts
    conn.executemany("INSERT INTO summary_days VALUES (?, ?, ?)", days)
    for name, body in TRIGGERS.items():
        conn.execute(f'CREATE TRIGGER "{name}" {body}')


def _day_counts(conn: sqlite3.Connection, types: list[str]) -> Iterator[tuple[int, str, int]]:
    """(day, type, users) from range counts on (attribution_type, installed_at), skipping
    from one day that has installs to the next: one seek and one count a day."""
    where = "attribution_type = ? AND installed_at >= ?"
    for kind in types:
        at = conn.execute(f"SELECT min(installed_at) FROM installs WHERE {where}", (kind, -(2**62)))
        lo = at.fetchone()[0]
        while isinstance(lo, int | float):
            day = int(lo // 86400)
            n = conn.execute(
                f"SELECT count(*) FROM installs WHERE {where} AND installed_at < ?",
                (kind, day * 86400, (day + 1) * 86400),
            ).fetchone()[0]
            yield day, kind, n
            lo = conn.execute(
                f"SELECT min(installed_at) FROM installs WHERE {where}", (kind, (day + 1) * 86400)
            ).fetchone()[0]
        n = conn.execute(f"SELECT count(*) FROM installs WHERE {where}", (kind, "")).fetchone()[0]
        if n:  # text values, after every number
            yield FAR_DAY, kind, n


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


def status_rows(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """(status, users) of every status some user has."""
    return conn.execute("SELECT status, n FROM summary_status WHERE n != 0").fetchall()


def type_rows(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """(attribution_type, users)."""
    return conn.execute(
        "SELECT attribution_type, sum(n) FROM summary_networks GROUP BY attribution_type"
    ).fetchall()


def totals_row(conn: sqlite3.Connection) -> tuple[int, int]:
    """(users without a CleverTap ID, sum of possibly_duplicated)."""
    row = conn.execute("SELECT without_id, dups FROM summary_totals").fetchone()
    return int(row[0]), int(row[1])


def day_rows(conn: sqlite3.Connection, first_day: int) -> list[tuple[int, str, int]]:
    """(day, attribution_type, users) of every day from `first_day` on."""
    return conn.execute(
        "SELECT day, attribution_type, n FROM summary_days WHERE day >= ? AND n != 0",
        (first_day,),
    ).fetchall()


def top_campaigns(conn: sqlite3.Connection, top: int) -> list[tuple[str, int]]:
    return conn.execute(
        "SELECT campaign_name, n FROM summary_campaigns WHERE n != 0 ORDER BY 2 DESC, 1 LIMIT ?",
        (top,),
    ).fetchall()


def networks(conn: sqlite3.Connection, organic: str) -> list[tuple[str | None, int]]:
    """(ad_network, users) of the installs whose attribution type is not `organic`."""
    return conn.execute(
        "SELECT ad_network, sum(n) FROM summary_networks WHERE attribution_type != ? "
        "GROUP BY ad_network HAVING sum(n) != 0",
        (organic,),
    ).fetchall()
