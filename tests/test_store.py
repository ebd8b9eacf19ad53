"""The attribution queue: schema, WAL, idempotent upserts and state rules."""

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from lr_desktop.model import Attribution
from lr_desktop.store import StoreError, connect, transaction
from lr_desktop.store.overview import status_counts
from lr_desktop.store.queue import assign_clevertap_ids, upsert_attributions
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


def test_changed_attribution_of_delivered_event_is_changed_not_due_and_back(
    db_path: Path,
) -> None:
    conn = connect(db_path)
    _upsert(conn, A)
    conn.execute("UPDATE installs SET status='delivered', delivered_fingerprint=fingerprint")
    _upsert(conn, replace(A, campaign_name="Winter"))
    assert _status(conn, "u1") == "changed"  # CleverTap keeps both copies: never re-sent silently
    assert status_counts(conn)["changed"] == 1
    _upsert(conn, A)  # back to what CleverTap already has
    assert _status(conn, "u1") == "delivered"


def test_changed_attribution_of_never_delivered_event_is_queued(db_path: Path) -> None:
    conn = connect(db_path)
    _upsert(conn, A)
    conn.execute("UPDATE installs SET status='rejected'")
    _upsert(conn, replace(A, campaign_name="Winter"))
    assert _status(conn, "u1") == "queued"


def test_missing_column_or_empty_cell_never_erases_a_known_value(db_path: Path) -> None:
    conn = connect(db_path)
    _upsert(conn, replace(A, deeplink="app://x"))
    conn.execute("UPDATE installs SET status='delivered', delivered_fingerprint=fingerprint")
    before = conn.execute("SELECT * FROM installs").fetchall()
    # an export without ad_network/campaign columns, or with those cells empty
    counts = _upsert(conn, replace(A, ad_network=None, campaign_id=None, campaign_name=None))
    assert (counts.updated, counts.unchanged) == (0, 1)
    assert conn.execute("SELECT * FROM installs").fetchall() == before
    counts = _upsert(conn, replace(A, campaign_name="Winter", deeplink=None))
    row = conn.execute(
        "SELECT ad_network, campaign_name, deeplink, status FROM installs"
    ).fetchone()
    assert counts.updated == 1 and row == ("META", "Winter", "app://x", "changed")


def test_reimport_never_clears_possibly_duplicated(db_path: Path) -> None:
    conn = connect(db_path)
    _upsert(conn, A)
    conn.execute(
        "UPDATE installs SET status='delivered', delivered_fingerprint=fingerprint, "
        "possibly_duplicated=1"
    )
    _upsert(conn, replace(A, campaign_name="Winter"))
    _upsert(conn, A)  # and back: the copies are still in CleverTap
    assert conn.execute("SELECT possibly_duplicated FROM installs").fetchone()[0] == 1
    assert status_counts(conn)["possibly_duplicated"] == 1


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


def test_bulk_load_drops_and_rebuilds_indexes_and_a_crash_heals(db_path: Path) -> None:
    from lr_desktop.store.bulk import MIN_BULK_ROWS, bulk_load, missing_indexes

    conn = connect(db_path)
    with bulk_load(conn, db_path, expected_rows=10) as bulk:
        assert not bulk and not missing_indexes(conn)  # small loads keep indexes current
    with bulk_load(conn, db_path, expected_rows=MIN_BULK_ROWS) as bulk:
        assert bulk and set(missing_indexes(conn)) == set(INDEXED_COLUMNS)
        other = connect(db_path)  # a window opened mid-import does not rebuild them
        assert set(missing_indexes(other)) == set(INDEXED_COLUMNS)
        other.close()
    assert missing_indexes(conn) == []
    # an import killed mid-way leaves indexes dropped: the next open re-creates them
    for col in INDEXED_COLUMNS:
        conn.execute(f'DROP INDEX "idx_installs_{col}"')
    conn.close()
    assert missing_indexes(connect(db_path)) == []


def test_v3_adds_composite_and_partial_indexes_from_a_v2_database(db_path: Path) -> None:
    from lr_desktop.store.schema import MIGRATIONS, V3_INDEXES

    raw = sqlite3.connect(db_path, isolation_level=None)
    db = __import__("sqlite_utils").Database(raw)
    for step in MIGRATIONS[:2]:
        step(db)
    raw.execute("PRAGMA user_version = 2")
    raw.close()
    conn = connect(db_path)  # migrates 2 -> 3
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 3
    names = {r[0] for r in conn.execute("SELECT name FROM pragma_index_list('installs')")}
    assert set(V3_INDEXES) <= names
    cols = [r[2] for r in conn.execute("PRAGMA index_info('idx_installs_network_campaign')")]
    assert cols == ["ad_network", "campaign_name"]
    partial = dict(conn.execute("SELECT name, partial FROM pragma_index_list('installs')"))
    assert partial["idx_installs_possibly_duplicated"] == 1
    conn.close()


def test_bulk_load_drops_and_rebuilds_every_secondary_index_as_defined(db_path: Path) -> None:
    from lr_desktop.store.bulk import (
        MIN_BULK_ROWS,
        bulk_load,
        missing_extra_indexes,
        secondary_indexes,
    )

    conn = connect(db_path)
    conn.execute("CREATE INDEX idx_custom ON installs (platform, attempts) WHERE attempts > 1")
    before = secondary_indexes(conn)
    assert "idx_custom" in before and "idx_installs_type_installed_at" in before
    with bulk_load(conn, db_path, expected_rows=MIN_BULK_ROWS) as bulk:
        assert bulk and secondary_indexes(conn) == {}
        assert set(missing_extra_indexes(conn)) >= {"idx_installs_type_installed_at"}
    assert secondary_indexes(conn) == before  # same names, same definitions
    # a crash mid-load: the next open re-creates the schema's indexes
    for name in before:
        conn.execute(f'DROP INDEX "{name}"')
    conn.close()
    again = connect(db_path)
    assert missing_extra_indexes(again) == []
    assert set(secondary_indexes(again)) == set(before) - {"idx_custom"}
    again.close()


def test_v4_drops_the_index_that_made_deliveries_slow(db_path: Path) -> None:
    conn = connect(db_path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "idx_installs_status_installed_at" not in names  # and healing never re-creates it
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 4
