"""Copies of install events the emulator holds, per `lr_event_id` and per user, so a test
(or anyone at the control endpoint `/_emulator/copies`) can assert "exactly one".

CleverTap keeps every copy it accepts; so does the emulator. An upload record is an
install event of this app when its `evtData` carries `lr_event_id`; its user is
`evtData.user_id` (falling back to the objectId).
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class CopyCounter:
    """Not thread-safe on its own: the emulator calls it with its lock held."""

    def __init__(self) -> None:
        self.by_event_id: Counter[str] = Counter()
        self.by_user: Counter[str] = Counter()

    def add(self, object_id: str, data: dict[str, Any]) -> None:
        event_id = data.get("lr_event_id")
        if event_id is None:
            return
        self.by_event_id[str(event_id)] += 1
        self.by_user[str(data.get("user_id") or object_id)] += 1

    def report(self, *, full: bool = False) -> dict[str, Any]:
        """Totals, and the ids with more than one copy (with `full`, every id's count)."""
        out: dict[str, Any] = {
            "events": sum(self.by_event_id.values()),
            "event_ids": len(self.by_event_id),
            "users": len(self.by_user),
            "event_ids_with_copies": {k: n for k, n in self.by_event_id.items() if n > 1},
            "users_with_copies": {k: n for k, n in self.by_user.items() if n > 1},
        }
        if full:
            out["by_event_id"] = dict(self.by_event_id)
            out["by_user"] = dict(self.by_user)
        return out
