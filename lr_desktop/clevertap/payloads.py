"""What CleverTap receives for a user: an Upload API event record, a profile record,
or the attribution partner API's query. Also redaction of credential-bearing URLs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.model import EVENT_FIELDS, ORGANIC

# Columns of `installs` a payload needs (the engine selects exactly these): the fields
# that shape the event, plus who it is for and its stable id.
PAYLOAD_COLUMNS = ("user_id", *EVENT_FIELDS, "event_id")

Row = Mapping[str, Any]


def is_organic(row: Row) -> bool:
    return str(row["attribution_type"]).upper() == ORGANIC


def event_name(row: Row, cfg: CleverTapConfig) -> str:
    return cfg.organic_event if is_organic(row) else cfg.inorganic_event


def utm_source(row: Row) -> str:
    """The ad network in lower case, or `organic` (Linkrunner's own convention)."""
    if is_organic(row):
        return "organic"
    network = row.get("ad_network")
    return str(network).lower() if network else "unknown"


def event_record(row: Row, cfg: CleverTapConfig) -> dict[str, Any]:
    """One Upload Events API record for a user's install event."""
    data: dict[str, Any] = {"utm_source": utm_source(row), "platform": row["platform"]}
    if not is_organic(row) and row.get("campaign_name"):
        data["utm_campaign"] = row["campaign_name"]
    if row.get("campaign_id"):
        data["campaign_id"] = row["campaign_id"]
    if row.get("ad_network"):
        data["ad_network"] = row["ad_network"]
    data["user_id"] = row["user_id"]
    data["lr_event_id"] = row["event_id"]
    return {
        "type": "event",
        "objectId": row["clevertap_id"],
        "evtName": event_name(row, cfg),
        "ts": row["installed_at"],
        "evtData": data,
    }


def upload_body(records: Iterable[dict[str, Any]]) -> bytes:
    """The Upload API request body for these records."""
    return json.dumps({"d": list(records)}, separators=(",", ":"), ensure_ascii=False).encode()


def positions_by_event_id(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """lr_event_id -> index, for records as dicts."""
    return {
        r["evtData"]["lr_event_id"]: i
        for i, r in enumerate(records)
        if isinstance(r.get("evtData"), dict) and "lr_event_id" in r["evtData"]
    }


class RecordBatch(Sequence[dict[str, Any]]):
    """The records of one upload request, with their request body built once.

    Built either from record dicts or from JSON text (records SQLite wrote, see
    `payloads_sql`); the dicts are parsed from the text only if someone asks for them
    (a rejected record, a retry of part of the batch, a claim cut short).
    """

    def __init__(
        self,
        records: Sequence[dict[str, Any]] = (),
        *,
        json_records: str = "",
        json_count: int = 0,
        json_event_ids: str = "",
    ) -> None:
        """`json_records`: `json_count` comma-separated JSON records, sent before `records`;
        `json_event_ids`: a JSON array of their lr_event_ids, in the same order."""
        self._json = json_records if json_count else ""
        self._json_event_ids = json_event_ids
        self._extra = list(records)
        self._count = json_count + len(self._extra)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> dict[str, Any]:  # type: ignore[override]
        return self.records[index]

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        parsed: list[dict[str, Any]] = json.loads(f"[{self._json}]") if self._json else []
        return parsed + self._extra

    def event_positions(self) -> dict[str, int]:
        """lr_event_id -> index of its record, to map CleverTap's rejects back.

        From `json_event_ids` when given: a request with one rejected record would
        otherwise turn all its records into dicts.
        """
        ids: list[str] = json.loads(self._json_event_ids or "[]") if self._json else []
        if len(ids) != self._count - len(self._extra):
            return positions_by_event_id(self.records)
        positions = {event_id: i for i, event_id in enumerate(ids)}
        positions.update({k: i + len(ids) for k, i in positions_by_event_id(self._extra).items()})
        return positions

    def body(self) -> bytes:
        """The request body for all the records."""
        if not self._json:
            return upload_body(self._extra)
        extra = upload_body(self._extra)[6:-2] if self._extra else b""  # without {"d":[ ]}
        return b'{"d":[' + self._json.encode() + (b"," + extra if extra else b"") + b"]}"


def profile_record(row: Row) -> dict[str, Any]:
    """Idempotent upsert of the lr_* profile properties Linkrunner's other integrations set."""
    data: dict[str, Any] = {"lr_install_type": "organic" if is_organic(row) else "inorganic"}
    if row.get("ad_network"):
        data["lr_ad_network"] = row["ad_network"]
    if not is_organic(row) and row.get("campaign_name"):
        data["lr_campaign"] = row["campaign_name"]
    return {"type": "profile", "objectId": row["clevertap_id"], "profileData": data}


def attribution_params(row: Row, cfg: CleverTapConfig) -> dict[str, str]:
    """Query of the attribution partner endpoint, exactly Linkrunner's wire format.

    Carries credentials: never log or show it unredacted (see `redact_url`).
    """
    params = {
        "partner_name": cfg.partner_name,
        "event_type": "organic_install" if is_organic(row) else "inorganic_install",
        "timestamp": str(row["installed_at"]),
        "utm_source": utm_source(row),
    }
    if not is_organic(row) and row.get("campaign_name"):
        params["utm_campaign"] = str(row["campaign_name"])
    params.update(
        device_identifier=str(row["clevertap_id"]),
        platform=str(row["platform"]),
        account_id=cfg.project_id,
        account_token=cfg.secrets.project_token or "",
        account_passcode=cfg.secrets.passcode or "",
    )
    return params


SECRET_PARAMS = ("account_token", "account_passcode")
_SECRET_RE = re.compile(r"((?:account_token|account_passcode)=)[^&#\s\"']*", re.I)
REDACTED = "[redacted]"


def redact_url(text: str) -> str:
    """Replace credential values in any text holding attribution URLs or queries."""
    return _SECRET_RE.sub(lambda m: m.group(1) + REDACTED, text)


def attribution_url(row: Row, cfg: CleverTapConfig, *, redacted: bool = True) -> str:
    """The full attribution request URL (redacted unless asked otherwise)."""
    params = attribution_params(row, cfg)
    if redacted:
        params.update({k: REDACTED for k in SECRET_PARAMS})
    return f"{cfg.base_url}/attribution?{urlencode(params)}"
