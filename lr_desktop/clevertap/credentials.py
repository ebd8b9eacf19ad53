"""Reading and writing the CleverTap secrets of a configuration."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from lr_desktop import secrets
from lr_desktop.clevertap.config import CleverTapConfig, Secrets, apply_env, load_config


def load_secrets(project_id: str) -> Secrets:
    if not project_id.strip():
        return Secrets()
    return Secrets(
        project_token=secrets.get_secret(secrets.clevertap_key(project_id, "project_token")),
        passcode=secrets.get_secret(secrets.clevertap_key(project_id, "passcode")),
    )


def save_secrets(project_id: str, s: Secrets) -> None:
    """Store the given secrets (None leaves that one unchanged)."""
    if s.project_token is not None:
        secrets.set_secret(secrets.clevertap_key(project_id, "project_token"), s.project_token)
    if s.passcode is not None:
        secrets.set_secret(secrets.clevertap_key(project_id, "passcode"), s.passcode)


def delete_secrets(project_id: str) -> None:
    for what in ("project_token", "passcode"):
        secrets.delete_secret(secrets.clevertap_key(project_id, what))


def effective_config(
    conn: sqlite3.Connection | None, *, with_secrets: bool = True
) -> CleverTapConfig:
    """Stored settings + keyring secrets + LR_CLEVERTAP_* overrides: what a run uses.

    The keyring is only asked when the environment does not already give the secrets
    this delivery mode needs (the token only matters to the attribution partner API),
    so a scripted run with its secrets in the environment works without a keyring.
    """
    cfg = apply_env(load_config(conn))
    needs_token = cfg.mode == "attribution"
    have_all = cfg.secrets.passcode and (cfg.secrets.project_token or not needs_token)
    if with_secrets and not have_all:
        stored = load_secrets(cfg.project_id)
        cfg = replace(
            cfg,
            secrets=Secrets(
                project_token=cfg.secrets.project_token or stored.project_token,
                passcode=cfg.secrets.passcode or stored.passcode,
            ),
        )
    return cfg
