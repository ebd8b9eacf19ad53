"""The import floor: plain `csv` + `sqlite3.executemany` of the same rows into the same
columns of the same (already migrated) table, one transaction, no validation.

Run as a child process so its peak RSS is its own:
    python -m bench.floor_import DB CSV
"""

from __future__ import annotations

import csv
import sqlite3
import sys

from lr_desktop.model import ATTRIBUTION_COLUMNS


def floor_import(db: str, path: str) -> int:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        marks = ", ".join("?" * len(header))
        sql = f"INSERT INTO installs ({', '.join(header)}) VALUES ({marks})"
        conn.execute("BEGIN")
        cur = conn.executemany(sql, ([v or None for v in row] for row in reader))
        n = cur.rowcount
        conn.execute("COMMIT")
    conn.close()
    return n


def main(argv: list[str]) -> int:
    db, path = argv
    n = floor_import(db, path)
    print(f"{n} rows; columns {len(ATTRIBUTION_COLUMNS)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
