"""The engine's vocabulary: which events a run sends (`Due`), and what an attempt came
to (`Result`, `Outcome`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lr_desktop.clevertap.payloads import PAYLOAD_COLUMNS
from lr_desktop.sync.types import Operation

HAS_ID = "clevertap_id IS NOT NULL AND clevertap_id != ''"


@dataclass(frozen=True)
class Due:
    """Which events a run sends: those in `statuses` with a CleverTap ID."""

    statuses: tuple[str, ...]

    @property
    def sql(self) -> str:
        listed = ", ".join(f"'{s}'" for s in self.statuses)
        return f"status IN ({listed}) AND {HAS_ID}"


DUE_PENDING = Due(("queued", "failed"))
DUE_FULL = Due(("queued", "failed", "rejected"))
# Second copies, only when asked: `changed` (delivered, then the attribution changed),
# and with a re-send of delivered events also `unmatched` (maybe delivered).
CHANGED = ("changed",)
RESEND = ("delivered", "changed", "unmatched")
DUE_FULL_RESEND = Due(DUE_FULL.statuses + RESEND)
PROFILE_DUE = (
    f"{HAS_ID} AND status != 'rejected' "
    "AND status != 'waiting_id' "  # e.g. a CleverTap ID but no platform: nothing goes out
    "AND (profile_fingerprint IS NULL OR profile_fingerprint != fingerprint)"
)
# A plain send upserts the profile properties of changed users (their event is not re-sent).
PROFILE_DUE_CHANGED = f"{PROFILE_DUE} AND status = 'changed'"

SELECT_NAMES = ("rowid", *PAYLOAD_COLUMNS, "fingerprint")
SELECT = ", ".join(SELECT_NAMES)


def due_condition(operation: str, resend_delivered: bool, send_changed: bool = False) -> Due:
    """What a run sends. A re-send of delivered events implies the full sync."""
    if resend_delivered:
        return DUE_FULL_RESEND
    base = DUE_PENDING if operation == Operation.SEND_PENDING else DUE_FULL
    return Due(base.statuses + CHANGED) if send_changed else base


class Result(StrEnum):
    """What one attempt came to for one event (`attempts.outcome`)."""

    DELIVERED = "delivered"
    REJECTED = "rejected"  # CleverTap refused the record: not retried
    FAILED = "failed"  # gave up after retries
    RETRY = "retry"  # retryable; sent again
    STOPPED = "stopped"  # 400/401/403: the run stops; the event stays as it was
    RELEASED = "released"  # cancelled before it was sent
    UNMATCHED = "unmatched"  # CleverTap refused something it did not name: maybe delivered


@dataclass(frozen=True)
class Outcome:
    """What happened to one event in one attempt."""

    rowid: int
    user_id: str | None  # None: read from the event's row when the attempt is written
    outcome: Result
    http_status: int | None = None
    code: int | None = None
    message: str | None = None
    maybe_duplicated: bool = False

    @classmethod
    def for_row(
        cls,
        row: dict[str, Any],
        outcome: Result,
        http_status: int | None = None,
        code: int | None = None,
        message: str | None = None,
        maybe_duplicated: bool = False,
    ) -> Outcome:
        return cls(
            row["rowid"], row["user_id"], outcome, http_status, code, message, maybe_duplicated
        )
