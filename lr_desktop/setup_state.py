"""How far a new user has got with the three steps that make the app useful: connect
CleverTap, bring in attributed users (a file or Linkrunner), sync. Read from the
database only (no keyring, no network): the window's first-run checklist and the Sync
button's readiness use it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from lr_desktop.clevertap.config import load_config


@dataclass(frozen=True)
class SetupState:
    clevertap: bool  # a CleverTap project is configured
    users: bool  # attributed users are in the database
    synced: bool  # a sync or send has finished

    @property
    def complete(self) -> bool:
        return self.clevertap and self.users and self.synced

    def sync_blocker(self) -> str | None:
        """Why a sync cannot do anything yet, in a marketer's words; None when it can."""
        if not self.clevertap:
            return "Connect CleverTap first (Integrations > CleverTap)."
        if not self.users:
            return "Bring in attributed users first: import a file, or connect Linkrunner."
        return None


def setup_state(conn: sqlite3.Connection) -> SetupState:
    users = conn.execute("SELECT 1 FROM installs LIMIT 1").fetchone() is not None
    synced = (
        conn.execute(
            "SELECT 1 FROM runs WHERE kind IN ('sync', 'send') AND state != 'running' LIMIT 1"
        ).fetchone()
        is not None
    )
    return SetupState(bool(load_config(conn).project_id), users, synced)
