"""`lr-desktop pull` (attributed users from the Linkrunner Data API, campaign by campaign)
and `lr-desktop linkrunner-key set|clear|show` (the API key, in the OS keyring only).

The key is never taken from the command line: `set` reads it from a prompt or stdin;
LR_LINKRUNNER_KEY overrides the keyring for scripts; LR_LINKRUNNER_ENDPOINT points the
pull at the loopback emulator. Exit codes: 0 ok, 1 some records rejected or some
campaigns not pulled, 2 key/config.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import signal
import sys
import threading
from datetime import UTC, datetime

from lr_desktop.cli.common import db_path, fail
from lr_desktop.run_labels import pull_total_text
from lr_desktop.secrets import KeyringFailure, KeyringUnavailable, backend_name
from lr_desktop.words import plural

log = logging.getLogger("lr_desktop.cli.pull")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "pull",
        help="fetch new attributed users from Linkrunner",
        description="Fetch attributed users from the Linkrunner Data API into the queue, "
        "campaign by campaign (incremental per campaign: only what is new since that "
        "campaign's last pull, plus a small overlap). Users Linkrunner names no CleverTap "
        "ID or no platform for wait for an ID mapping (lr-desktop map-ids).",
    )
    p.add_argument("--since", metavar="ISO", help="read from this time (e.g. 2026-01-01T00:00Z)")
    p.add_argument("--json", action="store_true", help="print one JSON object per pull")
    p.add_argument("--watch", action="store_true", help="keep pulling until Ctrl+C")
    p.add_argument(
        "--interval", type=float, metavar="MINUTES", help="minutes between pulls with --watch"
    )
    p.add_argument(
        "--send", action="store_true", help="send what is due to CleverTap after each pull"
    )
    p.set_defaults(func=run)

    k = sub.add_parser(
        "linkrunner-key",
        help="store, show or remove the Linkrunner API key (OS keyring)",
        description="The key is read from a prompt (or one line of stdin), never from arguments.",
    )
    k.add_argument("action", choices=("set", "clear", "show"))
    k.set_defaults(func=run_key)


def _parse_since(text: str) -> int:
    from lr_desktop.fieldmap import RowProblem, parse_timestamp

    try:
        return parse_timestamp(text, "--since")
    except RowProblem as exc:
        raise ValueError(exc.reason) from None


def _line(report) -> str:  # type: ignore[no-untyped-def]
    when = (
        datetime.fromtimestamp(report.high_water_mark, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        if report.high_water_mark
        else "-"
    )
    total = pull_total_text(
        report.records,
        report.imported,
        report.updated,
        report.unchanged,
        report.rejected,
        running=False,
    )
    text = (
        f"pulled from {plural(len(report.campaigns), 'campaign')} in "
        f"{plural(report.pages, 'page')}: {total}; newest attribution {when}"
    )
    derived = [
        f"{why} for {report.inferred[name]:,}"
        for name, why in (
            ("attribution_type", "type INORGANIC (listed under a campaign)"),
            ("ad_network", "ad network (the campaign's channel, UNCONFIRMED)"),
            ("platform", "platform (device identifiers)"),
        )
        if report.inferred.get(name)
    ]
    if derived:
        text += "\nnot in Linkrunner's answer, derived: " + "; ".join(derived)
    if report.waiting_platform:
        text += (
            f"\n{plural(report.waiting_platform, 'user')} "
            f"wait{'s' if report.waiting_platform == 1 else ''}: Linkrunner did not say whether they "
            "installed on Android or iOS (map-ids with a platform column sends them)"
        )
    for campaign in report.campaigns:
        text += f"\n  {campaign.describe()}"
    return text + (" (cancelled)" if report.cancelled else "")


def _print_cycle(cycle, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        doc: dict[str, object] = cycle.report.to_dict() if cycle.report else {}
        if cycle.summary is not None:
            doc["send"] = cycle.summary.to_dict()
        if cycle.error:
            doc["error"] = cycle.error
        print(json.dumps(doc), flush=True)
        return
    if cycle.report:
        print(_line(cycle.report), flush=True)
        for label, reason in cycle.report.reasons[:20]:
            print(f"  rejected {label}: {reason}", file=sys.stderr)
    if cycle.summary is not None:
        s = cycle.summary
        print(f"sent: delivered {s.delivered:,}, rejected {s.rejected:,}, failed {s.failed:,}")
    if cycle.error:
        fail(cycle.error)


def run(args: argparse.Namespace) -> int:
    from lr_desktop.clevertap.endpoint import EndpointRefused
    from lr_desktop.linkrunner.client import LinkrunnerError
    from lr_desktop.linkrunner.pull import WatchCycle, pull_once, run_cycle, settings_for, watch
    from lr_desktop.linkrunner.settings import resolve_api_key
    from lr_desktop.store import StoreError

    path = db_path(args)
    if args.watch:  # unattended (e.g. the systemd unit): the window's rotating log file too
        from lr_desktop.logsetup import setup_logging

        log_path = setup_logging()
        log.info("headless pull started (send: %s); log %s", bool(args.send), log_path)
    try:
        since = _parse_since(args.since) if args.since else None
        key = resolve_api_key()
        settings = settings_for(path)
    except (ValueError, KeyringUnavailable, KeyringFailure, StoreError) as exc:
        log.error("pull cannot start: %s", exc)
        fail(str(exc))
        return 2
    if args.interval is not None and args.interval <= 0:
        fail("--interval must be more than 0 minutes")
        return 2
    if not key:
        log.error("pull cannot start: no Linkrunner API key")
        fail("No Linkrunner API key: run `lr-desktop linkrunner-key set` or set LR_LINKRUNNER_KEY")
        return 2
    stop = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nStopping after the page in progress (Ctrl+C again to abort)…", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        if args.watch:
            interval = (args.interval or settings.pull_interval_minutes) * 60
            worst = [0]

            def on_report(cycle: WatchCycle) -> None:
                _print_cycle(cycle, args.json)
                if cycle.report:
                    log.info("%s", _line(cycle.report))
                if cycle.summary is not None:
                    s = cycle.summary
                    log.info(
                        "sent: %d delivered, %d rejected, %d failed",
                        s.delivered,
                        s.rejected,
                        s.failed,
                    )
                if cycle.report and not cycle.report.ok:
                    worst[0] = max(worst[0], 1)

            watch(
                path,
                interval_seconds=interval,
                send_automatically=args.send,
                stop=stop,
                on_report=on_report,
                api_key=key,
            )
            return worst[0]
        if args.send:
            cycle = run_cycle(path, send_automatically=True, stop=stop, api_key=key)
            _print_cycle(cycle, args.json)
            if cycle.error and cycle.report is None:
                return 2
            bad = (cycle.report and not cycle.report.ok) or (
                cycle.summary is not None and not cycle.summary.ok
            )
            return 2 if cycle.error else 1 if bad else 0
        try:
            report = pull_once(path, api_key=key, since=since, cancel=stop)
        except (LinkrunnerError, EndpointRefused, StoreError) as exc:
            _print_cycle(WatchCycle(error=str(exc)), args.json)
            return 2
        _print_cycle(WatchCycle(report=report), args.json)
        return 0 if report.ok else 1
    finally:
        signal.signal(signal.SIGINT, previous)


def _read_key() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Linkrunner API key (Settings > Data APIs in Linkrunner): ")
    return sys.stdin.readline()


def run_key(args: argparse.Namespace) -> int:
    from lr_desktop.linkrunner.settings import (
        ENV_KEY,
        delete_api_key,
        resolve_api_key,
        save_api_key,
    )

    try:
        if args.action == "set":
            key = _read_key().strip()
            if not key:
                fail("No key given; nothing was saved")
                return 2
            save_api_key(key)
            print(f"Linkrunner API key saved in {backend_name()}")
        elif args.action == "clear":
            delete_api_key()
            print("Linkrunner API key removed from the keyring")
        else:
            import os

            where = "LR_LINKRUNNER_KEY" if os.environ.get(ENV_KEY) else backend_name()
            print(f"Linkrunner API key: {'set' if resolve_api_key() else 'not set'} ({where})")
    except (KeyringUnavailable, KeyringFailure) as exc:
        fail(str(exc))
        return 2
    return 0
