"""Where the window's CleverTap configuration lives: non-secret settings in the database,
secrets in the OS keyring; or, for the demo, secrets in memory only. Every method may
touch the keyring and blocks: call them from a worker."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the rest is imported on first use: the window is shown without it
    from lr_desktop.clevertap.config import CleverTapConfig


class ConfigSource:
    def __init__(self, db_path: Path, demo_config: CleverTapConfig | None = None) -> None:
        self.db_path = Path(db_path)
        self._demo = demo_config

    @property
    def is_demo(self) -> bool:
        return self._demo is not None

    def _stored(self) -> CleverTapConfig:
        """Read-only (the window calls `public` on its own thread): no migration, no
        write; a database not created yet holds the defaults."""
        from lr_desktop.clevertap.config import load_config
        from lr_desktop.store import connect

        if not self.db_path.exists():
            return load_config(None)
        conn = connect(self.db_path, readonly=True)
        try:
            return load_config(conn)
        finally:
            conn.close()

    def is_configured(self) -> bool:
        """A Project ID is stored (no keyring access)."""
        return self.is_demo or bool(self._stored().project_id)

    def load_for_form(self) -> CleverTapConfig:
        """Stored settings and secrets as the form shows them (no env overrides)."""
        from dataclasses import replace

        from lr_desktop.clevertap import credentials

        if self._demo is not None:
            return self._demo
        cfg = self._stored()
        if cfg.project_id:
            cfg = replace(cfg, secrets=credentials.load_secrets(cfg.project_id))
        return cfg

    def for_run(self) -> CleverTapConfig:
        """What a sync uses: settings + keyring secrets + LR_CLEVERTAP_* overrides."""
        from lr_desktop.clevertap import credentials
        from lr_desktop.store import connect

        if self._demo is not None:
            return self._demo
        conn = connect(self.db_path)
        try:
            return credentials.effective_config(conn)
        finally:
            conn.close()

    def public(self) -> CleverTapConfig:
        """Settings without secrets (no keyring access)."""
        from dataclasses import replace

        from lr_desktop.clevertap.config import Secrets

        if self._demo is not None:
            return replace(self._demo, secrets=Secrets())
        return self._stored()

    def backend(self) -> str:
        """Name of the store holding the secrets; raises KeyringUnavailable when none."""
        if self._demo is not None:
            return "memory only (demo: nothing is written to the keyring)"
        from lr_desktop import secrets

        return secrets.backend_name()

    def save(self, cfg: CleverTapConfig) -> str:
        """Secrets first (nothing is saved when the keyring fails), then the settings."""
        from lr_desktop.clevertap import credentials
        from lr_desktop.clevertap.config import Secrets, save_config
        from lr_desktop.store import connect, transaction

        if self._demo is not None:
            self._demo = cfg
        else:
            credentials.save_secrets(
                cfg.project_id,
                Secrets(
                    project_token=cfg.secrets.project_token or None,
                    passcode=cfg.secrets.passcode or None,
                ),
            )
        conn = connect(self.db_path)
        try:
            with transaction(conn):
                save_config(conn, cfg)
        finally:
            conn.close()
        return self.backend()

    def remove(self, project_id: str) -> None:
        from lr_desktop.clevertap import credentials
        from lr_desktop.clevertap.config import CleverTapConfig, clear_config
        from lr_desktop.store import connect, transaction

        if self._demo is not None:
            self._demo = CleverTapConfig(endpoint=self._demo.endpoint)
        elif project_id.strip():
            credentials.delete_secrets(project_id)
        conn = connect(self.db_path)
        try:
            with transaction(conn):
                clear_config(conn)
        finally:
            conn.close()
