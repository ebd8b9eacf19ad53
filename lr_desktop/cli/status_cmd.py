"""`lr-desktop status`: how many users are in each delivery state, and recent runs."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from lr_desktop.cli.common import db_path, open_db
from lr_desktop.importer.lock import end_dead_runs_if_free
from lr_desktop.model import STATUS_LABELS
from lr_desktop.run_labels import run_label
from lr_desktop.store.overview import status_counts
from lr_desktop.verify import VERDICT_LABELS, last_check


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("status", help="show delivery counts and recent runs")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _counts(r: dict[str, Any], detail: str | None) -> dict[str, int]:
    """What a run's line counts: imports their rows (kept in the run's detail), the
    others their events."""
    if r["kind"] == "import" and r["mode"] == "file":
        try:
            d = json.loads(detail or "{}")
        except ValueError:
            d = {}
        names = ("imported", "updated", "rejected")
        return {n: int(d.get(n) or r.get(n) or 0) for n in names}
    return {n: int(r[n] or 0) for n in ("delivered", "rejected", "failed")}


def run(args: argparse.Namespace) -> int:
    conn = open_db(args, create_folder=False)
    try:
        end_dead_runs_if_free(conn, db_path(args))  # a SIGKILLed import's 'running' row
        counts = status_counts(conn)
        check = last_check(conn)
        runs = [
            dict(
                zip(
                    (
                        "id",
                        "kind",
                        "mode",
                        "started_at",
                        "ended_at",
                        "state",
                        "delivered",
                        "rejected",
                        "failed",
                        "error",
                        "scope",
                        "detail",
                    ),
                    r,
                    strict=True,
                )
            )
            for r in conn.execute(
                "SELECT id, kind, mode, started_at, ended_at, state, delivered, rejected, failed, "
                "error, scope, detail "
                "FROM runs ORDER BY id DESC LIMIT 5"
            )
        ]
    finally:
        conn.close()
    for r in runs:
        r["label"] = run_label(r["kind"], r["mode"], r["scope"])
        r["counts"] = _counts(r, r.pop("detail"))
    if args.json:
        print(json.dumps({"counts": counts, "recent_runs": runs, "clevertap_check": check}))
        return 0
    print(
        f"attributed users: {counts['attributed']:,} "
        f"(organic {counts['organic']:,}, inorganic {counts['inorganic']:,})"
    )
    for key, label in STATUS_LABELS.items():
        print(f"  {label:26} {counts[key]:>10,}")
    if counts["possibly_duplicated"]:
        print(f"  {'Possibly duplicated':26} {counts['possibly_duplicated']:>10,}")
    if check:
        print(
            f"CleverTap check #{check['check_id']} ({check['since']} to {check['until']}, "
            f"{_when(check['ended_at'])}):"
        )
        for key, label in VERDICT_LABELS.items():
            if check["counts"].get(key):
                print(f"  {label:32} {check['counts'][key]:>10,}")
    if runs:
        print("recent runs:")
        for r in runs:
            shown = ", ".join(f"{name} {n:,}" for name, n in r["counts"].items())
            line = (
                f"  #{r['id']} {r['label']:15} {r['state']:11} {_when(r['started_at'])}  {shown}"
            )
            if r["scope"]:  # second copies the user asked for
                line += f"  [{r['scope']}]"
            print(line + (f"  ({r['error']})" if r["error"] else ""))
    return 0
