"""Schema and migrations (PRAGMA user_version), built with sqlite-utils."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a migration runs: opening a current database needs none of it
    import sqlite_utils

from lr_desktop.errors import UserFixableError
from lr_desktop.model import ATTRIBUTION_COLUMNS
from lr_desktop.store import summary
from lr_desktop.store.tx import transaction

# Columns the events table can sort or filter on; each gets an index.
INDEXED_COLUMNS = (
    "clevertap_id",
    "attribution_type",
    "ad_network",
    "campaign_name",
    "platform",
    "installed_at",
    "status",
    "attempts",
    "last_attempt_at",
    "last_code",
)

_INT_COLUMNS = {"installed_at", "attributed_at", "store_click_at"}


def _v1(db: sqlite_utils.Database) -> None:
    cols: dict[str, type] = {c: (int if c in _INT_COLUMNS else str) for c in ATTRIBUTION_COLUMNS}
    cols.update(
        {
            "fingerprint": str,  # digest of the event-shaping fields (model.fingerprint)
            "event_id": str,  # stable id of this version of the event (lr_event_id)
            "source": str,  # where the row came from: file name, "linkrunner-api", "mapping"
            "imported_at": int,
            "updated_at": int,
            "status": str,
            "attempts": int,
            "last_attempt_at": int,
            "last_http_status": int,
            "last_code": int,
            "last_error": str,
            "delivered_at": int,
            "delivered_fingerprint": str,
            "delivered_mode": str,
            "profile_fingerprint": str,  # fingerprint whose lr_* profile properties CleverTap has
            "possibly_duplicated": int,  # was in a request in flight when a run died
            "run_id": int,  # run that last put it in flight
        }
    )
    db.table("installs").create(
        cols,
        pk="user_id",
        not_null={"attribution_type", "platform", "installed_at", "status"},
        defaults={"attempts": 0, "possibly_duplicated": 0, "status": "queued"},
    )
    for col in INDEXED_COLUMNS:
        db.table("installs").create_index([col])
    db.table("attempts").create(
        {
            "id": int,
            "user_id": str,
            "run_id": int,
            "at": float,  # epoch seconds
            "mode": str,  # upload | attribution | precheck
            "kind": str,  # event | profile
            "http_status": int,
            "code": int,
            "message": str,
            "outcome": str,  # delivered | rejected | retry | failed | stopped
        },
        pk="id",
    )
    db.table("attempts").create_index(["user_id"])
    db.table("runs").create(
        {
            "id": int,
            "kind": str,  # send | sync | import | pull
            "mode": str,
            "started_at": float,
            "ended_at": float,
            "state": str,  # running | finished | cancelled | stopped | interrupted (v7: + crashed)
            "total": int,
            "delivered": int,
            "rejected": int,
            "failed": int,
            "waiting": int,
            "possibly_duplicated": int,
            "profiles": int,
            "error": str,
            "detail": str,  # JSON
        },
        pk="id",
    )
    db.table("settings").create({"key": str, "value": str}, pk="key")


def _v2(db: sqlite_utils.Database) -> None:
    """Events in a request right now. A side table instead of rewriting each installs
    row to 'in_flight' and back: a sync writes each event's row once, not three times.
    `fingerprint` is the version sent, so a result never lands on a newer attribution."""
    db.table("inflight").create(
        {"install_rowid": int, "run_id": int, "fingerprint": str, "since": float},
        pk="install_rowid",
    )


# Secondary indexes of schema v3 (name -> columns, optional partial WHERE): composite
# indexes for filtered, sorted pages of the events table and for the Overview's counts.
V3_INDEXES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "idx_installs_type_installed_at": (("attribution_type", "installed_at"), None),
    "idx_installs_type_network": (("attribution_type", "ad_network"), None),
    "idx_installs_network_campaign": (("ad_network", "campaign_name"), None),
    "idx_installs_possibly_duplicated": (("possibly_duplicated",), "possibly_duplicated != 0"),
}


def _v3(db: sqlite_utils.Database) -> None:
    """Composite indexes: the events table filtered by type, status or ad network and
    sorted by install time or campaign reads pages in index order; the Overview counts
    per day, type, network and possible duplicates from indexes instead of table scans."""
    for name, (cols, where) in V3_INDEXES.items():
        cols_sql = ", ".join(f'"{c}"' for c in cols)
        db.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "installs" ({cols_sql})'
            + (f" WHERE {where}" if where else "")
        )


def _v4(db: sqlite_utils.Database) -> None:
    """Drop v3's (status, installed_at) index: every delivery moved its entry to a random
    leaf page (install times are in no order), which made a 1,000,000-event sync 6x
    slower (87 vs 14 ms of SQLite per 1000 deliveries). Status filters page by bookmarks."""
    db.execute('DROP INDEX IF EXISTS "idx_installs_status_installed_at"')


def _v5_delivered_versions(db: sqlite_utils.Database) -> None:
    """What CleverTap already holds, so a changed attribution is shown, not re-sent:
    `installs.delivered_values` (JSON of the delivered event fields, for old-vs-new);
    `inflight.sent_values` (the sent fields, saved by an import that changes a user in
    flight, so the answer still lands on the version sent); `runs.scope` (a re-send
    the user asked for: what and how many)."""
    db.execute("ALTER TABLE installs ADD COLUMN delivered_values TEXT")
    db.execute("ALTER TABLE inflight ADD COLUMN sent_values TEXT")
    db.execute("ALTER TABLE runs ADD COLUMN scope TEXT")


def _v6_verify_tables(db: sqlite_utils.Database) -> None:
    """Verify with CleverTap (lr_desktop/verify): a check over a date range, its download
    segments (one event name, a few weeks) with the cursor of the next page, the pages
    committed so far (digests, so a restarted query can skip them), CleverTap's records
    and one verdict per user. A killed or cancelled check resumes from these."""
    for sql in (
        "CREATE TABLE ct_checks (id INTEGER PRIMARY KEY, run_id INTEGER, since TEXT, "
        "until TEXT, state TEXT, started_at REAL, ended_at REAL, summary TEXT)",
        "CREATE TABLE ct_segments (id INTEGER PRIMARY KEY, check_id INTEGER, event_name TEXT, "
        "from_day INTEGER, to_day INTEGER, cursor TEXT, at_page INTEGER NOT NULL DEFAULT 0, "
        "pages INTEGER NOT NULL DEFAULT 0, "
        "records INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE ct_pages (segment_id INTEGER, page_no INTEGER, records INTEGER, "
        "digest TEXT, PRIMARY KEY (segment_id, page_no)) WITHOUT ROWID",
        "CREATE TABLE ct_records (id INTEGER PRIMARY KEY, check_id INTEGER, segment_id INTEGER, "
        "page_no INTEGER, event_name TEXT, object_id TEXT, lr_event_id TEXT, user_id TEXT, "
        "ts INTEGER, props TEXT, matched TEXT, matched_by TEXT)",
        "CREATE INDEX idx_ct_records_event ON ct_records (check_id, lr_event_id)",
        "CREATE INDEX idx_ct_records_matched ON ct_records (check_id, matched)",
        "CREATE INDEX idx_ct_records_page ON ct_records (segment_id, page_no)",
        "CREATE TABLE ct_verdicts (id INTEGER PRIMARY KEY, check_id INTEGER, user_id TEXT, "
        "lr_event_id TEXT, verdict TEXT, copies INTEGER, fields TEXT, note TEXT)",
        "CREATE INDEX idx_ct_verdicts_user ON ct_verdicts (user_id, check_id)",
        "CREATE INDEX idx_ct_verdicts_verdict ON ct_verdicts (check_id, verdict)",
    ):
        db.execute(sql)


# What `runs.state` may hold from v7 on: the values of `sync.types.RunState`.
V7_RUN_STATES = ("running", "finished", "cancelled", "stopped", "interrupted", "crashed")


def _v7_run_states(db: sqlite_utils.Database) -> None:
    """`runs.state` holds a known run state and nothing else. v1 listed five; a sync that
    raised has always written 'crashed', which the list lacked. Triggers rather than a
    CHECK: SQLite adds a CHECK only by rebuilding the table. Rows already there are kept
    as they are."""
    listed = ", ".join(f"'{s}'" for s in V7_RUN_STATES)
    for name, event in (("insert", "INSERT"), ("update", "UPDATE OF state")):
        db.execute(
            f"CREATE TRIGGER runs_state_known_{name} BEFORE {event} ON runs "
            f"WHEN NEW.state IS NOT NULL AND NEW.state NOT IN ({listed}) "
            "BEGIN SELECT RAISE(ABORT, 'unknown run state'); END"
        )


def _v8_fewer_record_indexes(db: sqlite_utils.Database) -> None:
    """A check stores every record CleverTap holds (a million for a million users), and
    each secondary index of ct_records cost ~3 us a record on the way in. Records are now
    matched as they are stored (by a temporary table of event ids), so the lr_event_id
    index has no reader left; a page's records are deleted by (segment, page) only when
    a restarted query finds a page that differs, which a scan serves."""
    db.execute("DROP INDEX IF EXISTS idx_ct_records_event")
    db.execute("DROP INDEX IF EXISTS idx_ct_records_page")


def _v9_summary(db: sqlite_utils.Database) -> None:
    """The Overview's counts from small tables kept by triggers (store/summary.py), built
    here from the rows already there: at 10,000,000 users the range counts took 1.1 s."""
    summary.rebuild(db.conn)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1,
    _v2,
    _v3,
    _v4,
    _v5_delivered_versions,
    _v6_verify_tables,
    _v7_run_states,
    _v8_fewer_record_indexes,
    _v9_summary,
]
SCHEMA_VERSION = len(MIGRATIONS)
SUMMARY_VERSION = MIGRATIONS.index(_v9_summary) + 1  # the summary's tables exist from here


class SchemaTooNew(sqlite3.DatabaseError, UserFixableError):
    """The database was written by a newer app: the user updates the app."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION, one committed step per version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"database schema {version} is newer than this app understands ({SCHEMA_VERSION}); update the app"
        )
    if version == SCHEMA_VERSION:
        return version
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        with transaction(conn):
            # Another process may have migrated while we waited for the lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                continue
            MIGRATIONS[number - 1](db)
            conn.execute(f"PRAGMA user_version = {number}")
    return SCHEMA_VERSION
