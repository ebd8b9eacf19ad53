"""CleverTap settings: non-secret ones in the database's settings table, secrets in
the keyring, both overridable by LR_CLEVERTAP_* environment variables for scripts."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from lr_desktop.clevertap.endpoint import validate_loopback_endpoint
from lr_desktop.clevertap.regions import REGIONS, base_url
from lr_desktop.errors import UserFixableError
from lr_desktop.store.settings import put_setting

MODES = ("upload", "attribution")
MAX_CONCURRENCY = 15  # CleverTap's per-account cap on concurrent requests
MAX_MATCH_SECONDS = 86400  # verify downloads a day either side of the installs' dates
_SETTINGS_KEY = "clevertap"


class ConfigError(ValueError, UserFixableError):
    """The configuration is incomplete or wrong; the message says what to fix."""


@dataclass(frozen=True)
class Secrets:
    project_token: str | None = None
    passcode: str | None = None

    def __repr__(self) -> str:  # never print secrets, even in tracebacks
        return (
            f"Secrets(project_token={'***' if self.project_token else None}, "
            f"passcode={'***' if self.passcode else None})"
        )


@dataclass(frozen=True)
class CleverTapConfig:
    project_id: str = ""
    region: str = "EU"
    mode: str = "upload"  # upload | attribution
    # No public source names the partner name CleverTap whitelisted for Linkrunner: no
    # default, so attribution mode only ever sends the name the user typed in.
    partner_name: str = ""
    organic_event: str = "organic_install"
    inorganic_event: str = "inorganic_install"
    concurrency: int = 5
    batch_size: int = 1000
    timeout: float = 30.0
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    attribution_method: str = "GET"  # the partner doc shows GET; POST has no public source
    sync_profiles: bool = True  # upsert lr_install_type / lr_ad_network / lr_campaign on Sync
    send_automatically: bool = False
    # Check before re-sending (upload mode): ask the Get Events API whether a "maybe
    # processed" event landed. Read concurrency is undocumented: keep it low (1 to 3).
    precheck: bool = True
    read_concurrency: int = 1
    precheck_settle: float = 2.0  # seconds to let a request without an answer finish first
    # Attribution mode: CleverTap's "UTM Visited" copy of an install carries no
    # lr_event_id, so verify and the check before re-sending match it by profile, utm
    # fields and a timestamp within this many seconds of the install. Which ts CleverTap
    # records for it (the one sent, or its arrival) is UNCONFIRMED.
    attribution_match_seconds: float = 60.0
    endpoint: str | None = None  # loopback override (emulator); None = the region's host
    secrets: Secrets = field(default_factory=Secrets, compare=False)

    @property
    def base_url(self) -> str:
        if self.endpoint:
            return validate_loopback_endpoint(self.endpoint)
        return base_url(self.region)

    def problems(self, *, need_secrets: bool = True) -> list[str]:
        """Everything that stops a send, in words that say what to fix."""
        from lr_desktop.clevertap.rules import event_name_problem

        out: list[str] = []
        if not self.project_id.strip():
            out.append("CleverTap Project ID is missing (Settings > Project in CleverTap).")
        elif not re.fullmatch(r"[A-Za-z0-9\-_]{1,64}", self.project_id.strip()):
            out.append(
                "CleverTap Project ID looks wrong: it is letters, digits and dashes, like 'W9R-486-4W5Z'."
            )
        if self.region not in REGIONS:
            out.append(f"Region must be one of {', '.join(REGIONS)}.")
        if self.mode not in MODES:
            out.append(
                "Delivery mode must be 'upload' (Upload Events API) or 'attribution' (partner API)."
            )
        for label, name in (("Organic", self.organic_event), ("Inorganic", self.inorganic_event)):
            problem = event_name_problem(name)
            if problem:
                out.append(f"{label} event name: {problem}")
        if self.mode == "attribution" and not self.partner_name.strip():
            out.append(
                "Attribution partner API needs the partner name CleverTap whitelisted for your "
                "account (no public source names Linkrunner's; ask CleverTap or Linkrunner)."
            )
        if self.attribution_method.upper() not in ("GET", "POST"):
            out.append("Attribution request method must be GET or POST.")
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            out.append(f"Concurrency must be between 1 and {MAX_CONCURRENCY} (CleverTap's limit).")
        if not 1 <= self.read_concurrency <= 3:
            out.append("Read concurrency must be between 1 and 3 (CleverTap documents no limit).")
        if not 0 <= self.attribution_match_seconds <= MAX_MATCH_SECONDS:
            out.append(f"Attribution match tolerance must be 0 to {MAX_MATCH_SECONDS} seconds.")
        if not 1 <= self.batch_size <= 1000:
            out.append("Batch size must be between 1 and 1000 (CleverTap's limit).")
        if self.endpoint:
            try:
                validate_loopback_endpoint(self.endpoint)
            except ValueError as exc:
                out.append(str(exc))
        if need_secrets:
            if not self.secrets.passcode:
                out.append("CleverTap Project Passcode is missing.")
            if self.mode == "attribution" and not self.secrets.project_token:
                out.append(
                    "CleverTap Project Token is missing (the attribution partner API needs it)."
                )
        return out

    def public_dict(self) -> dict[str, object]:
        """Everything but the secrets: what may be stored in settings or shown."""
        data = asdict(self)
        data.pop("secrets")
        return data


_PUBLIC_FIELDS = set(CleverTapConfig().public_dict())


def load_config(conn: sqlite3.Connection | None) -> CleverTapConfig:
    """Stored settings (no secrets), without environment overrides."""
    data: dict[str, object] = {}
    if conn is not None:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (_SETTINGS_KEY,)).fetchone()
        if row:
            data = {k: v for k, v in json.loads(row[0]).items() if k in _PUBLIC_FIELDS}
    return CleverTapConfig(**data)  # type: ignore[arg-type]


def save_config(conn: sqlite3.Connection, cfg: CleverTapConfig) -> None:
    """Store the non-secret settings. Secrets go to the keyring (see secrets.py)."""
    value = json.dumps(cfg.public_dict(), sort_keys=True)
    put_setting(conn, _SETTINGS_KEY, value)


def clear_config(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM settings WHERE key = ?", (_SETTINGS_KEY,))


ENV_PREFIX = "LR_CLEVERTAP_"


def apply_env(cfg: CleverTapConfig, environ: dict[str, str] | None = None) -> CleverTapConfig:
    """LR_CLEVERTAP_* variables override the stored configuration (for scripted runs)."""
    env = os.environ if environ is None else environ
    changes: dict[str, Any] = {}
    simple = {
        "PROJECT_ID": "project_id",
        "REGION": "region",
        "MODE": "mode",
        "PARTNER": "partner_name",
        "ENDPOINT": "endpoint",
    }
    for suffix, attr in simple.items():
        value = env.get(ENV_PREFIX + suffix)
        if value:
            changes[attr] = value.strip().upper() if attr == "region" else value.strip()
    if "mode" in changes:
        changes["mode"] = str(changes["mode"]).lower()
    if "endpoint" in changes:
        validate_loopback_endpoint(str(changes["endpoint"]))
    token = env.get(ENV_PREFIX + "PROJECT_TOKEN")
    passcode = env.get(ENV_PREFIX + "PASSCODE")
    if token or passcode:
        changes["secrets"] = Secrets(
            project_token=token or cfg.secrets.project_token,
            passcode=passcode or cfg.secrets.passcode,
        )
    return replace(cfg, **changes) if changes else cfg
