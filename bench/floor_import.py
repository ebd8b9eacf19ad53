"""The import floors: plain `csv` + `sqlite3.executemany` of the same rows into the same
columns of the same (already migrated) table, one transaction, no validation.

- `fair` (the floor the ratio is taken against): what a bulk loader can do, the same
  thing `lr-desktop import` does for a large load: drop every secondary index on
  `installs` and the summary's triggers, insert, re-create each index from its stored
  definition, recount the summary from those indexes and re-create its triggers, all in
  one transaction.
- `noindex` (shown beside it, as information): the same inserts into a table with no
  secondary indexes and no triggers, neither re-created: the cost of the rows alone.

Run as a child process so its peak RSS is its own:
    python -m bench.floor_import DB CSV [fair|noindex]
"""

from __future__ import annotations

import csv
import sqlite3
import sys

# the same set `lr-desktop import` drops for a bulk load: every explicit index on installs
from lr_desktop.store import summary
from lr_desktop.store.bulk import secondary_indexes

MODES = ("fair", "noindex")


def floor_import(db: str, path: str, mode: str = "fair") -> int:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        marks = ", ".join("?" * len(header))
        sql = f"INSERT INTO installs ({', '.join(header)}) VALUES ({marks})"
        conn.execute("BEGIN")
        definitions = secondary_indexes(conn)
        for name in definitions:
            conn.execute(f'DROP INDEX "{name}"')
        summary.drop_triggers(conn)
        cur = conn.executemany(sql, ([v or None for v in row] for row in reader))
        n = cur.rowcount
        if mode == "fair":
            for create in definitions.values():
                conn.execute(create)
            summary.rebuild(conn)
        conn.execute("COMMIT")
    conn.close()
    return n


def main(argv: list[str]) -> int:
    db, path, *rest = argv
    mode = rest[0] if rest else "fair"
    n = floor_import(db, path, mode)
    print(f"{n} rows ({mode})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
