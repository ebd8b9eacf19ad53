"""The attribution queue: schema, WAL, idempotent upserts and state rules."""

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from lr_desktop.model import Attribution
from lr_desktop.store import StoreError, connect, transaction
from lr_desktop.store.queue import assign_clevertap_ids, status_counts, upsert_attributions
from lr_desktop.store.schema import INDEXED_COLUMNS, SCHEMA_VERSION

A = Attribution(
    "u1",
    "INORGANIC",
    "android",
    1767225600,
    clevertap_id="ct1",
    ad_network="META",
    campaign_id="c1",
    campaign_name="Summer",
)
B = Attribution("u2", "ORGANIC", "ios", 1767225601)


def _status(conn: sqlite3.Connection, uid: str) -> str:
    return conn.execute("SELECT status FROM installs WHERE user_id = ?", (uid,)).fetchone()[0]


def _upsert(conn: sqlite3.Connection, *items: Attribution):
    with transaction(conn):
        return upsert_attributions(conn, items, source="test")


def test_schema_wal_version_and_indexes(db_path: Path) -> None:
    conn = connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    indexed = {
        conn.execute(f"PRAGMA index_info('{name}')").fetchone()[2]
        for (name,) in conn.execute("SELECT name FROM pragma_index_list('installs')")
    }
    assert set(INDEXED_COLUMNS) <= indexed
    conn.close()
    again = connect(db_path)  # re-opening migrates nothing and keeps data
    assert again.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_schema_is_refused(db_path: Path) -> None:
    conn = connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError):
        connect(db_path)


def test_new_users_queue_or_wait(db_path: Path) -> None:
    conn = connect(db_path)
    counts = _upsert(conn, A, B)
    assert (counts.imported, counts.updated, counts.unchanged) == (2, 0, 0)
    assert _status(conn, "u1") == "queued"
    assert _status(conn, "u2") == "waiting_id"


def test_reimport_unchanged_changes_nothing(db_path: Path) -> None:
    conn = connect(db_path)
    _upsert(conn, A, B)
    before = conn.execute("SELECT * FROM installs ORDER BY user_id").fetchall()
    counts = _upsert(conn, A, B)
    assert (counts.imported, counts.updated, counts.unchanged) == (0, 0, 2)
    assert conn.execute("SELECT * FROM installs ORDER BY user_id").fetchall() == before


def test_changed_attribution_makes_delivered_event_due_and_back(db_path: Path) -> None:
    conn = connect(db_path)
    _upsert(conn, A)
    conn.execute("UPDATE installs SET status='delivered', delivered_fingerprint=fingerprint")
    _upsert(conn, replace(A, campaign_name="Winter"))
    assert _status(conn, "u1") == "queued"
    _upsert(conn, A)  # back to what CleverTap already has
    assert _status(conn, "u1") == "delivered"


def test_non_event_field_change_updates_without_requeue(db_path: Path) -> None:
    conn = connect(db_path)
    _upsert(conn, A)
    conn.execute("UPDATE installs SET status='delivered', delivered_fingerprint=fingerprint")
    counts = _upsert(conn, replace(A, deeplink="app://promo"))
    assert counts.updated == 1
    assert _status(conn, "u1") == "delivered"


def test_clevertap_id_arriving_queues_and_missing_id_never_erases(db_path: Path) -> None:
    conn = connect(db_path)
    _upsert(conn, B)
    _upsert(conn, replace(B, clevertap_id="ct2"))
    assert _status(conn, "u2") == "queued"
    _upsert(conn, B)  # a later source without the id keeps it
    assert (
        conn.execute("SELECT clevertap_id FROM installs WHERE user_id='u2'").fetchone()[0] == "ct2"
    )


def test_mapping_assigns_ids(db_path: Path) -> None:
    conn = connect(db_path)
    _upsert(conn, A, B)
    with transaction(conn):
        counts = assign_clevertap_ids(conn, [("u2", "ct2"), ("u1", "ct1"), ("nobody", "x")])
    assert (counts.matched, counts.unchanged, counts.unknown) == (1, 1, 1)
    assert _status(conn, "u2") == "queued"


def test_status_counts(db_path: Path) -> None:
    conn = connect(db_path)
    _upsert(conn, A, B)
    c = status_counts(conn)
    assert (c["attributed"], c["organic"], c["inorganic"], c["without_clevertap_id"]) == (
        2,
        1,
        1,
        1,
    )
    assert (c["queued"], c["waiting_id"]) == (1, 1)


def test_failed_transaction_changes_nothing(db_path: Path) -> None:
    conn = connect(db_path)
    with pytest.raises(RuntimeError), transaction(conn):
        upsert_attributions(conn, [A], source="t")
        raise RuntimeError("crash mid-chunk")
    assert conn.execute("SELECT count(*) FROM installs").fetchone()[0] == 0
