"""Child-process side of `run_sync_isolated`: `python -m lr_desktop.sync.child`.

Protocol (JSON lines): the parent writes one request line on stdin (database path,
configuration incl. secrets, operation, options), then "cancel" to cancel; EOF on stdin
also cancels (the parent went away). The child writes {"progress": ...} lines and one
final {"summary": ...} or {"error": ...} line on stdout. Secrets travel only through the
pipe: never argv, environment or files.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import asdict, fields
from typing import Any, TextIO

from lr_desktop.clevertap.config import CleverTapConfig, Secrets
from lr_desktop.store import StoreError
from lr_desktop.sync import Progress, SyncError, run_sync


def config_from_dict(data: dict[str, Any]) -> CleverTapConfig:
    known = {f.name for f in fields(CleverTapConfig)} - {"secrets"}
    secrets = data.get("secrets") or {}
    return CleverTapConfig(
        **{k: v for k, v in data.items() if k in known},
        secrets=Secrets(secrets.get("project_token"), secrets.get("passcode")),
    )


def _watch_stdin(stdin: TextIO, cancel: threading.Event) -> None:
    for line in stdin:
        if line.strip() == "cancel":
            break
    cancel.set()  # "cancel", or EOF: the parent is gone


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    request = json.loads(stdin.readline())
    cancel = threading.Event()
    threading.Thread(target=_watch_stdin, args=(stdin, cancel), daemon=True).start()
    lock = threading.Lock()

    def send(doc: dict[str, Any]) -> None:
        with lock:
            stdout.write(json.dumps(doc) + "\n")
            stdout.flush()

    def progress(p: Progress) -> None:
        send({"progress": asdict(p)})

    try:
        summary = run_sync(
            request["db"],
            config_from_dict(request["config"]),
            request["operation"],
            resend_delivered=bool(request.get("resend_delivered")),
            send_changed=bool(request.get("send_changed")),
            progress=progress,
            cancel=cancel,
        )
    except (SyncError, StoreError) as exc:
        summary = getattr(exc, "summary", None)
        send(
            {
                "error": {
                    "type": type(exc).__name__,
                    "message": str(exc),
                    "summary": summary.to_dict() if summary is not None else None,
                }
            }
        )
        return 0
    send({"summary": summary.to_dict()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
