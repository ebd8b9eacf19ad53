"""Non-secret Linkrunner settings (settings table, key "linkrunner", JSON) and the API key.

The key lives in the OS keyring (`secrets.LINKRUNNER_API_KEY`); `LR_LINKRUNNER_KEY`
overrides it for scripts and `LR_LINKRUNNER_ENDPOINT` points at the loopback emulator.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from lr_desktop import secrets
from lr_desktop.clevertap.endpoint import validate_loopback_endpoint
from lr_desktop.store.settings import put_setting

SETTINGS_KEY = "linkrunner"
# The automatic-pull switch has its own settings row (it was the window's before it was
# a field here); keeping the key keeps every existing database's switch.
AUTO_PULL_KEY = "linkrunner_auto_pull"
ENV_KEY = "LR_LINKRUNNER_KEY"
ENV_ENDPOINT = "LR_LINKRUNNER_ENDPOINT"


@dataclass(frozen=True)
class LinkrunnerSettings:
    base_url: str | None = None  # loopback override (the bundled emulator); None = real API
    pull_interval_minutes: float = 15.0
    # Pull every `pull_interval_minutes` while the window is open. (Sending after a pull
    # is CleverTapConfig.send_automatically: one switch, read by the window and the CLI.)
    auto_pull: bool = False
    overlap_seconds: int = 3600  # re-read this much before the high-water mark
    page_size: int = 1000  # UNCONFIRMED for /attributed-users (1000 is /campaigns' documented max)
    requests_per_second: float = 25.0  # Linkrunner allows 30
    timezone: str = "UTC"
    display_ids: list[str] = field(default_factory=list)  # campaigns to read; [] = all
    # Before pulls went campaign by campaign: one newest attributed_at (epoch s) for all.
    # A campaign without a mark of its own starts from it (None: from the beginning).
    high_water_mark: int | None = None
    # display_id -> newest attributed_at (epoch s) of that campaign, fully committed
    campaign_marks: dict[str, int] = field(default_factory=dict)
    # Take a user's ad network from the /campaigns `channel` listing its campaign is in
    # (META, GOOGLE, TIKTOK) when the answer names none: an inference, see linkrunner/derive.py
    network_from_campaign: bool = True
    last_pull_at: float | None = None

    def mark_for(self, display_id: str) -> int | None:
        """Where a campaign's next pull starts (before the overlap)."""
        return self.campaign_marks.get(display_id, self.high_water_mark)

    @property
    def newest_mark(self) -> int | None:
        """The newest attribution any pull has committed (what the window shows)."""
        marks = [m for m in (*self.campaign_marks.values(), self.high_water_mark) if m]
        return max(marks) if marks else None

    def problems(self) -> list[str]:
        out: list[str] = []
        if self.base_url:
            try:
                validate_loopback_endpoint(self.base_url)
            except ValueError as exc:
                out.append(str(exc))
        if not 1 <= self.page_size <= 1000:
            out.append("Page size must be between 1 and 1000 (Linkrunner's limit).")
        if not 0 < self.requests_per_second <= 30:
            out.append("Requests per second must be above 0 and at most 30 (Linkrunner's limit).")
        if self.pull_interval_minutes <= 0:
            out.append("The pull interval must be more than 0 minutes.")
        if self.overlap_seconds < 0:
            out.append("The overlap must not be negative.")
        return out


_FIELDS = {f.name for f in fields(LinkrunnerSettings)} - {"auto_pull"}


def load_settings(conn: sqlite3.Connection) -> LinkrunnerSettings:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (SETTINGS_KEY,)).fetchone()
    data: dict[str, Any] = {}
    if row:
        try:
            data = {k: v for k, v in json.loads(row[0]).items() if k in _FIELDS}
        except (ValueError, AttributeError):
            data = {}
    marks = data.get("campaign_marks")
    if marks is not None:
        ok = isinstance(marks, dict)
        data["campaign_marks"] = (
            {str(k): int(v) for k, v in marks.items() if isinstance(v, int)} if ok else {}
        )
    return LinkrunnerSettings(**data, auto_pull=_load_auto_pull(conn))


def _load_auto_pull(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (AUTO_PULL_KEY,)).fetchone()
    try:
        return bool(row and json.loads(row[0]) is True)
    except ValueError:
        return False


def save_settings(conn: sqlite3.Connection, s: LinkrunnerSettings) -> None:
    """Store the settings. Call inside a transaction."""
    data = asdict(s)
    auto_pull = bool(data.pop("auto_pull"))
    for key, value in ((SETTINGS_KEY, data), (AUTO_PULL_KEY, auto_pull)):
        put_setting(conn, key, json.dumps(value, sort_keys=True))


def update_settings(conn: sqlite3.Connection, **changes: Any) -> LinkrunnerSettings:
    """Read-modify-write of some fields. Call inside a transaction."""
    s = replace(load_settings(conn), **changes)
    save_settings(conn, s)
    return s


def effective_base_url(s: LinkrunnerSettings, environ: dict[str, str] | None = None) -> str | None:
    """LR_LINKRUNNER_ENDPOINT, else the stored override, else None (the real API)."""
    env = os.environ if environ is None else environ
    return (env.get(ENV_ENDPOINT) or "").strip() or s.base_url or None


def resolve_api_key(environ: dict[str, str] | None = None) -> str | None:
    """LR_LINKRUNNER_KEY, else the keyring. May raise secrets.Keyring* errors."""
    env = os.environ if environ is None else environ
    return (env.get(ENV_KEY) or "").strip() or secrets.get_secret(secrets.LINKRUNNER_API_KEY)


def save_api_key(key: str) -> None:
    secrets.set_secret(secrets.LINKRUNNER_API_KEY, key.strip())


def delete_api_key() -> None:
    secrets.delete_secret(secrets.LINKRUNNER_API_KEY)
