"""Shared helpers for engine tests: fill a queue, build a config pointing at an emulator."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from lr_desktop.clevertap.config import CleverTapConfig, Secrets
from lr_desktop.model import Attribution
from lr_desktop.store import connect, transaction
from lr_desktop.store.queue import upsert_attributions

PROJECT, PASSCODE, TOKEN = "TEST-ACC-1", "test-passcode-Q7x", "test-token-Z9k"
NETWORKS = ("META", "GOOGLE", "TIKTOK", "APPLE_SEARCH_ADS")


def users(
    n: int, *, start: int = 0, without_id_every: int = 0, bad_id_every: int = 0
) -> list[Attribution]:
    out = []
    for i in range(start, start + n):
        organic = i % 5 < 2
        ct_id: str | None = f"ct-{i:07d}"
        if without_id_every and i % without_id_every == 0:
            ct_id = None
        elif bad_id_every and i % bad_id_every == 1:
            ct_id = f"ct {i}"  # a space: CleverTap answers 526
        out.append(
            Attribution(
                user_id=f"user-{i:07d}",
                attribution_type="ORGANIC" if organic else "INORGANIC",
                platform="ios" if i % 3 == 0 else "android",
                installed_at=1767225600 + i,
                clevertap_id=ct_id,
                ad_network=None if organic else NETWORKS[i % len(NETWORKS)],
                campaign_id=None if organic else f"cmp-{i % 7}",
                campaign_name=None if organic else f"Campaign {i % 7}",
            )
        )
    return out


def fill(db_path: Path, items: Iterable[Attribution]) -> None:
    conn = connect(db_path)
    with transaction(conn):
        upsert_attributions(conn, list(items), source="test")
    conn.close()


def config(url: str, **changes: object) -> CleverTapConfig:
    cfg = CleverTapConfig(
        project_id=PROJECT,
        endpoint=url,
        partner_name="linkrunner",  # the emulator's whitelisted partner (no default in the app)
        secrets=Secrets(TOKEN, PASSCODE),
        backoff_base=0.01,
        backoff_cap=0.05,
        timeout=5.0,
    )
    return replace(cfg, **changes)  # type: ignore[arg-type]


def statuses(db_path: Path) -> dict[str, int]:
    conn = connect(db_path)
    try:
        return dict(
            conn.execute("SELECT status, count(*) FROM installs GROUP BY status").fetchall()
        )
    finally:
        conn.close()
