"""The campaigns a pull walks, and what happened to each.

`GET /campaigns` lists them all (`filter=ALL`); when `network_from_campaign` is on, the
same listing per `channel` (META, GOOGLE, TIKTOK) tells which network a campaign runs
on. A channel listing Linkrunner refuses only loses that inference, never the pull.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from lr_desktop.linkrunner.client import (
    CHANNELS,
    BadAnswer,
    Cancelled,
    KeyRejected,
    LinkrunnerClient,
    LinkrunnerError,
)
from lr_desktop.linkrunner.derive import Campaign

__all__ = ["CampaignResult", "list_campaigns"]

log = logging.getLogger(__name__)


@dataclass
class CampaignResult:
    """One campaign's part of a pull (`state`: pending, pulled, gone, failed, cancelled)."""

    display_id: str
    name: str | None = None
    network: str | None = None
    state: str = "pending"
    pages: int = 0
    records: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    waiting_platform: int = 0  # users kept waiting: the answer does not name the platform
    start: int | None = None  # window asked for (epoch seconds)
    high_water_mark: int | None = None  # this campaign's mark after the pull
    error: str | None = None

    def describe(self) -> str:
        """One line for a marketer."""
        label = f"{self.name} ({self.display_id})" if self.name else self.display_id
        if self.state == "gone":
            return f"{label}: no longer in Linkrunner; skipped"
        if self.state == "failed":
            return f"{label}: not pulled ({self.error}); the next pull tries again"
        if self.state in ("pending", "cancelled"):
            return f"{label}: not pulled (cancelled)"
        text = f"{label}: {self.records:,} records, {self.imported:,} new, {self.updated:,} updated"
        if self.rejected:
            text += f", {self.rejected:,} rejected"
        if self.waiting_platform:
            text += f", {self.waiting_platform:,} waiting (Linkrunner did not say Android or iOS)"
        return text


def _display_id(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    value = raw.get("display_id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def _channels(client: LinkrunnerClient, page_size: int) -> dict[str, str | None]:
    """display_id -> the one channel listing it (None when two do)."""
    found: dict[str, str | None] = {}
    for channel in CHANNELS:
        try:
            for page in client.iter_campaigns(limit=page_size, channel=channel):
                for raw in page.records:
                    did = _display_id(raw)
                    if did is not None:
                        found[did] = None if did in found and found[did] != channel else channel
        except (Cancelled, KeyRejected):
            raise
        except LinkrunnerError as exc:  # e.g. a channel the API does not know
            log.info("Linkrunner campaigns of channel %s not listed: %s", channel, exc)
    return found


def list_campaigns(
    client: LinkrunnerClient,
    *,
    page_size: int,
    only: list[str],
    networks: bool,
) -> list[Campaign]:
    """Every campaign (or those in `only`, listed or not), in Linkrunner's order."""
    campaigns: dict[str, Campaign] = {}
    for page in client.iter_campaigns(limit=page_size):
        for raw in page.records:
            did = _display_id(raw)
            if did is None:
                raise BadAnswer("Linkrunner listed a campaign without a display_id")
            name = raw.get("name") if isinstance(raw.get("name"), str) else None
            campaigns.setdefault(did, Campaign(did, name))
    if only:
        campaigns = {did: campaigns.get(did, Campaign(did)) for did in only}
    if networks and campaigns:
        channel_of = _channels(client, page_size)
        campaigns = {
            did: Campaign(c.display_id, c.name, channel_of.get(did)) for did, c in campaigns.items()
        }
    return list(campaigns.values())
