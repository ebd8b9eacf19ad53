"""What the sync engine reports: progress, summaries and errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Operation(StrEnum):
    SEND_PENDING = "send"  # what is due: the automatic send after new attributions
    FULL_SYNC = "sync"  # "Sync with CleverTap": every user with a CleverTap ID


class RunState(StrEnum):
    """`runs.state`, for every kind of run; the schema accepts exactly these (schema v7)."""

    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    STOPPED = "stopped"  # refused by CleverTap, or an import or pull that failed
    INTERRUPTED = "interrupted"  # found still running after its process died
    CRASHED = "crashed"  # a sync that raised an unexpected error


@dataclass(frozen=True)
class Progress:
    operation: str
    phase: str  # "events" | "profiles"
    done: int  # events answered (delivered + rejected + failed) in this phase
    total: int
    delivered: int  # in the "profiles" phase: profiles updated
    rejected: int
    failed: int  # in the "profiles" phase: profile updates rejected or failed
    rate: float  # events per second so far
    eta_seconds: float | None  # None until a rate is known

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)


@dataclass
class SyncSummary:
    run_id: int
    operation: str
    mode: str
    total: int = 0  # events considered in this run
    delivered: int = 0
    rejected: int = 0
    failed: int = 0
    waiting_for_clevertap_id: int = 0  # users never sent: no CleverTap ID yet
    possibly_duplicated: int = 0  # were in flight when an earlier run died; re-sent
    confirmed_by_clevertap: int = 0  # possibly duplicated, found in CleverTap: not re-sent
    unmatched: int = 0  # CleverTap refused records its answer did not name: "Answer not matched"
    resend_delivered: bool = False  # the user asked for second copies of delivered events
    send_changed: bool = False  # the user asked for corrected events of changed users
    scope: str | None = None  # what second copies were asked for, e.g. "re-send delivered: 200"
    profiles_upserted: int = 0
    profiles_failed: int = 0
    left_queued: int = 0  # not attempted (cancelled or stopped)
    cancelled: bool = False
    stopped_reason: str | None = None  # e.g. "credentials or region wrong"
    stopped_http_status: int | None = None
    elapsed_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.rejected or self.failed or self.unmatched or self.stopped_reason)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class SyncError(Exception):
    """A run that could not start or had to stop; the message says what to fix.

    When the run had started, `summary` holds what it did before stopping.
    """

    exit_code = 2

    def __init__(self, message: str, summary: SyncSummary | None = None) -> None:
        super().__init__(message)
        self.summary = summary


class ConfigurationProblem(SyncError):
    pass


class CredentialsRejected(SyncError):
    """HTTP 401: CleverTap answers this both for bad credentials and the wrong region."""


class RequestRefused(SyncError):
    """HTTP 400/403: CleverTap refused the requests themselves (not single records)."""


class SyncAlreadyRunning(SyncError):
    pass
