"""Records are matched to users as a page is committed (no Qt, a real SQLite file): by
lr_event_id, else user_id, else the profile's CleverTap ID, the same answer the judge's
matching of every record gives; a resumed check's old pages are matched again."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from lr_desktop.store import connect, transaction
from lr_desktop.store.schema import SCHEMA_VERSION
from lr_desktop.verify.store import CheckStore
from lr_desktop.verify.verdicts import match_records
from tests.engine_helpers import fill, users


def _record(eid: str | None = None, uid: str | None = None, oid: str | None = None) -> Any:
    props: dict[str, Any] = {"utm_source": "meta"}
    if eid is not None:
        props["lr_event_id"] = eid
    if uid is not None:
        props["user_id"] = uid
    return {"profile": {"objectId": oid} if oid else {}, "ts": 20260101000000, "event_props": props}


def _matches(conn: Any, check_id: int) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT matched, matched_by FROM ct_records WHERE check_id = ? ORDER BY id", (check_id,)
    ).fetchall()


def test_each_record_is_matched_as_it_is_committed(db_path: Path) -> None:
    fill(db_path, users(3))
    conn = connect(db_path)
    ev = dict(conn.execute("SELECT user_id, event_id FROM installs"))
    store = CheckStore(conn)
    check_id = store.start_check(date(2026, 1, 1), date(2026, 1, 1), ["organic_install"], 1)
    seg = store.segments(check_id)[0]
    store.prepare_matching()
    records = [
        _record(ev["user-0000000"], "user-0000001"),  # its lr_event_id wins over its user_id
        _record("an-older-version", "user-0000001"),  # an old lr_event_id: by user_id
        _record(oid="ct-0000002"),  # no ids: by the profile
        _record("unknown", "ghost", "ct-0000002"),  # by the profile, until "ghost" is known
        _record(None, "later"),  # nobody yet
        "not a record",
    ]
    assert store.commit_page(check_id, seg, 1, [r for r in records if isinstance(r, dict)],
                             "digest", None) == 5  # fmt: skip
    at_commit = _matches(conn, check_id)
    assert at_commit == [
        ("user-0000000", "lr_event_id"),
        ("user-0000001", "user_id"),
        ("user-0000002", "objectId"),
        ("user-0000002", "objectId"),
        (None, None),
    ]
    # the judge's matching of every record gives the same answer
    with transaction(conn):
        match_records(conn, check_id, everything=True)
    assert _matches(conn, check_id) == at_commit

    conn.close()
    base = users(1)[0]
    fill(db_path, [replace(base, user_id=u, clevertap_id=None) for u in ("ghost", "later")])
    conn = connect(db_path)
    CheckStore(conn).prepare_matching()  # a new connection: its own table of event ids
    with transaction(conn):  # after the download: only what is unmatched
        match_records(conn, check_id)
    assert _matches(conn, check_id)[3:] == [
        ("user-0000002", "objectId"),
        ("later", "user_id"),
    ]
    with transaction(conn):  # a resumed check: everything again, against today's installs
        match_records(conn, check_id, everything=True)
    assert _matches(conn, check_id)[3] == ("ghost", "user_id")
    props = conn.execute("SELECT props FROM ct_records ORDER BY id LIMIT 1").fetchone()[0]
    assert json.loads(props) == records[0]["event_props"]  # type: ignore[index]
    conn.close()


def test_the_records_keep_one_secondary_index(db_path: Path) -> None:
    """v8: every index of ct_records costs each stored record; only `matched` is read."""
    conn = connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 8
    names = {r[1] for r in conn.execute("PRAGMA index_list(ct_records)")}
    assert names == {"idx_ct_records_matched"}
    conn.close()
