"""The detail pane's part for a user whose event CleverTap may hold in another version.

* "Changed since delivery": the delivered attribution (what CleverTap keeps) and the
  current one side by side, the differing fields marked (`store.versions`).
* "Answer not matched": CleverTap's raw entry, as the engine kept it (`last_error`).
"""

from __future__ import annotations

import html
import sqlite3
from typing import Any

from lr_desktop.model import EVENT_FIELDS, STATUS_LABELS, Status

DIFF_BG = "#fff1c2"  # a marked (differing) row


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _cell(value: Any, fmt: Any) -> str:
    return "<span style='color:#888'>—</span>" if value in (None, "") else fmt(value)


def compare_html(
    conn: sqlite3.Connection,
    user: dict[str, Any],
    labels: dict[str, str],
    fmt: Any,
) -> str:
    """HTML for a changed or unmatched user ("" for any other status). `labels` and `fmt`
    (key, value -> HTML) are the detail pane's, so both tables read alike."""
    status = user.get("status")
    if status == Status.CHANGED:
        return _changed(conn, str(user["user_id"]), labels, fmt)
    if status == Status.UNMATCHED:
        raw = user.get("last_error") or ""
        return (
            f"<h4>{_esc(STATUS_LABELS[Status.UNMATCHED])}</h4>"
            "<p>CleverTap refused part of the request this event was in without naming which "
            "records, so it may or may not be in CleverTap. It is not sent again unless you "
            "ask (Re-send delivered). CleverTap's entry, as it answered:</p>"
            f"<pre style='white-space:pre-wrap' id='rawEntry'>{_esc(raw)}</pre>"
        )
    return ""


def _changed(conn: sqlite3.Connection, user_id: str, labels: dict[str, str], fmt: Any) -> str:
    from lr_desktop.store.versions import attribution_versions

    versions = attribution_versions(conn, user_id)
    head = (
        f"<h4>{_esc(STATUS_LABELS[Status.CHANGED])}</h4>"
        "<p>CleverTap holds the install event as delivered and keeps it. Sync updates this "
        "user's profile properties; a corrected install event goes out only with "
        "Sync &gt; Send corrected events (CleverTap then keeps both copies).</p>"
    )
    if versions is None:
        return head
    if versions.delivered is None:
        return head + "<p style='color:#666'>The delivered version was not kept.</p>"
    diff = set(versions.differences)
    rows = [
        "<table border='1' cellspacing='0' cellpadding='3' style='border-collapse:collapse'>"
        "<tr><th>Field</th><th>Delivered (in CleverTap)</th><th>Now</th></tr>"
    ]
    for key in EVENT_FIELDS:
        old, new = versions.delivered.get(key), versions.current.get(key)
        if (old is None and new is None) or (key == "clevertap_id" and key not in diff):
            continue
        label = _esc(labels.get(key, key.replace("_", " ").capitalize()))
        style = f" style='background:{DIFF_BG}'" if key in diff else ""
        mark = " ◆ changed" if key in diff else ""
        rows.append(
            f"<tr{style}><td>{label}<b>{mark}</b></td><td>{_cell(old, lambda v, k=key: fmt(k, v))}"
            f"</td><td>{_cell(new, lambda v, k=key: fmt(k, v))}</td></tr>"
        )
    rows.append("</table>")
    return head + "".join(rows)
