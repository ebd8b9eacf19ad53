"""`lr-desktop map-ids FILE`: give known users their CleverTap IDs from a
`user_id,clevertap_id` CSV. Exit codes: 0 ok, 1 some rows rejected, 2 unusable file."""

from __future__ import annotations

import argparse
import json
import sys

from lr_desktop.cli.common import db_path, fail
from lr_desktop.words import plural


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "map-ids",
        help="import a user_id,clevertap_id mapping",
        description="Set the CleverTap IDs of users already in the queue from a CSV with the "
        "header user_id,clevertap_id. Users waiting for an ID are queued for sending. An "
        "optional platform column (android or ios) gives the platform of users Linkrunner "
        "named none for; it never changes one Linkrunner named.",
    )
    p.add_argument("file", metavar="FILE", help="CSV file (UTF-8, header user_id,clevertap_id)")
    p.add_argument("--json", action="store_true", help="print one JSON summary object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lr_desktop.linkrunner.idmap import MappingFileError, import_id_mapping
    from lr_desktop.store import StoreError

    try:
        report = import_id_mapping(db_path(args), args.file)
    except (MappingFileError, StoreError) as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": str(exc)}))
        fail(str(exc))
        return 2
    if args.json:
        doc = report.to_dict()
        doc["ok"] = report.rejected == 0
        print(json.dumps(doc))
    else:
        print(
            f"{plural(report.rows, 'row')}: {plural(report.matched, 'user')} got their "
            f"CleverTap ID, {report.unchanged:,} already had it, "
            f"{plural(report.unknown, 'unknown user')}, "
            f"{report.rejected:,} rejected"
        )
        for row, reason in report.rejections[:20]:
            print(f"  row {row}: {reason}", file=sys.stderr)
        if report.unknown:
            print(
                "note: unknown users are not in the queue yet; pull or import them first, "
                "then map again",
                file=sys.stderr,
            )
    return 1 if report.rejected else 0
