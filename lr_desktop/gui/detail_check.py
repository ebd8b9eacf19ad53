"""The detail pane's "In CleverTap" section: the last check's verdict for the user and
CleverTap's copies of the install event (read by the core's `verify.lookup`)."""

from __future__ import annotations

import html
import json
import sqlite3
import time
from typing import Any

NO_DELETE = (
    "CleverTap offers no way to delete an event: count installs by unique users, or "
    "exclude these users by their lr_event_id in segments."
)


def clevertap_copies_html(conn: sqlite3.Connection, user_id: str) -> str:
    """The section's HTML; "" when no check has finished yet."""
    from lr_desktop.verify import VERDICT_LABELS
    from lr_desktop.verify.lookup import user_check

    info = user_check(conn, user_id)
    if info is None:
        return ""
    verdict = info["verdict"]
    label = VERDICT_LABELS.get(verdict, "Not judged") if verdict else "Not judged by the check"
    parts = [f"<h4>In CleverTap (last check)</h4><p><b>{html.escape(label)}</b>"]
    if info["fields"]:
        parts.append(f" — differs in: {html.escape(', '.join(info['fields']))}")
    parts.append("</p>")
    records: list[dict[str, Any]] = info["records"]
    if verdict == "duplicated":
        parts.append(f"<p style='color:#666'>{html.escape(NO_DELETE)}</p>")
    if not records:
        parts.append("<p style='color:#666'>CleverTap holds no copy of this install event.</p>")
    for n, rec in enumerate(records, 1):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(rec["ts"])) if rec["ts"] else "?"
        parts.append(
            f"<p>Copy {n}: {html.escape(str(rec['event_name']))} at {when} UTC, profile "
            f"{html.escape(str(rec['object_id']))} (matched by {html.escape(str(rec['matched_by']))})</p>"
            f"<pre>{html.escape(json.dumps(rec['props'], indent=2, ensure_ascii=False))}</pre>"
        )
    return "".join(parts)
