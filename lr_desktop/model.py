"""Plain data shared by every layer: an attributed user and its event states."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from enum import StrEnum
from operator import attrgetter


class Status(StrEnum):
    """Delivery state of a user's install event."""

    WAITING_ID = "waiting_id"  # no CleverTap ID yet: never sent (would create a ghost profile)
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    REJECTED = "rejected"  # CleverTap (or our pre-check of its rules) refused the record: final
    FAILED = "failed"  # retryable error outlived its retries; the next run picks it up
    # delivered, then the attribution changed: profile properties follow on Sync; a
    # second install event goes out only when asked (`sync --send-changed`)
    CHANGED = "changed"
    # CleverTap refused something in the request, but its answer names no record we can
    # match: maybe delivered, maybe not; never re-sent unless asked (raw answer kept)
    UNMATCHED = "unmatched"


STATUS_LABELS: dict[str, str] = {
    Status.WAITING_ID: "Waiting for CleverTap ID",
    Status.QUEUED: "Queued",
    Status.IN_FLIGHT: "Sending",
    Status.DELIVERED: "Delivered",
    Status.REJECTED: "Rejected",
    Status.FAILED: "Failed",
    Status.CHANGED: "Changed since delivery",
    Status.UNMATCHED: "Answer not matched",
}

ORGANIC = "ORGANIC"
INORGANIC = "INORGANIC"
PLATFORMS = ("android", "ios")


@dataclass(frozen=True, slots=True)
class Attribution:
    """One attributed user, in the queue's column names (times are epoch seconds)."""

    user_id: str
    attribution_type: str  # ORGANIC | INORGANIC
    platform: str  # android | ios
    installed_at: int
    clevertap_id: str | None = None
    ad_network: str | None = None
    campaign_id: str | None = None
    campaign_display_id: str | None = None
    campaign_name: str | None = None
    attributed_at: int | None = None
    store_click_at: int | None = None
    deeplink: str | None = None
    link: str | None = None
    attribution_source: str | None = None
    ad_set_id: str | None = None
    ad_set_name: str | None = None
    ad_creative_id: str | None = None
    ad_creative_name: str | None = None
    group_name: str | None = None
    asset_group_name: str | None = None
    asset_name: str | None = None

    def as_row(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


ATTRIBUTION_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Attribution))

# The fields that shape the install event CleverTap receives. A change in any of
# them makes the event due again; nothing else does.
EVENT_FIELDS: tuple[str, ...] = (
    "clevertap_id",
    "attribution_type",
    "platform",
    "installed_at",
    "ad_network",
    "campaign_id",
    "campaign_name",
)


attribution_values = attrgetter(*ATTRIBUTION_COLUMNS)  # Attribution -> tuple in column order
_event_values = attrgetter(*EVENT_FIELDS)


def fingerprint(row: dict[str, object] | Attribution) -> str:
    """Stable digest of the event-shaping fields of a user (runs once per imported row)."""
    if isinstance(row, dict):
        values = tuple(row.get(k) for k in EVENT_FIELDS)
    else:
        values = _event_values(row)
    raw = "\x1f".join(["" if v is None else str(v) for v in values])
    return hashlib.blake2b(raw.encode(), digest_size=10).hexdigest()


def event_id(user_id: str, fp: str) -> str:
    """Stable id of one version of a user's install event (sent in evtData as lr_event_id)."""
    return hashlib.blake2b(f"{user_id}\x1f{fp}".encode(), digest_size=8).hexdigest()
