"""The sync engine: sends install events (and profile properties) to CleverTap.

Public API (used by the CLI and the GUI alike):

    run_sync(db_path, config, operation=Operation.SEND_PENDING | Operation.FULL_SYNC,
             resend_delivered=False, progress=callback, cancel=threading.Event()) -> SyncSummary

Blocking; call it from a worker thread in the GUI. `progress` is called from the
calling thread at most ~5 times a second (and once at the end) with a `Progress`.
Raises `SyncError` subclasses for configuration/credential problems and when another
sync holds the database (`SyncAlreadyRunning`); row-level outcomes are in the summary.
"""

from lr_desktop.sync.types import (
    ConfigurationProblem,
    CredentialsRejected,
    Operation,
    Progress,
    RequestRefused,
    SyncAlreadyRunning,
    SyncError,
    SyncSummary,
)

__all__ = [
    "ConfigurationProblem",
    "CredentialsRejected",
    "Operation",
    "Progress",
    "RequestRefused",
    "SyncAlreadyRunning",
    "SyncError",
    "SyncSummary",
    "run_sync",
]


def run_sync(*args, **kwargs) -> SyncSummary:  # type: ignore[no-untyped-def]
    from lr_desktop.sync.engine import run_sync as _run

    return _run(*args, **kwargs)
