"""`lr-desktop config show|set|clear`. Secrets go to the OS keyring and are read from
a prompt (or stdin when it is not a terminal), never from the command line."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from dataclasses import replace

from lr_desktop import secrets
from lr_desktop.clevertap.config import MODES, Secrets, clear_config, load_config, save_config
from lr_desktop.clevertap.credentials import (
    delete_secrets,
    effective_config,
    load_secrets,
    save_secrets,
)
from lr_desktop.clevertap.regions import REGION_HOSTS, REGIONS
from lr_desktop.cli.common import fail, open_db
from lr_desktop.store import transaction


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("config", help="show, set or clear the CleverTap configuration")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="show the configuration (secrets masked)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=show_cmd)
    s = actions.add_parser(
        "set",
        help="change settings; --token/--passcode ask for the secret (prompt, or stdin)",
        description="Change the CleverTap settings. --token and --passcode read the secret from "
        "a prompt, or from stdin when it is not a terminal: one secret is one line; both at once "
        "must be named lines, 'token=...' and 'passcode=...' (any order). Unnamed lines for two "
        "secrets are refused, so they can never be stored the wrong way round.",
    )
    s.add_argument("--project-id")
    s.add_argument("--region", choices=REGIONS, type=str.upper)
    s.add_argument(
        "--mode",
        choices=MODES,
        help="upload: the Upload Events API; CleverTap shows custom events named by "
        "--organic-event / --inorganic-event (organic_install / inorganic_install). attribution: the attribution partner API; CleverTap stores "
        "the installs as its 'UTM Visited' event (segments on one don't see the other), and "
        "organic ones only once Settings > Partners in CleverTap enables them",
    )
    s.add_argument(
        "--partner",
        dest="partner_name",
        help="attribution mode only: the partner name CleverTap whitelisted for your account "
        "(it only works if CleverTap whitelisted it; no public source names Linkrunner's, and "
        "there is no default)",
    )
    s.add_argument(
        "--attribution-method",
        choices=("GET", "POST"),
        type=str.upper,
        help="HTTP method of attribution requests: GET (default) is what CleverTap's partner "
        "doc shows; POST has no public source (UNCONFIRMED)",
    )
    s.add_argument("--organic-event")
    s.add_argument("--inorganic-event")
    s.add_argument("--concurrency", type=int)
    s.add_argument("--send-automatically", choices=("on", "off"))
    s.add_argument(
        "--token", action="store_true", help="ask for the Project Token (stdin: 'token=...')"
    )
    s.add_argument(
        "--passcode",
        action="store_true",
        help="ask for the Project Passcode (stdin: 'passcode=...')",
    )
    s.set_defaults(func=set_cmd)
    t = actions.add_parser(
        "test",
        help="check the credentials and region with CleverTap (sends no data)",
        description="Ask CleverTap's documented connection check (GET /v1/connect) with the "
        "stored configuration (plus LR_CLEVERTAP_* overrides). Exit codes: 0 verified, "
        "1 could not verify (the answer proved nothing, or none came), 2 CleverTap refused "
        "the credentials or region, or the configuration is incomplete.",
    )
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=test_cmd)
    c = actions.add_parser("clear", help="forget the configuration and delete the stored secrets")
    c.set_defaults(func=clear_cmd)


SECRET_LABELS = {"token": "CleverTap Project Token", "passcode": "CleverTap Project Passcode"}
_NAMED = re.compile(r"^(token|passcode)=(.*)$")


def _checked(name: str, value: str) -> str:
    if not value.strip():
        raise ValueError(f"{SECRET_LABELS[name]} is empty; nothing was saved")
    return value.strip()


def _named_lines(text: str, wanted: list[str]) -> dict[str, str]:
    """Both secrets piped at once: named lines only, so their order cannot swap them."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _NAMED.match(line.strip())
        if not m or m.group(1) in values:
            raise ValueError(
                "Two secrets on stdin must be named lines, 'token=...' and 'passcode=...' "
                "(one each, any order); nothing was saved"
            )
        values[m.group(1)] = m.group(2)
    missing = [SECRET_LABELS[n] for n in wanted if n not in values]
    if missing:
        raise ValueError(f"{' and '.join(missing)} not given on stdin; nothing was saved")
    return {n: _checked(n, values[n]) for n in wanted}


def _read_secrets(wanted: list[str]) -> dict[str, str]:
    """The secrets asked for: prompts on a terminal; else one line, or named lines."""
    if not wanted:
        return {}
    if sys.stdin.isatty():
        return {n: _checked(n, getpass.getpass(f"{SECRET_LABELS[n]}: ")) for n in wanted}
    if len(wanted) > 1:
        return _named_lines(sys.stdin.read(), wanted)
    (name,) = wanted
    line = sys.stdin.readline().rstrip("\r\n")
    m = _NAMED.match(line.strip())
    if m:  # the named form works for one secret too, if it names the one asked for
        if m.group(1) != name:
            raise ValueError(
                f"stdin names the {SECRET_LABELS[m.group(1)]}, but --{name} asked for the "
                f"{SECRET_LABELS[name]}; nothing was saved"
            )
        line = m.group(2)
    return {name: _checked(name, line)}


def _mask(value: str | None) -> str:
    return "set (hidden)" if value else "not set"


def show_cmd(args: argparse.Namespace) -> int:
    conn = open_db(args)
    cfg = load_config(conn)
    conn.close()
    try:
        stored = load_secrets(cfg.project_id)
        where = secrets.backend_name()
    except (secrets.KeyringUnavailable, secrets.KeyringFailure) as exc:
        stored, where = Secrets(), f"unavailable: {exc}"
    data = cfg.public_dict()
    data["api_host"] = REGION_HOSTS.get(cfg.region, "?")
    data["project_token"] = _mask(stored.project_token)
    data["passcode"] = _mask(stored.passcode)
    data["keyring"] = where
    if args.json:
        print(json.dumps(data))
    else:
        for key, value in data.items():
            print(f"{key:20} {value}")
    return 0


def set_cmd(args: argparse.Namespace) -> int:
    conn = open_db(args)
    try:
        cfg = load_config(conn)
        changes = {
            k: getattr(args, k)
            for k in (
                "project_id",
                "region",
                "mode",
                "partner_name",
                "attribution_method",
                "organic_event",
                "inorganic_event",
                "concurrency",
            )
            if getattr(args, k) is not None
        }
        if args.send_automatically:
            changes["send_automatically"] = args.send_automatically == "on"
        cfg = replace(cfg, **changes)
        problems = cfg.problems(need_secrets=False)
        if problems:
            for p in problems:
                fail(p)
            return 2
        try:
            given = _read_secrets([n for n in ("token", "passcode") if getattr(args, n)])
            token, passcode = given.get("token"), given.get("passcode")
            if token or passcode:
                save_secrets(cfg.project_id, Secrets(project_token=token, passcode=passcode))
        except (secrets.KeyringUnavailable, secrets.KeyringFailure, ValueError) as exc:
            fail(str(exc))
            return 2
        with transaction(conn):
            save_config(conn, cfg)
    finally:
        conn.close()
    where = ""
    if args.token or args.passcode:
        where = f"; secrets stored in {secrets.backend_name()}"
    print(f"saved{where}")
    return 0


def clear_cmd(args: argparse.Namespace) -> int:
    conn = open_db(args)
    try:
        cfg = load_config(conn)
        if cfg.project_id:
            try:
                delete_secrets(cfg.project_id)
            except (secrets.KeyringUnavailable, secrets.KeyringFailure) as exc:
                fail(str(exc))
                return 2
        with transaction(conn):
            clear_config(conn)
    finally:
        conn.close()
    print("configuration and stored secrets removed")
    return 0


def test_cmd(args: argparse.Namespace) -> int:
    from lr_desktop.clevertap.connection import test_connection

    conn = open_db(args)
    try:
        cfg = effective_config(conn)
    except (secrets.KeyringUnavailable, secrets.KeyringFailure, ValueError) as exc:
        fail(str(exc))
        return 2
    finally:
        conn.close()
    result = test_connection(cfg)
    if args.json:
        print(
            json.dumps(
                {
                    "outcome": result.outcome,
                    "http_status": result.http_status,
                    "message": result.message,
                }
            )
        )
    elif result.exit_code == 0:
        print(result.message)
    else:
        fail(result.message)
    return result.exit_code
