"""`lr-desktop verify`: check what CleverTap really holds for each user."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lr_desktop.clevertap.config import MAX_MATCH_SECONDS, ConfigError
from lr_desktop.clevertap.credentials import effective_config
from lr_desktop.cli.common import db_path, fail, open_db
from lr_desktop.secrets import KeyringFailure, KeyringUnavailable
from lr_desktop.store import StoreError
from lr_desktop.words import plural

if TYPE_CHECKING:
    from lr_desktop.verify import VerifySummary

SHOWN = 20  # problem users listed in the text output (all of them with --json)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "verify",
        help="check what CleverTap really holds for each user",
        description="Download the install events CleverTap holds for the date range of the "
        "local installs (Get Events API, pages of up to 5000) and give every user a verdict: "
        "in CleverTap once, missing (made due again), duplicated, different, or unknown here. "
        'Attribution-mode installs are CleverTap\'s "UTM Visited" events, matched by '
        "CleverTap ID, time and utm fields. Interrupted checks resume where they stopped.",
    )
    p.add_argument("--since", metavar="DATE", help="first install date to check (YYYY-MM-DD)")
    p.add_argument("--until", metavar="DATE", help="last install date to check (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--concurrency",
        type=int,
        default=2,
        choices=(1, 2, 3),
        help="read requests at once (CleverTap does not document its read limit; default 2)",
    )
    p.add_argument(
        "--grace-minutes",
        type=float,
        default=60.0,
        help="events delivered less than this before the check are not judged missing "
        "(CleverTap's indexing delay is not documented; default 60)",
    )
    p.add_argument(
        "--match-seconds",
        type=float,
        metavar="SECONDS",
        help='attribution mode: how far CleverTap\'s "UTM Visited" time may be from the '
        "install time and still be its copy (default: the setting, 60). Whether CleverTap "
        "records the timestamp sent or its own arrival time is not confirmed",
    )
    p.add_argument("--batch-size", type=int, default=5000, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _print(s: VerifySummary, problems: list[dict[str, Any]]) -> None:
    from lr_desktop.verify import VERDICT_LABELS

    print(f"CleverTap check #{s.check_id} of installs {s.since} to {s.until}: {s.state}")
    for key, label in VERDICT_LABELS.items():
        n = s.counts.get(key, 0)
        if n:
            print(f"  {label:32} {n:>10,}")
    print(
        f"{plural(s.records, 'CleverTap record')} in {plural(s.api_calls, 'API call')}"
        + (" (resumed)" if s.resumed else "")
    )
    if s.made_due:
        print(f"due again (missing in CleverTap): {s.made_due:,}; the next sync sends them")
    if s.confirmed or s.flags_cleared:
        print(
            f"CleverTap confirmed {plural(s.confirmed + s.flags_cleared, 'user')} marked "
            "'possibly duplicated' or waiting: they hold one copy (or more) and are not sent again"
        )
    for p in problems[:SHOWN]:
        fields = f" ({', '.join(p['fields'])})" if p["fields"] else ""
        copies = f", {p['copies']} copies" if p["verdict"] == "duplicated" else ""
        who = p["user_id"] or p["lr_event_id"] or f"CleverTap ID {p.get('clevertap_id')}"
        print(f"  {p['verdict']:12} {who}{copies}{fields}")
    if len(problems) > SHOWN:
        print(f"  … and {len(problems) - SHOWN:,} more (see --json)")
    if s.counts.get("duplicated"):
        print(
            "note: CleverTap cannot delete an event. Exclude the extra copies in CleverTap "
            "instead (a segment on the event's count, or on lr_event_id)."
        )


def run(args: argparse.Namespace) -> int:
    from lr_desktop.clevertap.reads import ReadApiError
    from lr_desktop.verify import problem_users, run_verify

    conn = open_db(args)
    try:
        cfg = effective_config(conn)
        if args.match_seconds is not None:
            cfg = replace(cfg, attribution_match_seconds=args.match_seconds)
            if not 0 <= args.match_seconds <= MAX_MATCH_SECONDS:
                raise ValueError(f"--match-seconds must be 0 to {MAX_MATCH_SECONDS}")
        if not cfg.project_id or not cfg.secrets.passcode:
            raise ConfigError(
                "CleverTap Project ID and Passcode are needed to read from CleverTap."
            )
    except (KeyringUnavailable, KeyringFailure, ConfigError, ValueError) as exc:
        fail(str(exc))
        return 2
    finally:
        conn.close()
    cancel = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print("\nStopping after this page (Ctrl-C again to abort)…", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_sigint)
    error: Exception | None = None
    summary = None
    try:
        summary = run_verify(
            db_path(args),
            cfg,
            since=args.since,
            until=args.until,
            cancel=cancel,
            concurrency=args.concurrency,
            batch_size=args.batch_size,
            grace_seconds=args.grace_minutes * 60,
        )
    except ReadApiError as exc:
        error, summary = exc, getattr(exc, "summary", None)
    except (StoreError, ValueError) as exc:
        error = exc
    finally:
        signal.signal(signal.SIGINT, previous)
    problems: list[dict[str, Any]] = []
    if summary is not None and summary.state == "finished":
        conn = open_db(args)
        try:
            problems = problem_users(conn, summary.check_id)
        finally:
            conn.close()
    if args.json:
        doc: dict[str, object] = summary.to_dict() if summary else {}
        doc["ok"] = error is None and summary is not None and summary.state == "finished"
        doc["users"] = problems
        if error is not None:
            doc["error"] = str(error)
        print(json.dumps(doc))
    elif summary is not None:
        _print(summary, problems)
    if error is not None:
        fail(str(error))
        status = getattr(error, "http_status", None)
        return 2 if status in (401, 403) or not isinstance(error, ReadApiError) else 1
    assert summary is not None
    if summary.state != "finished":
        print("The check stopped; run `lr-desktop verify` again to resume it.", file=sys.stderr)
        return 1
    return 1 if problems else 0
