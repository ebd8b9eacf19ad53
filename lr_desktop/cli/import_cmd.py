"""`lr-desktop import FILE...`: put Linkrunner export files into the queue.

Exit codes: 0 all rows imported, 1 some rows rejected, 2 a file could not be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lr_desktop.cli.common import db_path, fail
from lr_desktop.importer import ImportProgress, import_files, write_rejections_csv
from lr_desktop.store import StoreError

SHOWN_REJECTIONS = 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import Linkrunner attribution files (CSV, JSON, JSON Lines)",
        description="Import Linkrunner attribution files into the queue. Importing the same "
        "file again changes nothing; a changed row makes its install event due again.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".csv, .json, .jsonl")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--source", help="label stored with the rows (default: the file name)")
    p.add_argument(
        "--rejections", type=Path, metavar="CSV", help="also save rejected rows to this CSV file"
    )
    p.set_defaults(func=run)


def _progress(p: ImportProgress) -> None:
    share = f" ({p.bytes_read * 100 // p.bytes_total}%)" if p.bytes_total else ""
    print(f"\r{Path(p.file).name}: {p.rows_read:,} rows read{share}", end="", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    show_progress = not args.json and sys.stderr.isatty()
    try:
        report = import_files(
            db_path(args),
            args.files,
            source=args.source,
            progress=_progress if show_progress else None,
        )
    except StoreError as exc:
        fail(str(exc))
        return 2
    finally:
        if show_progress:
            print(file=sys.stderr)
    if args.rejections and report.rejections:
        write_rejections_csv(report, args.rejections)
    if args.json:
        print(json.dumps(report.to_dict()))
        return report.exit_code
    for problem in report.unusable:
        print(f"error: {problem}", file=sys.stderr)
    print(
        f"imported {report.imported:,}, updated {report.updated:,}, "
        f"unchanged {report.unchanged:,}, rejected {report.rejected:,}"
    )
    for warning in report.warnings:
        print(f"warning: {warning}")
    if report.rejections:
        print("rejected (file:row; a CSV's header is row 1, JSON records and lines count from 1):")
    for r in report.rejections[:SHOWN_REJECTIONS]:
        who = f" user {r.user_id}" if r.user_id else ""
        print(f"  {Path(r.file).name}:{r.row}{who}: {r.reason}")
    more = report.rejected - min(len(report.rejections), SHOWN_REJECTIONS)
    if more > 0:
        print(f"  ... and {more:,} more")
    if args.rejections and report.rejections:
        print(f"rejected rows saved to {args.rejections}")
    return report.exit_code
