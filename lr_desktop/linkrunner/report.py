"""What a pull reports: its counts as it goes (`PullProgress`) and at the end
(`PullReport`, also stored as the run's detail)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lr_desktop.linkrunner.campaigns import CampaignResult


@dataclass
class PullReport:
    run_id: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (record, reason)
    pages: int = 0
    records: int = 0
    start: int | None = None  # window asked for (epoch seconds); campaigns have their own
    end: int | None = None
    high_water_mark: int | None = None  # newest attribution committed, after this pull
    cancelled: bool = False
    waiting_platform: int = 0  # users waiting because Linkrunner did not name the platform
    inferred: dict[str, int] = field(default_factory=dict)  # field -> users it was derived for
    campaigns: list[CampaignResult] = field(default_factory=list)

    @property
    def failed_campaigns(self) -> list[CampaignResult]:
        return [c for c in self.campaigns if c.state == "failed"]

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.failed_campaigns

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PullProgress:
    pages: int
    records: int
    imported: int
    updated: int
    unchanged: int
    rejected: int
    total: int | None  # users in the campaign's window, when Linkrunner says
    campaign: str | None = None  # display_id being pulled
    campaigns_done: int = 0
    campaigns_total: int = 0
