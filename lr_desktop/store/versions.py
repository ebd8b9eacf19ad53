"""Which version of a user's attribution CleverTap holds, and which one the queue holds.

A delivered event stays in CleverTap for good (no deduplication, no delete). When the
attribution changes afterwards, the user becomes `changed`; `installs.delivered_values`
keeps the event fields that were delivered so the window can show old and new side by
side (`attribution_versions`). NULL there means the row itself is the delivered version:
it is written only when the row leaves it (an import, or a delivery that lands on a user
changed in flight), so a delivery costs no extra write.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from lr_desktop.model import EVENT_FIELDS

# The event-shaping fields of an `installs` row as one JSON object (SQL expression).
EVENT_VALUES_SQL = "json_object(" + ", ".join(f"'{c}', {c}" for c in EVENT_FIELDS) + ")"


@dataclass(frozen=True)
class AttributionVersions:
    """What CleverTap holds (`delivered`; None when nothing was delivered, or when the
    attribution changed before this app version kept it) and what the queue holds now."""

    user_id: str
    status: str
    delivered: dict[str, Any] | None
    current: dict[str, Any]

    @property
    def differences(self) -> list[str]:
        """Event fields whose value differs between the delivered and the current version."""
        if self.delivered is None:
            return []
        return [f for f in EVENT_FIELDS if self.delivered.get(f) != self.current.get(f)]


def attribution_versions(conn: sqlite3.Connection, user_id: str) -> AttributionVersions | None:
    """The delivered and the current attribution of one user (None: unknown user)."""
    cols = ", ".join(EVENT_FIELDS)
    row = conn.execute(
        f"SELECT status, delivered_values, delivered_fingerprint = fingerprint, {cols} "
        "FROM installs WHERE user_id = ?",
        (user_id,),
    ).fetchone()
    if row is None:
        return None
    current = dict(zip(EVENT_FIELDS, row[3:], strict=True))
    # NULL delivered_values: the row itself is the delivered version (when the fingerprints match)
    delivered = json.loads(row[1]) if row[1] else (dict(current) if row[2] else None)
    return AttributionVersions(user_id, row[0], delivered, current)
