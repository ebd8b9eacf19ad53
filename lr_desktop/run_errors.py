"""Why a run's events failed or were rejected, grouped by reason with counts and the
users behind each, and the one sentence for a run that failed for a single reason
("CleverTap answered 503 Service Unavailable to every request", "Could not reach
api.clevertap.com: …"). Read from the run's final attempts (outcome failed/rejected;
the retries before them are not counted). Used by `lr-desktop sync`, the window's sync
message and Sync history's drill-down. No Qt here.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

from lr_desktop.words import plural  # the one plural helper (run_detail imports it from here)

USERS_KEPT = 200  # user IDs listed per reason (all of them: `failed_user_ids`)
_TRIES = re.compile(r"\s*\(gave up after \d+ tr(?:y|ies)\)\s*$")
_NETWORK = "Network error talking to CleverTap: "
_SERVER = re.compile(r"^CleverTap server error (\d{3})$")


@dataclass
class ErrorGroup:
    reason: str  # in a marketer's words
    outcome: str  # failed (may work on a retry) | rejected (CleverTap refused the data)
    kind: str  # event | profile
    count: int
    http_status: int | None = None
    user_ids: list[str] = field(default_factory=list)  # the first USERS_KEPT of them


def host_of(cfg: object) -> str:
    """The host a configuration's requests go to (its endpoint, else its region's)."""
    from lr_desktop.clevertap.regions import REGION_HOSTS

    endpoint = getattr(cfg, "endpoint", None)
    if endpoint:
        return urlsplit(endpoint).hostname or str(endpoint)
    return REGION_HOSTS.get(getattr(cfg, "region", ""), "CleverTap")


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def reason_text(
    http_status: int | None, code: int | None, message: str | None, *, host: str = "CleverTap"
) -> str:
    """One failed or rejected attempt's reason as a person reads it."""
    text = _TRIES.sub("", message or "").strip()
    if text.startswith(_NETWORK):
        return f"Could not reach {host}: {text[len(_NETWORK) :]}"
    m = _SERVER.match(text)
    if m or (http_status and http_status >= 500 and not text):
        return f"CleverTap answered {_status_text(int(m.group(1)) if m else int(http_status or 0))}"
    if code is not None and text:
        return f"CleverTap refused it (code {code}): {text}"
    if text:
        return text
    if http_status:
        return f"CleverTap answered {_status_text(http_status)}"
    return "No reason was recorded"


def run_error_groups(
    conn: sqlite3.Connection, run_id: int, *, host: str = "CleverTap"
) -> list[ErrorGroup]:
    """The run's failures and rejections grouped by reason, largest first."""
    rows = conn.execute(
        "SELECT kind, outcome, http_status, code, message, user_id FROM attempts "
        "WHERE run_id = ? AND outcome IN ('failed', 'rejected') ORDER BY id",
        (run_id,),
    )
    groups: dict[tuple[str, str, str], ErrorGroup] = {}
    for kind, outcome, status, code, message, user_id in rows:
        reason = reason_text(status, code, message, host=host)
        g = groups.get((kind or "event", outcome, reason))
        if g is None:
            g = groups[(kind or "event", outcome, reason)] = ErrorGroup(
                reason, outcome, kind or "event", 0, status
            )
        g.count += 1
        if len(g.user_ids) < USERS_KEPT:
            g.user_ids.append(user_id)
    return sorted(groups.values(), key=lambda g: (g.kind != "event", -g.count, g.reason))


def failed_user_ids(conn: sqlite3.Connection, run_id: int) -> list[str]:
    """Every user whose event failed in the run (for "Retry failed")."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT user_id FROM attempts WHERE run_id = ? AND outcome = 'failed' "
            "AND kind = 'event'",
            (run_id,),
        )
    ]


def run_level_reason(groups: list[ErrorGroup], *, delivered: int) -> str | None:
    """The sentence for a run whose events all failed for one reason; None otherwise."""
    events = [g for g in groups if g.kind == "event"]
    if delivered or len(events) != 1:
        return None
    g = events[0]
    if g.reason.startswith("CleverTap answered "):
        return f"{g.reason} to every request"
    if g.reason.startswith("Could not reach "):
        return g.reason
    return f"Every event {'was rejected' if g.outcome == 'rejected' else 'failed'}: {g.reason}"


def describe_groups(groups: list[ErrorGroup], *, limit: int = 5) -> list[str]:
    """Lines for a summary: '26 events failed: CleverTap answered 503 Service Unavailable'."""
    lines = []
    for g in groups[:limit]:
        what = "event" if g.kind == "event" else "profile update"
        verb = "were rejected" if g.outcome == "rejected" else "failed"
        if g.count == 1:
            verb = "was rejected" if g.outcome == "rejected" else "failed"
        lines.append(f"{plural(g.count, what)} {verb}: {g.reason}")
    if len(groups) > limit:
        lines.append(f"… and {len(groups) - limit} more reasons")
    return lines
