"""What a Data API answer leaves out, taken from what it does say, and said so.

No public source shows a `clevertap_id`, `platform`, attribution type or ad network in
Linkrunner's /attributed-users answer (Airbyte's connector schema lists attributed_at,
campaign_display_id, campaign_name, link, installed_at, store_click_at, ad_set_id and
user_data {id, email, device_data}). A field the answer does carry always wins; when it
is absent:

- attribution type: INORGANIC. The API lists users per campaign (`display_id` is
  required), so every user it returns was attributed to that campaign; organic installs
  are not listed at all.
- ad network: the /campaigns `channel` listing (META, GOOGLE, TIKTOK) that lists the
  campaign, when exactly one does (setting `network_from_campaign`; UNCONFIRMED that a
  channel is the network Linkrunner would send CleverTap). Otherwise none, which the
  install event carries as `utm_source` "unknown".
- campaign_display_id / campaign_name: the campaign that was asked for.
- platform: `user_data.device_data` identifiers that only one platform's SDK sends:
  `idfv`, `idfa`, `adservices_attribution_token` (iOS), `gaid`, `android_id` (Android;
  Linkrunner's React Native SDK sends "unknown" for it on iOS, which counts as absent).
  With none (or both kinds) the platform is unknown: the user is kept with an empty
  platform and waits (never sent) with `NO_PLATFORM_REASON` until an answer or an ID
  mapping with a platform column names it.
- CleverTap ID: none; those users wait for an ID mapping ("Waiting for CleverTap ID").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lr_desktop.model import INORGANIC

__all__ = [
    "NO_PLATFORM_REASON",
    "UNKNOWN_PLATFORM",
    "Campaign",
    "Prepared",
    "device_platform",
    "prepare",
]

UNKNOWN_PLATFORM = ""  # installs.platform is NOT NULL; "" = Linkrunner did not say
NO_PLATFORM_REASON = (
    "Not sent: Linkrunner did not say whether this install was on Android or iOS, and "
    "CleverTap needs to know. Import an ID mapping with a platform column "
    "(user_id,clevertap_id,platform) to send it."
)
_IOS_KEYS = ("idfv", "idfa", "adservices_attribution_token")
_ANDROID_KEYS = ("gaid", "android_id")
_NOT_AN_ID = {"", "unknown", "null", "none", "00000000-0000-0000-0000-000000000000"}
_TYPE_FIELDS = (
    "attribution_type",
    "attribution_source",
    "ad_network",
    "ad_channel",
    "network_name",
)
_NETWORK_FIELDS = ("ad_network", "ad_channel", "network_name", "attribution_source")
_PLATFORM_KEYS = ("platform", "os", "os_name")  # what fieldmap.py reads from device_data


@dataclass(frozen=True)
class Campaign:
    display_id: str
    name: str | None = None
    network: str | None = None  # from the channel listing it appears in; None = unknown


@dataclass(frozen=True)
class Prepared:
    record: Any  # the answer's record with the derived fields filled in
    platform_unknown: bool  # record["platform"] is a placeholder: store UNKNOWN_PLATFORM
    inferred: tuple[str, ...]  # fields taken from the campaign or the device


def _given(value: Any) -> bool:
    return value is not None and value != ""


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() not in _NOT_AN_ID


def _device(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    user_data = raw.get("user_data")
    device = user_data.get("device_data") if isinstance(user_data, Mapping) else None
    return device if isinstance(device, Mapping) else {}


def device_platform(raw: Mapping[str, Any]) -> str | None:
    """ "ios" or "android" from platform-only device identifiers; None if they don't say."""
    device = _device(raw)
    ios = any(_is_id(device.get(k)) for k in _IOS_KEYS)
    android = any(_is_id(device.get(k)) for k in _ANDROID_KEYS)
    if ios == android:
        return None
    return "ios" if ios else "android"


def prepare(raw: Any, campaign: Campaign | None) -> Prepared:
    """Fill in what the answer leaves out (see the module's docstring)."""
    if not isinstance(raw, Mapping):
        return Prepared(raw, False, ())  # fieldmap.py refuses it with a reason
    rec = dict(raw)
    inferred: list[str] = []
    if campaign is not None:
        for name, value in (
            ("campaign_display_id", campaign.display_id),
            ("campaign_name", campaign.name),
        ):
            if not _given(rec.get(name)) and value:
                rec[name] = value
    if not any(_given(rec.get(k)) for k in _TYPE_FIELDS) and campaign is not None:
        rec["attribution_type"] = INORGANIC
        inferred.append("attribution_type")
    if (
        campaign is not None
        and campaign.network
        and not any(_given(rec.get(k)) for k in _NETWORK_FIELDS)
        and str(rec.get("attribution_type") or "").upper() == INORGANIC
    ):
        rec["ad_network"] = campaign.network
        inferred.append("ad_network")
    unknown = False
    if not _given(rec.get("platform")) and not any(
        _given(_device(rec).get(k)) for k in _PLATFORM_KEYS
    ):
        platform = device_platform(rec)
        if platform is not None:
            rec["platform"] = platform
            inferred.append("platform")
        else:
            rec["platform"] = "android"  # a placeholder fieldmap.py accepts; replaced after
            unknown = True
    return Prepared(rec, unknown, tuple(inferred))
