"""The reader's `next_upload`: the next due events and their records in one statement,
the same as finding the due rowids and then preparing them."""

from __future__ import annotations

import json
from pathlib import Path

from lr_desktop.store import connect, transaction
from lr_desktop.sync.ledger import DUE_FULL, DUE_PENDING, Due, SyncReader
from tests.engine_helpers import config, fill, users


def _walk(reader: SyncReader, due: Due, names: tuple[str, str], chunk: int) -> list[list[int]]:
    chunks, after = [], 0
    while True:
        last, claim = reader.next_upload(due, after, chunk, names)
        if not last:
            return chunks
        ids = reader.due_rowids(due, after, chunk)
        assert last == ids[-1]
        assert claim == reader.prepare_upload(ids, due, names)  # records, rows and pairs
        chunks.append(claim.plain_ids + [r["rowid"] for r in claim.other_rows])
        after = last


def test_next_upload_walks_every_due_status_in_rowid_order(db_path: Path) -> None:
    fill(db_path, users(40, without_id_every=9))
    conn = connect(db_path)
    with transaction(conn):  # due statuses interleaved, and some events not due
        conn.execute("UPDATE installs SET status = 'failed' WHERE rowid % 3 = 0")
        conn.execute("UPDATE installs SET status = 'rejected' WHERE rowid % 7 = 0")
        conn.execute("UPDATE installs SET status = 'delivered' WHERE rowid % 11 = 0")
        conn.execute("UPDATE installs SET clevertap_id = 'é' WHERE rowid = 5")  # built in Python
    cfg = config("http://127.0.0.1:9")
    names = (cfg.organic_event, cfg.inorganic_event)
    reader = SyncReader(db_path)
    for due in (DUE_PENDING, DUE_FULL):
        (expected,) = conn.execute(
            f"SELECT json_group_array(rowid) FROM (SELECT rowid FROM installs WHERE {due.sql} "
            "ORDER BY rowid)"
        ).fetchone()
        chunks = _walk(reader, due, names, 4)
        assert [i for c in chunks for i in sorted(c)] == json.loads(expected)
        assert all(len(c) == 4 for c in chunks[:-1]) and 0 < len(chunks[-1]) <= 4
    reader.close()
    conn.close()
