"""What the CleverTap emulator can be told at run time: `Faults` (injected trouble,
seeded) and `Settings` (the parts clevertap-api.md marks UNCONFIRMED)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from lr_desktop.clevertap import rules

__all__ = ["ERROR_TEXT", "Faults", "Settings"]

ERROR_TEXT = {  # what injected errors say
    429: "Too many concurrent requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


@dataclass
class Faults:
    """Injected trouble for /1/upload, /attribution and /1/profile.json (never /_emulator/)."""

    error_rate: float = 0.0  # answer one of error_statuses instead of processing
    error_statuses: tuple[int, ...] = (503,)  # e.g. (429, 500, 503)
    drop_rate: float = 0.0  # close the connection without answering, nothing processed
    lost_answer_rate: float = 0.0  # process the request, then close without answering
    latency: float = 0.0  # seconds added to every request (held "in progress")
    jitter: float = 0.0  # plus uniform(0, jitter) seconds
    slow_rate: float = 0.0  # this share of requests waits slow_seconds more
    slow_seconds: float = 30.0
    seed: int | None = 0  # RNG seed; None = unseeded

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        if "error_statuses" in values:
            values["error_statuses"] = tuple(int(s) for s in values["error_statuses"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["error_statuses"] = list(self.error_statuses)
        return d


@dataclass
class Settings:
    """Server behaviour; the UNCONFIRMED parts of clevertap-api.md live here."""

    max_concurrent: int = rules.MAX_CONCURRENT_REQUESTS  # per account, /1/upload
    max_records: int = rules.MAX_RECORDS_PER_REQUEST
    max_event_names: int = 512  # distinct event names per account; more -> 528
    partners: set[str] = field(default_factory=lambda: {"linkrunner"})
    accept_organic_attribution: bool = True
    record_as_string: bool = False  # `unprocessed[].record` as a JSON string
    always_success_status: bool = False  # "status": "success" even with rejects
    reject_object_ids: set[str] = field(default_factory=set)  # -> 526
    misc_error_object_ids: set[str] = field(default_factory=set)  # -> 555
    honour_dry_run: bool = True  # ?dryRun=1 validates without storing (UNCONFIRMED)
    profile_not_found_http_status: int = 200  # UNCONFIRMED
    max_stored_events: int = 2_000_000  # beyond this events are counted, not kept

    _SETS = ("partners", "reject_object_ids", "misc_error_object_ids")

    def update(self, data: Mapping[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        for key, value in data.items():
            setattr(self, key, set(value) if key in self._SETS else value)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in self._SETS:
            d[key] = sorted(d[key])
        return d
