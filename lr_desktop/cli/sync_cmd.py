"""`lr-desktop sync`: send due events (or, with --all, the full Sync with CleverTap)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from lr_desktop.clevertap.config import ConfigError
from lr_desktop.clevertap.credentials import effective_config
from lr_desktop.cli.common import db_path, fail, open_db
from lr_desktop.run_errors import describe_groups, host_of, run_error_groups, run_level_reason
from lr_desktop.secrets import KeyringFailure, KeyringUnavailable
from lr_desktop.store import StoreError
from lr_desktop.sync import Operation, Progress, SyncError, SyncSummary, run_sync
from lr_desktop.sync.scope import SecondCopies, second_copies
from lr_desktop.words import plural


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sync",
        help="send install events to CleverTap",
        description="Send what is due. With --all: the full 'Sync with CleverTap' pass over every "
        "user with a CleverTap ID (and, in upload mode, their lr_* profile properties).",
    )
    p.add_argument(
        "--all", action="store_true", help="full Sync with CleverTap, not only what is due"
    )
    p.add_argument(
        "--resend-delivered",
        action="store_true",
        help="also re-send events already delivered (implies --all; CleverTap does NOT "
        "deduplicate: each user gets a second install event). Asks first, with the count",
    )
    p.add_argument(
        "--send-changed",
        action="store_true",
        help="also send the corrected install event of users whose attribution changed after "
        "delivery (CleverTap keeps both copies). Asks first, with the count",
    )
    p.add_argument(
        "--yes",
        action="store_true",
        help="confirm --send-changed / --resend-delivered without asking (for scripts)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON summary object")
    p.set_defaults(func=run)


class TerminalProgress:
    """A one-line progress bar on stderr, only when it is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * p.fraction)
        eta = f"{p.eta_seconds:,.0f}s left" if p.eta_seconds is not None else "…"
        unit = "profiles" if p.phase == "profiles" else "events"
        sys.stderr.write(
            f"\r{p.phase:8} [{'#' * filled}{'.' * (width - filled)}] {p.done:,}/{p.total:,} "
            f"{unit} {p.rate:,.0f}/s {eta}   "
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _print_summary(s: SyncSummary) -> None:
    print(  # install events; the profile phase's upserts are counted apart, as profiles
        f"delivered {plural(s.delivered, 'event')}, rejected {s.rejected:,}, "
        f"failed {s.failed:,}, waiting for CleverTap ID {s.waiting_for_clevertap_id:,}"
    )
    if s.profiles_upserted or s.profiles_failed:
        print(
            f"{plural(s.profiles_upserted, 'profile')} updated, {s.profiles_failed:,} failed "
            "(lr_install_type, lr_ad_network, lr_campaign)"
        )
    if s.scope:
        print(f"asked for: {s.scope}")
    if s.unmatched:
        print(
            f"answer not matched: {s.unmatched:,} (CleverTap refused records it did not name; "
            "not counted as delivered, never re-sent unless asked)"
        )
    if s.possibly_duplicated:
        print(f"possibly duplicated in CleverTap: {s.possibly_duplicated:,}")
    if s.cancelled:
        print(f"cancelled; {s.left_queued:,} events stay queued")
    for w in s.warnings:
        print(f"note: {w}", file=sys.stderr)


def _error_groups(args: argparse.Namespace, cfg: Any, summary: SyncSummary | None) -> list[Any]:
    """The run's failures grouped by reason (`run_errors`), [] when it had none."""
    if summary is None or not (summary.failed or summary.rejected or summary.profiles_failed):
        return []
    conn = open_db(args)
    try:
        return run_error_groups(conn, summary.run_id, host=host_of(cfg))
    finally:
        conn.close()


def run(args: argparse.Namespace) -> int:
    conn = open_db(args)
    try:
        cfg = effective_config(conn)
        copies = second_copies(
            conn, resend_delivered=args.resend_delivered, send_changed=args.send_changed
        )
    except (KeyringUnavailable, KeyringFailure, ConfigError, ValueError) as exc:
        fail(str(exc))
        return 2
    finally:
        conn.close()
    if copies.total and not args.yes:
        verdict = confirm(copies)
        if verdict is not None:
            return verdict
    operation = (
        Operation.FULL_SYNC if (args.all or args.resend_delivered) else Operation.SEND_PENDING
    )
    cancel = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print("\nCancelling after the requests in flight (Ctrl-C again to abort)…", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_sigint)
    bar = TerminalProgress() if not args.json else None
    summary: SyncSummary | None = None
    error: SyncError | StoreError | None = None
    try:
        summary = run_sync(
            db_path(args),
            cfg,
            operation,
            resend_delivered=args.resend_delivered,
            send_changed=args.send_changed,
            progress=bar,
            cancel=cancel,
        )
    except SyncError as exc:
        error, summary = exc, exc.summary
    except StoreError as exc:  # disk full, read-only, I/O error: plain words, no traceback
        error = exc
    finally:
        signal.signal(signal.SIGINT, previous)
        if bar:
            bar.close()
    groups = _error_groups(args, cfg, summary)
    if args.json:
        doc: dict[str, object] = summary.to_dict() if summary else {}
        doc["ok"] = error is None and bool(summary and summary.ok)
        if summary is not None and not summary.stopped_reason:
            doc["stopped_reason"] = run_level_reason(groups, delivered=summary.delivered)
        doc["errors"] = [
            {
                "reason": g.reason,
                "outcome": g.outcome,
                "kind": g.kind,
                "count": g.count,
                "user_ids": g.user_ids,
            }
            for g in groups
        ]
        if error is not None:
            doc["error"] = str(error)
        print(json.dumps(doc, indent=None))
    elif summary:
        _print_summary(summary)
        reason = run_level_reason(groups, delivered=summary.delivered)
        if reason:
            print(reason)
        for line in describe_groups(groups):
            print(f"  {line}")
        _print_changed(args)
    if error is not None:  # on stderr with --json too: scripts log stderr, not the JSON
        fail(str(error))
    if error is not None:
        return error.exit_code if isinstance(error, SyncError) else 2
    assert summary is not None
    return 0 if (summary.rejected == 0 and summary.failed == 0 and summary.unmatched == 0) else 1


def confirm(copies: SecondCopies) -> int | None:
    """Ask before sending second copies; None: go ahead, else the exit code."""
    if not sys.stdin.isatty():
        fail(
            f"This would {copies.describe()}. Nothing was sent: run it in a terminal to be "
            "asked, or add --yes to confirm."
        )
        return 2
    sys.stderr.write(f"This will {copies.describe()}.\nContinue? [y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        print("Cancelled: nothing was sent.", file=sys.stderr)
        return 0
    return None


def _print_changed(args: argparse.Namespace) -> None:
    conn = open_db(args)
    try:
        left = second_copies(conn, send_changed=True).changed
    finally:
        conn.close()
    if left:
        print(
            f"changed since delivery: {left:,} (their profile properties follow; send their "
            "corrected install event with --send-changed)"
        )
