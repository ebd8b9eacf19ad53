"""What the events table's "In CleverTap" column and filter say about the last CleverTap
check's verdict for a user: the labels are verify's own (`VERDICT_LABELS`), the
explanations the README's "Verify with CleverTap" table in a marketer's words."""

from __future__ import annotations

import json
from typing import Any

from lr_desktop.gui.detail_check import NO_DELETE
from lr_desktop.gui.views.check_card import NO_CHECK
from lr_desktop.verify import VERDICT_LABELS

NOT_IN_CHECK = (
    "Not in the last CleverTap check: the user came after it, or was installed outside its "
    "dates. Sync > Check CleverTap checks again."
)
NOT_IN_CHECK_LABEL = "Not in the last check"
NO_VERDICT_TEXT = "—"

# The verdicts a user of this database can have (an "unknown here" event has no user here).
TABLE_VERDICTS = tuple(v for v in VERDICT_LABELS if v != "unknown_here")

_MEANINGS = {
    "present": "CleverTap holds exactly one copy, as this app would send it.",
    "missing": (
        "Delivered here, not in CleverTap (a wrong project, a deleted or merged profile). "
        "Due again: the next Sync sends exactly these users."
    ),
    "duplicated": "CleverTap holds {copies} copies of this install event. Never sent again. "
    + NO_DELETE,
    "different": (
        "CleverTap's copy disagrees with the attribution in: {fields}. CleverTap cannot edit "
        "an event; Sync updates the user's lr_* profile properties, which segments can use "
        "instead."
    ),
    "not_sent": "Not delivered here and not in CleverTap.",
    "too_recent": (
        "Delivered less than the grace period (60 minutes by default) before the check: "
        "CleverTap's indexing delay is not documented, so a fresh absence never causes a "
        "re-send."
    ),
    "not_checked": (
        "Delivered in attribution mode, after this check began: it did not download the "
        '"UTM Visited" events such installs become (run the check again to judge it).'
    ),
}


def _fields(raw: Any) -> list[str]:
    if not raw:
        return []
    value = json.loads(raw) if isinstance(raw, str) else raw
    return [str(f) for f in value]


def verdict_text(verdict: str | None, copies: Any, fields: Any) -> str:
    """The cell: the verdict's label, with the copies or the fields that differ."""
    if not verdict:
        return NO_VERDICT_TEXT
    label = VERDICT_LABELS.get(verdict, verdict)
    if verdict == "duplicated" and copies:
        return f"{label} ({int(copies)} copies)"
    names = _fields(fields)
    if names and verdict in ("different", "duplicated"):
        return f"{label}: {', '.join(names)}"
    return label


def verdict_tooltip(verdict: str | None, copies: Any, fields: Any, *, checked: bool) -> str:
    """The cell's tooltip: what the verdict means and what the app does about it."""
    if not verdict:
        return NOT_IN_CHECK if checked else NO_CHECK
    label = VERDICT_LABELS.get(verdict, verdict)
    meaning = _MEANINGS.get(verdict, "")
    names = ", ".join(_fields(fields)) or "some fields"
    text = meaning.format(copies=int(copies or 0), fields=names)
    if verdict == "duplicated" and _fields(fields):
        text += f" The copies also differ in: {names}."
    return f"{label} (last check): {text}"


def filter_tooltip(verdict: str | None) -> str:
    """A verdict filter entry's tooltip."""
    if verdict is None:
        return "Every user, whatever the last CleverTap check found"
    if verdict not in _MEANINGS:
        return NOT_IN_CHECK
    return _MEANINGS[verdict].format(copies="several", fields="some fields")
