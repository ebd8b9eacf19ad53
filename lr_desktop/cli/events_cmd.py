"""`lr-desktop events`: the users in a delivery state, with CleverTap's answer (why they
were rejected or failed), as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from lr_desktop.cli.common import open_db
from lr_desktop.model import STATUS_LABELS

COLUMNS = (
    "user_id",
    "status",
    "clevertap_id",
    "attempts",
    "last_attempt_at",
    "last_http_status",
    "last_code",
    "last_error",
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "events",
        help="list users by delivery state, with the reason (e.g. --status rejected)",
        description="List users and their install event's delivery state, with CleverTap's "
        "answer to the last attempt: why an event was rejected or failed.",
    )
    p.add_argument(
        "--status",
        choices=[str(s) for s in STATUS_LABELS],
        help="only users in this state (default: all)",
    )
    p.add_argument("--limit", type=int, default=0, help="at most this many users (0: all)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print a JSON array")
    out.add_argument("--csv", action="store_true", help="print CSV (spreadsheet-safe)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lr_desktop.csvsafe import safe_row
    from lr_desktop.timefmt import iso_utc

    conn = open_db(args)
    try:
        sql = f"SELECT {', '.join(COLUMNS)} FROM installs"
        params: list[object] = []
        if args.status:
            sql += " WHERE status = ?"
            params.append(args.status)
        sql += " ORDER BY user_id"
        if args.limit > 0:
            sql += " LIMIT ?"
            params.append(args.limit)
        rows = [dict(zip(COLUMNS, r, strict=True)) for r in conn.execute(sql, params)]
    finally:
        conn.close()
    for r in rows:
        r["last_attempt_at"] = iso_utc(r["last_attempt_at"]) or None
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    elif args.csv:
        w = csv.writer(sys.stdout)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(safe_row("" if r[c] is None else r[c] for c in COLUMNS))
    else:
        for r in rows:
            answer = " ".join(
                str(x) for x in (r["last_http_status"], r["last_code"], r["last_error"]) if x
            )
            label = STATUS_LABELS.get(str(r["status"]), str(r["status"]))
            print(f"{r['user_id']}\t{label}\t{answer}")
        n = len(rows)
        print(f"{n:,} user{'' if n == 1 else 's'}", file=sys.stderr)
    return 0
