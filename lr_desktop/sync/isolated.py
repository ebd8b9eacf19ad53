"""`run_sync_isolated`: the same engine and signature as `run_sync`, in a child process.

The window uses it so a sync of a million events cannot take the GUI thread's GIL: the
calling (worker) thread only waits on a pipe. A crash of the child is reported as a
SyncError; events it had in flight are recovered by the next run, as after any crash.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.store import StoreError
from lr_desktop.sync import types
from lr_desktop.sync.types import Operation, Progress, SyncError, SyncSummary

ProgressCallback = Callable[[Progress], None]

_ERRORS: dict[str, type[Exception]] = {
    "ConfigurationProblem": types.ConfigurationProblem,
    "CredentialsRejected": types.CredentialsRejected,
    "RequestRefused": types.RequestRefused,
    "SyncAlreadyRunning": types.SyncAlreadyRunning,
    "SyncError": types.SyncError,
}
_SUMMARY_FIELDS = {f.name for f in fields(SyncSummary)}


def _summary(data: dict[str, Any] | None) -> SyncSummary | None:
    if not data:
        return None
    return SyncSummary(**{k: v for k, v in data.items() if k in _SUMMARY_FIELDS})


def _request(
    db_path: Path | str,
    cfg: CleverTapConfig,
    operation: str,
    resend: bool,
    send_changed: bool = False,
) -> str:
    config = cfg.public_dict()
    config["secrets"] = {
        "project_token": cfg.secrets.project_token,
        "passcode": cfg.secrets.passcode,
    }
    return json.dumps(
        {
            "db": str(db_path),
            "config": config,
            "operation": operation,
            "resend_delivered": resend,
            "send_changed": send_changed,
        }
    )


def run_sync_isolated(
    db_path: Path | str,
    config: CleverTapConfig,
    operation: Operation | str = Operation.SEND_PENDING,
    *,
    resend_delivered: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    send_changed: bool = False,
) -> SyncSummary:
    """Like `run_sync`, but the engine runs in `python -m lr_desktop.sync.child`."""
    operation = Operation(operation)
    problems = config.problems()  # fail fast, without starting a process
    if problems:
        raise types.ConfigurationProblem(" ".join(problems))
    cancel = cancel or threading.Event()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lr_desktop.sync.child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin, stderr = proc.stdin, proc.stderr  # narrowed for the threads below
    stderr_tail: deque[str] = deque(maxlen=20)
    threading.Thread(target=lambda: stderr_tail.extend(stderr), daemon=True).start()
    finished = threading.Event()

    def forward_cancel() -> None:
        while not finished.is_set():
            if cancel.wait(0.1):
                try:
                    stdin.write("cancel\n")
                    stdin.flush()
                except (BrokenPipeError, ValueError, OSError):
                    pass
                return

    try:
        proc.stdin.write(
            _request(db_path, config, str(operation), resend_delivered, send_changed) + "\n"
        )
        proc.stdin.flush()
        threading.Thread(target=forward_cancel, daemon=True).start()
        final: dict[str, Any] | None = None
        for line in proc.stdout:
            doc = json.loads(line)
            if "progress" in doc:
                if progress is not None:
                    progress(Progress(**doc["progress"]))
            else:
                final = doc
        proc.wait()
    finally:
        finished.set()
        with contextlib.suppress(OSError):
            proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if final is None:
        detail = "".join(stderr_tail).strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        raise SyncError(
            f"The sync process stopped unexpectedly ({detail[0]}). Events it had in flight are "
            "sent again by the next sync."
        )
    if "summary" in final:
        summary = _summary(final["summary"])
        assert summary is not None
        return summary
    err = final["error"]
    if err["type"] == "StoreError":
        raise StoreError(err["message"])
    raise _ERRORS.get(err["type"], SyncError)(err["message"], _summary(err.get("summary")))
