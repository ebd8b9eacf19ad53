"""`lr-desktop import FILE...`: put Linkrunner export files into the queue.

Exit codes: 0 all rows imported, 1 some rows rejected, 2 a file could not be used
(or `--rejections` names a place that is not a new or regular file: checked first,
nothing is imported then).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lr_desktop.cli.common import db_path, fail
from lr_desktop.csvsafe import target_problem
from lr_desktop.importer import ImportProgress, import_files, write_rejections_csv
from lr_desktop.store import StoreError

SHOWN_REJECTIONS = 20


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        "--rejections",
        type=Path,
        metavar="CSV",
        help="also save rejected rows to this CSV file (a new or regular file; an existing "
        "one is replaced, a link, pipe, device or folder is refused)",
    )
    p.set_defaults(func=run)


def _progress(p: ImportProgress) -> None:
    share = f" ({p.bytes_read * 100 // p.bytes_total}%)" if p.bytes_total else ""
    print(f"\r{Path(p.file).name}: {p.rows_read:,} rows read{share}", end="", file=sys.stderr)


def _waiting(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    if args.rejections is not None:
        problem = target_problem(args.rejections)
        if problem:
            fail(f"--rejections: {problem}; nothing was imported")
            return 2
    show_progress = not args.json and sys.stderr.isatty()
    try:
        report = import_files(
            db_path(args),
            args.files,
            source=args.source,
            progress=_progress if show_progress else None,
            waiting=_waiting,
        )
    except StoreError as exc:
        fail(str(exc))
        return 2
    finally:
        if show_progress:
            print(file=sys.stderr)
    saved = False
    if args.rejections and report.rejections:
        try:
            write_rejections_csv(report, args.rejections)
            saved = True
        except (OSError, ValueError) as exc:  # changed since the check, or the disk is full
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            report.unusable.append(f"--rejections {args.rejections}: not saved ({reason})")
    if args.json:
        print(json.dumps(report.to_dict()))
        return report.exit_code
    for problem in report.unusable:
        print(f"error: {problem}", file=sys.stderr)
    if report.read or not report.unusable:  # not "imported 0, …" when no file was read
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
    if saved:
        print(f"rejected rows saved to {args.rejections}")
    return report.exit_code
