"""Where the Linkrunner settings and API key live: the settings in the database (the
core's LinkrunnerSettings, automatic-pull switch included), the key in the OS keyring,
or for the demo in memory only. Every method blocks (database, keyring): the window
calls them from a worker."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from lr_desktop import secrets
from lr_desktop.linkrunner import settings as lr_settings
from lr_desktop.linkrunner.settings import LinkrunnerSettings
from lr_desktop.store import connect, transaction


class NoApiKey(Exception):
    """No Linkrunner API key is stored (and LR_LINKRUNNER_KEY is not set)."""


@dataclass(frozen=True)
class LinkrunnerState:
    """What the Linkrunner form shows."""

    settings: LinkrunnerSettings
    auto_pull: bool
    key: str | None  # the stored key (keyring or demo memory); never logged
    backend: str | None  # where the key is kept; None when there is no keyring
    backend_error: str | None
    env_key: bool  # LR_LINKRUNNER_KEY overrides the stored key
    base_url: str | None  # the loopback emulator the pulls read from, if any

    def __repr__(self) -> str:
        return f"LinkrunnerState(settings={self.settings!r}, auto_pull={self.auto_pull}, key=***)"


class LinkrunnerSource:
    def __init__(self, db_path: Path, demo_key: str | None = None) -> None:
        self.db_path = Path(db_path)
        self._demo = demo_key is not None
        self._demo_key = demo_key

    @property
    def is_demo(self) -> bool:
        return self._demo

    # -- settings (database) -------------------------------------------------------------
    def settings(self) -> LinkrunnerSettings:
        conn = connect(self.db_path)
        try:
            return lr_settings.load_settings(conn)
        finally:
            conn.close()

    def auto_pull(self) -> bool:
        return self.settings().auto_pull

    def save_settings(self, *, pull_interval_minutes: float, auto_pull: bool) -> None:
        conn = connect(self.db_path)
        try:
            with transaction(conn):
                lr_settings.update_settings(
                    conn, pull_interval_minutes=pull_interval_minutes, auto_pull=auto_pull
                )
        finally:
            conn.close()

    # -- the key (keyring, or memory for the demo) ---------------------------------------
    def stored_key(self) -> str | None:
        """The key as stored (no LR_LINKRUNNER_KEY); may raise Keyring* errors."""
        if self._demo:
            return self._demo_key
        return secrets.get_secret(secrets.LINKRUNNER_API_KEY)

    def key_for_pull(self) -> str | None:
        """LR_LINKRUNNER_KEY, else the stored key; may raise Keyring* errors."""
        if self._demo:
            return self._demo_key
        return lr_settings.resolve_api_key()

    def save_key(self, key: str) -> None:
        """Store the key (or remove it when empty). Keyring only; demo: memory only."""
        key = key.strip()
        if self._demo:
            self._demo_key = key or None
        elif key:
            lr_settings.save_api_key(key)
        else:
            # without a keyring no key can be stored, so there is none to remove
            with contextlib.suppress(secrets.KeyringUnavailable):
                lr_settings.delete_api_key()

    def remove_key(self) -> None:
        self.save_key("")

    def backend(self) -> str:
        """Where the key is kept; raises KeyringUnavailable when there is no keyring."""
        if self._demo:
            return "memory only (demo: nothing is written to the keyring)"
        return secrets.backend_name()

    # -- what the form shows -------------------------------------------------------------
    def load(self) -> LinkrunnerState:
        s = self.settings()
        key = backend = error = None
        try:
            backend = self.backend()
            key = self.stored_key()
        except (secrets.KeyringUnavailable, secrets.KeyringFailure) as exc:
            error = str(exc)
        return LinkrunnerState(
            settings=s,
            auto_pull=s.auto_pull,
            key=key,
            backend=backend,
            backend_error=error,
            env_key=not self._demo and bool(os.environ.get(lr_settings.ENV_KEY, "").strip()),
            base_url=lr_settings.effective_base_url(s),
        )

    def save(self, key: str, *, pull_interval_minutes: float, auto_pull: bool) -> LinkrunnerState:
        """The key first (nothing is saved when the keyring fails), then the settings."""
        problems = replace(self.settings(), pull_interval_minutes=pull_interval_minutes).problems()
        if problems:
            raise ValueError(" ".join(problems))
        self.save_key(key)
        self.save_settings(pull_interval_minutes=pull_interval_minutes, auto_pull=auto_pull)
        return self.load()


def check_key(key: str, base_url: str | None) -> int | None:
    """Ask Linkrunner for one campaign: how many it lists (None if it does not say).
    Raises the client's errors (KeyRejected for a bad key)."""
    from lr_desktop.linkrunner.client import LinkrunnerClient, RetryPolicy

    retry = RetryPolicy(max_retries=1, backoff_base=0.2, backoff_cap=1.0)
    with LinkrunnerClient(key, base_url=base_url, retry=retry, timeout=15.0) as client:
        return client.campaigns_page(1, limit=1).total
