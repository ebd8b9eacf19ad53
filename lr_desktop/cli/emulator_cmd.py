"""`lr-desktop emulator`: run the bundled CleverTap emulator on 127.0.0.1 in the foreground."""

from __future__ import annotations

import argparse

from lr_desktop.cli.common import fail


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from lr_desktop.emulators.clevertap import DEMO_ACCOUNT

    demo = ":".join(DEMO_ACCOUNT)
    p = sub.add_parser(
        "emulator",
        help="run the bundled CleverTap emulator (for the demo and local testing)",
        description=(
            "Serve a CleverTap emulator on 127.0.0.1 until Ctrl+C. "
            f"Without --account it knows the demo account {demo} "
            "(Project ID:Passcode:Token; fake credentials). "
            "Inspect it at <url>/_emulator/stats and <url>/_emulator/state."
        ),
    )
    p.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    p.add_argument(
        "--account",
        action="append",
        metavar="ID:PASSCODE:TOKEN",
        help="an account the emulator accepts (repeatable; default: the demo account)",
    )
    p.add_argument(
        "--error-rate", type=float, default=0.0, help="share of requests answered with an error"
    )
    p.add_argument(
        "--error-status",
        type=int,
        action="append",
        choices=(429, 500, 503),
        help="status for injected errors (repeatable; default 503)",
    )
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    p.add_argument("--jitter", type=float, default=0.0, help="plus up to this many seconds")
    p.add_argument(
        "--drop-rate", type=float, default=0.0, help="share of connections closed unanswered"
    )
    p.add_argument(
        "--slow-rate", type=float, default=0.0, help="share of requests answered very late"
    )
    p.add_argument("--slow-seconds", type=float, default=30.0, help="delay for slow requests")
    p.add_argument("--seed", type=int, default=0, help="random seed for the faults")
    p.add_argument(
        "--max-concurrent", type=int, default=15, help="429 above this many uploads at once"
    )
    p.add_argument(
        "--reject-organic",
        action="store_true",
        help="do not store organic installs sent to /attribution",
    )
    p.add_argument(
        "--record-as-string",
        action="store_true",
        help="send unprocessed[].record as a JSON string",
    )
    p.add_argument(
        "--always-success",
        action="store_true",
        help='answer "status": "success" even when records were rejected',
    )
    p.set_defaults(func=run)


def _parse_account(text: str) -> tuple[str, str, str]:
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ValueError(f"--account {text!r}: expected ID:PASSCODE:TOKEN")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""


def run(args: argparse.Namespace) -> int:
    from lr_desktop.emulators.clevertap import DEMO_ACCOUNT, CleverTapEmulator, Faults

    try:
        accounts = [_parse_account(a) for a in args.account or []] or [DEMO_ACCOUNT]
        faults = Faults(
            error_rate=args.error_rate,
            error_statuses=tuple(args.error_status or (503,)),
            drop_rate=args.drop_rate,
            latency=args.latency,
            jitter=args.jitter,
            slow_rate=args.slow_rate,
            slow_seconds=args.slow_seconds,
            seed=args.seed,
        )
    except ValueError as exc:
        fail(str(exc))
        return 2
    emu = CleverTapEmulator(
        {acc: (passcode, token) for acc, passcode, token in accounts},
        port=args.port,
        faults=faults,
        max_concurrent=args.max_concurrent,
        accept_organic_attribution=not args.reject_organic,
        record_as_string=args.record_as_string,
        always_success_status=args.always_success,
    )

    def ready() -> None:
        print(f"CleverTap emulator listening on {emu.url}", flush=True)
        for acc, _passcode, _token in accounts:
            print(f"  account {acc}", flush=True)
        print(f"  state: {emu.url}/_emulator/stats  (Ctrl+C to stop)", flush=True)

    try:
        emu.serve_forever(ready)
    except OSError as exc:
        fail(f"could not listen on 127.0.0.1:{args.port}: {exc}")
        return 1
    return 0
