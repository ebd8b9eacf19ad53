"""Times as files and exports write them: ISO 8601 in UTC (what a spreadsheet, a script
and CleverTap's own exports read unambiguously), from the store's epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime

TIME_COLUMNS = frozenset({"installed_at", "last_attempt_at", "delivered_at", "attributed_at"})


def iso_utc(ts: float | str | None) -> str:
    """2026-12-02T17:25:40Z; "" for no time."""
    if ts is None or ts == "":
        return ""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
