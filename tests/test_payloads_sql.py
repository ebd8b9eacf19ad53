"""The SQL-built event record (payloads_sql) means exactly what payloads.event_record
builds, and a row it accepts as plain is one CleverTap's pre-check accepts."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.clevertap.payloads import PAYLOAD_COLUMNS, RecordBatch, event_record
from lr_desktop.clevertap.payloads_sql import EVENT_DATA, EVENT_DATA_PLAIN, EVENT_RECORD, PLAIN_ROW
from lr_desktop.clevertap.rules import event_record_problem

CFG = CleverTapConfig(project_id="TEST-123-4567")
COLUMNS = PAYLOAD_COLUMNS
_TEXT_COLS = {c for c in COLUMNS if c != "installed_at"}


def _conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    # the same column affinities as the installs table (TEXT, and INTEGER for the time)
    cols = ", ".join(f"{c} {'TEXT' if c in _TEXT_COLS else 'INTEGER'}" for c in COLUMNS)
    conn.execute(f"CREATE TABLE installs ({cols})")
    return conn


def _sql_record(conn: sqlite3.Connection, row: dict[str, Any]) -> dict[str, Any] | None:
    """The SQL record for `row`, or None when the row is not plain."""
    conn.execute("DELETE FROM installs")
    conn.execute(
        f"INSERT INTO installs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        [row[c] for c in COLUMNS],
    )
    stored = dict(
        zip(
            COLUMNS,
            conn.execute(f"SELECT {', '.join(COLUMNS)} FROM installs").fetchone(),
            strict=True,
        )
    )
    found = conn.execute(
        f"SELECT {EVENT_RECORD} FROM installs WHERE {PLAIN_ROW}",
        {"organic_event": CFG.organic_event, "inorganic_event": CFG.inorganic_event},
    ).fetchone()
    if found is None:
        return None
    # compared with what Python builds from the stored row (affinity may convert values)
    assert json.loads(found[0]) == event_record(stored, CFG)
    # the very text Python's upload body holds (same keys, order and escapes)
    assert found[0] == json.dumps(
        event_record(stored, CFG), separators=(",", ":"), ensure_ascii=False
    )
    assert event_record_problem(event_record(stored, CFG)) is None
    return json.loads(found[0])


def _row(**changes: Any) -> dict[str, Any]:
    row = {
        "user_id": "usr_1",
        "clevertap_id": "__abc123",
        "attribution_type": "INORGANIC",
        "platform": "ANDROID",
        "installed_at": 1_700_000_000,
        "ad_network": "Meta",
        "campaign_id": "c-1",
        "campaign_name": "Winter Sale",
        "event_id": "0123456789abcdef",
    }
    row.update(changes)
    return row


def test_plain_rows_match_python_records() -> None:
    conn = _conn()
    for row in (
        _row(),
        _row(attribution_type="ORGANIC"),
        _row(attribution_type="organic", campaign_name=None, campaign_id=""),
        _row(ad_network=None),
        _row(ad_network=""),
        _row(campaign_name='Diwali 🎉 "quoted" back\\slash é', user_id="ユーザー"),
        _row(campaign_name="tab\there\nnew line\x1f", clevertap_id="id with space"),
    ):
        assert _sql_record(conn, row) is not None, row


def test_rows_the_pre_check_refuses_are_never_plain() -> None:
    conn = _conn()
    for row in (
        _row(clevertap_id=None),
        _row(clevertap_id=""),
        _row(clevertap_id="   "),
        _row(clevertap_id="x" * 121),
        _row(installed_at=1_700_000_000_000),  # milliseconds
        _row(installed_at=0),
        _row(campaign_name="x" * 513),
        _row(user_id="é" * 300),  # 600 bytes
    ):
        assert _sql_record(conn, row) is None, row


def test_rows_sql_would_word_differently_go_to_python() -> None:
    conn = _conn()
    for row in (
        _row(ad_network="MÉTA"),  # Python's lower() folds É, SQLite's does not
        _row(attribution_type="organıc"),  # Python's upper() makes this ORGANIC
        _row(user_id="nul\x00inside"),
        _row(clevertap_id="\u3000"),  # blank to Python's strip(), not to SQLite's trim()
        _row(clevertap_id="\x1c\t "),
    ):
        assert _sql_record(conn, row) is None, row


_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.text(alphabet=st.characters(max_codepoint=127), max_size=8),
    st.integers(min_value=-5, max_value=10**13),
    st.sampled_from(["ORGANIC", "INORGANIC", "organic", "", " ", "Meta", "ÉTÉ"]),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.fixed_dictionaries({c: st.one_of(st.just(_row()[c]), _values) for c in COLUMNS}))
@example(_row())
def test_any_row_sql_accepts_means_what_python_builds(row: dict[str, Any]) -> None:
    _sql_record(_conn(), row)  # asserts inside whenever the row is taken as plain


def _sql_batch(rows: list[dict[str, Any]]) -> RecordBatch:
    conn = _conn()
    conn.executemany(
        f"INSERT INTO installs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        [[row[c] for c in COLUMNS] for row in rows],
    )
    count, text, event_ids = conn.execute(
        f"SELECT count(*), group_concat({EVENT_RECORD}, ','), json_group_array(event_id) "
        f"FROM installs WHERE {PLAIN_ROW}",
        {"organic_event": CFG.organic_event, "inorganic_event": CFG.inorganic_event},
    ).fetchone()
    return RecordBatch(json_records=text or "", json_count=count, json_event_ids=event_ids)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "event_id": st.text(max_size=10),
                "campaign_name": st.text(max_size=10),
                "user_id": st.text(max_size=6),
            }
        ),
        max_size=6,
    )
)
def test_event_positions_from_sql_event_ids_match_the_parsed_records(
    changes: list[dict[str, Any]],
) -> None:
    batch = _sql_batch([_row(**c) for c in changes])
    parsed = json.loads(f"[{batch._json}]") if len(batch) else []
    expected = {r["evtData"]["lr_event_id"]: i for i, r in enumerate(parsed)}
    assert "records" not in batch.__dict__  # not parsed to find them
    assert batch.event_positions() == expected
    assert "records" not in batch.__dict__


def _sql_evt_data(conn: sqlite3.Connection, row: dict[str, Any]) -> str | None:
    """EVENT_DATA for `row` when EVENT_DATA_PLAIN takes it (asserted equal to Python's)."""
    conn.execute("DELETE FROM installs")
    conn.execute(
        f"INSERT INTO installs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        [row[c] for c in COLUMNS],
    )
    cols = ", ".join(COLUMNS)
    values = conn.execute(f"SELECT {cols} FROM installs").fetchone()
    stored = dict(zip(COLUMNS, values, strict=True))
    found = conn.execute(
        f"SELECT {EVENT_DATA}, {PLAIN_ROW} FROM installs WHERE {EVENT_DATA_PLAIN}"
    ).fetchone()
    plain = conn.execute(f"SELECT count(*) FROM installs WHERE {PLAIN_ROW}").fetchone()[0]
    if found is None:
        assert not plain  # every plain row is also plain for the evtData
        return None
    data = event_record(stored, CFG)["evtData"]
    assert found[0] == json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return str(found[0])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.fixed_dictionaries({c: st.one_of(st.just(_row()[c]), _values) for c in COLUMNS}))
@example(_row())
@example(_row(clevertap_id=None, installed_at=0, campaign_name="x" * 600))  # not sendable
def test_the_evt_data_sql_builds_is_pythons_whenever_it_says_so(row: dict[str, Any]) -> None:
    _sql_evt_data(_conn(), row)


def test_evt_data_refuses_what_sql_would_word_differently() -> None:
    conn = _conn()
    assert _sql_evt_data(conn, _row()) is not None
    assert _sql_evt_data(conn, _row(clevertap_id=None)) is not None  # not in evtData
    for row in (
        _row(ad_network="MÉTA"),
        _row(attribution_type="organıc"),
        _row(user_id="nul\x00inside"),
        _row(campaign_name="nul\x00inside"),
    ):
        assert _sql_evt_data(conn, row) is None, row
