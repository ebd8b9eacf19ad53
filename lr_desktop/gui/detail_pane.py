"""The selected user's attribution, the exact record CleverTap gets (credentials
redacted) and every delivery attempt with CleverTap's answer."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QTextBrowser, QWidget

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.clevertap.payloads import attribution_url, event_record, profile_record, redact_url
from lr_desktop.gui.models.events_model import fmt_time
from lr_desktop.model import ATTRIBUTION_COLUMNS, STATUS_LABELS
from lr_desktop.store import reads

_TIME_FIELDS = {
    "installed_at",
    "attributed_at",
    "store_click_at",
    "last_attempt_at",
    "delivered_at",
}
_LABELS = {
    "user_id": "User ID",
    "clevertap_id": "CleverTap ID",
    "attribution_type": "Type",
    "platform": "Platform",
    "installed_at": "Installed at",
    "ad_network": "Ad network",
    "campaign_id": "Campaign ID",
    "campaign_display_id": "Campaign display ID",
    "campaign_name": "Campaign",
    "attributed_at": "Attributed at",
    "store_click_at": "Store click at",
}


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "<span style='color:#888'>—</span>"
    if key in _TIME_FIELDS:
        return _esc(f"{fmt_time(value)}  ({value})")
    return _esc(value)


class DetailPane(QTextBrowser):
    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.setOpenLinks(False)
        self._db_path = Path(db_path)
        self._conn = reads.open_read(self._db_path)
        self._config = CleverTapConfig()
        self.user_id: str | None = None
        self.show_user(None)

    def set_config(self, cfg: CleverTapConfig) -> None:
        self._config = cfg
        self.reload()

    def close_db(self) -> None:
        self._conn.close()

    def show_user(self, user_id: str | None) -> None:
        self.user_id = user_id
        self.reload()

    def reload(self) -> None:
        if self.user_id is None:
            self.setHtml("<p style='color:#666'>Select a user to see their install event.</p>")
            return
        user, attempts = reads.user_detail(self._conn, self.user_id)
        if user is None:
            self.setHtml(f"<p>User {_esc(self.user_id)} is no longer in the database.</p>")
            return
        from lr_desktop.gui.detail_check import clevertap_copies_html

        self.setHtml(self.render(user, attempts) + clevertap_copies_html(self._conn, self.user_id))

    def render(self, user: dict[str, Any], attempts: list[dict[str, Any]]) -> str:
        cfg = self._config
        status = user.get("status") or ""
        parts = [f"<h3>{_esc(user['user_id'])}</h3>"]
        parts.append(
            f"<p><b>Delivery status:</b> {_esc(STATUS_LABELS.get(status, status))}"
            + (
                f" &nbsp; <b>CleverTap's answer:</b> {_esc(user.get('last_code'))} "
                f"{_esc(redact_url(str(user.get('last_error') or '')))}"
                if user.get("last_error")
                else ""
            )
            + (
                " &nbsp; <b>May be duplicated in CleverTap</b>"
                if user.get("possibly_duplicated")
                else ""
            )
            + "</p>"
        )
        from lr_desktop.gui.attribution_compare import compare_html

        parts.append(compare_html(self._conn, user, _LABELS, _value))  # changed / unmatched
        parts.append("<h4>Attribution</h4><table cellspacing='0' cellpadding='2'>")
        for key in ATTRIBUTION_COLUMNS:
            if user.get(key) is None and key not in _LABELS:
                continue
            label = _LABELS.get(key, key.replace("_", " ").capitalize())
            parts.append(
                f"<tr><td style='color:#555;padding-right:12px'>{_esc(label)}</td><td>{_value(key, user.get(key))}</td></tr>"
            )
        parts.append("</table>")

        parts.append("<h4>What CleverTap receives</h4>")
        if not user.get("clevertap_id"):
            parts.append(
                "<p>Nothing yet: this user has no CleverTap ID. Sending without one would create "
                "a new, empty profile in CleverTap, so the event waits until the ID arrives.</p>"
            )
        elif cfg.mode == "attribution":
            url = attribution_url(user, cfg, redacted=True)
            parts.append("<p>Attribution partner API request (credentials redacted):</p>")
            parts.append(f"<pre style='white-space:pre-wrap'>{_esc(redact_url(url))}</pre>")
        else:
            record = event_record(user, cfg)
            parts.append(f"<p>Upload Events API record (POST {_esc(cfg.base_url)}/1/upload):</p>")
            parts.append(f"<pre>{_esc(json.dumps(record, indent=2))}</pre>")
            if cfg.sync_profiles:
                parts.append("<p>Profile properties set on Sync:</p>")
                parts.append(f"<pre>{_esc(json.dumps(profile_record(user), indent=2))}</pre>")

        parts.append(f"<h4>Delivery attempts ({len(attempts)})</h4>")
        if not attempts:
            parts.append("<p style='color:#666'>None yet.</p>")
        else:
            parts.append(
                "<table border='1' cellspacing='0' cellpadding='3' style='border-collapse:collapse'>"
                "<tr><th>When</th><th>Run</th><th>Mode</th><th>Kind</th><th>HTTP</th><th>Code</th>"
                "<th>Outcome</th><th>CleverTap's answer</th></tr>"
            )
            for a in attempts:
                when = (
                    time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(a["at"])) if a["at"] else ""
                )
                parts.append(
                    "<tr>"
                    + "".join(
                        f"<td>{_esc(v)}</td>"
                        for v in (
                            when,
                            a["run_id"],
                            a["mode"],
                            a["kind"],
                            a["http_status"],
                            a["code"],
                            a["outcome"],
                            redact_url(str(a["message"] or "")),
                        )
                    )
                    + "</tr>"
                )
            parts.append("</table>")
        return "".join(parts)
