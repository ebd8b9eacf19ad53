"""The Linkrunner emulator's data: campaigns and attributed users, in the "rich" shape
(the demo's: with clevertap_id, platform and network) and the "documented" one (only
the fields Airbyte's connector schema lists). Seeded: the same seed, the same users."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

ONE_CAMPAIGN = "meta-summer"  # where `one_campaign=True` puts every user

# network -> (publisher platform, campaigns as (display id, name))
CAMPAIGNS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "META": ("facebook", (("meta-summer", "Summer Sale"), ("meta-retarget", "Retargeting Q3"))),
    "GOOGLE": ("google", (("g-uac", "UAC Installs"), ("g-brand", "Brand Search"))),
    "TIKTOK": ("tiktok", (("tt-spark", "Creators Spark"),)),
    "APPLE_SEARCH_ADS": ("apple", (("asa-brand", "Brand Keywords"),)),
}
_NETWORK_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
CHANNELS = {"META": "META", "GOOGLE": "GOOGLE", "TIKTOK": "TIKTOK"}  # /campaigns channel filter
ANDROID_GAID_SHARE = 0.5  # documented shape: Android devices whose device_data has a gaid
WITHOUT_CLEVERTAP_ID_SHARE = 0.1
_FIRST = ("Asha", "Ravi", "Meera", "John", "Li", "Sara", "Omar", "Nina", "Karan", "Zoe")
_LAST = ("Shah", "Iyer", "Smith", "Chen", "Khan", "Garcia", "Rao", "Müller", "Das", "Kim")
_PHONES = {"android": ("Pixel 8", "Galaxy S23", "Redmi Note 12"), "ios": ("iPhone 15", "iPhone 13")}


def iso(epoch: float) -> str:
    """Epoch seconds -> `2026-01-05T10:11:12.000Z` (how the emulator writes times)."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def generate_user(rng: random.Random, number: int, attributed_at: float) -> dict[str, Any]:
    """One attributed user in the "rich" shape (assumed where the docs are silent): every
    user came through a campaign (`ad_channel` is its network); `platform` is given both
    at the top level and in `user_data.device_data`; `user_data.clevertap_id` is what the
    app passed to the Linkrunner SDK (`setAdditionalData({clevertap_id})`), and ~10% have
    none yet."""
    platform = "ios" if rng.random() < 0.35 else "android"
    installed = int(attributed_at) - rng.randrange(0, 600)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    uid = f"lr-user-{number:07d}"
    ct_id = None if rng.random() < WITHOUT_CLEVERTAP_ID_SHARE else f"__{rng.getrandbits(64):016x}"
    network = rng.choices(list(CAMPAIGNS), _NETWORK_WEIGHTS)[0]
    if platform == "android" and network == "APPLE_SEARCH_ADS":
        network = "GOOGLE"
    publisher, campaigns = CAMPAIGNS[network]
    display_id, name = rng.choice(campaigns)
    ad_set = rng.randrange(1, 4)
    record: dict[str, Any] = {
        "attributed_at": iso(attributed_at),
        "installed_at": iso(installed),
        "store_click_at": iso(installed - rng.randrange(30, 3600)),
        "platform": platform,
        "ad_channel": network,
        "campaign_display_id": display_id,
        "campaign_name": name,
        "link": f"https://app.lrnr.in/{display_id}",
        "meta_ad_id": str(rng.randrange(10**14, 10**15)) if network == "META" else None,
        "ad_set_id": f"{display_id}-set-{ad_set}",
        "ad_set_name": f"{name} / set {ad_set}",
        "ad_creative_id": f"{display_id}-cr-{rng.randrange(1, 6)}",
        "ad_creative_name": f"{name} creative",
        "publisher_platform": publisher,
        "platform_position": "feed" if network in ("META", "TIKTOK") else None,
        "user_data": {
            "id": uid,
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{number}@example.com",
            "phone": f"+91 9{rng.randrange(10**8, 10**9)}",
            "clevertap_id": ct_id,
            "device_data": {
                "platform": platform,
                "os": "iOS" if platform == "ios" else "Android",
                "model": rng.choice(_PHONES[platform]),
            },
        },
    }
    return record


def documented_view(rich: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The same user with only the fields Airbyte's connector schema lists: no CleverTap
    ID, platform, attribution type or network. iOS devices carry `idfv` (and sometimes
    `idfa`), about half the Android ones a `gaid` (as Linkrunner's React Native SDK sends
    it), the rest nothing that names the platform."""
    ud = rich["user_data"]
    platform = ud["device_data"]["platform"]
    device: dict[str, Any] = {
        "locale": "en_IN",
        "country": "IN",
        "language": "en",
        "timezone": "Asia/Kolkata",
        "timezone_offset": 330,
        "install_instance_id": f"{rng.getrandbits(80):020x}",
    }
    if platform == "ios":
        device["idfv"] = str(uuid.UUID(int=rng.getrandbits(128)))
        device["idfa"] = str(uuid.UUID(int=rng.getrandbits(128))) if rng.random() < 0.3 else None
    elif rng.random() < ANDROID_GAID_SHARE:
        device["gaid"] = str(uuid.UUID(int=rng.getrandbits(128)))
    return {
        "attributed_at": rich["attributed_at"],
        "campaign_display_id": rich["campaign_display_id"],
        "campaign_name": rich["campaign_name"],
        "link": rich["link"],
        "installed_at": rich["installed_at"],
        "store_click_at": rich["store_click_at"],
        "ad_set_id": rich["ad_set_id"],
        "user_data": {"id": ud["id"], "email": ud["email"], "device_data": device},
    }


def campaign_records(created_at: float) -> list[dict[str, Any]]:
    """The emulator's campaigns, with the fields of Airbyte's connector schema."""
    out = []
    for network, (_publisher, campaigns) in CAMPAIGNS.items():
        for display_id, name in campaigns:
            out.append(
                {
                    "display_id": display_id,
                    "name": name,
                    "created_at": iso(created_at),
                    "update_at": iso(created_at),
                    "google": network == "GOOGLE",
                    "meta": network == "META",
                    "meta_campaign_id": f"12038{sum(map(ord, display_id)):07d}"
                    if network == "META"
                    else None,
                    "meta_web_to_app": False,
                    "active": True,
                    "default_link": False,
                    "link": f"https://app.lrnr.in/{display_id}",
                    "shareable_link": f"https://app.lrnr.in/{display_id}",
                    "website": None,
                    "network_account": None,
                    "_channel": CHANNELS.get(network),  # served only through the filter
                }
            )
    return out


def select_campaigns(
    campaigns: list[dict[str, Any]],
    users_per_campaign: Mapping[str, int],
    wanted: str,
    channel: str,
) -> list[dict[str, Any]]:
    """The campaigns /campaigns lists for `filter` (ALL, ACTIVE, INACTIVE) and `channel`."""
    wanted, channel = wanted.upper(), channel.upper()
    return [
        {
            **{k: v for k, v in c.items() if k != "_channel"},
            "attributed_users": users_per_campaign.get(c["display_id"], 0),
        }
        for c in campaigns
        if (not channel or c["_channel"] == channel)
        and (wanted == "ALL" or c["active"] == (wanted == "ACTIVE"))
    ]


def paged(msg: str, key: str, rows: list[Any], page: int, limit: int) -> dict[str, Any]:
    """One page of `rows` in the emulator's (assumed) envelope."""
    total = len(rows)
    return {
        "status": 200,
        "msg": msg,
        "data": {
            key: rows[(page - 1) * limit : page * limit],
            "pagination": {
                "page": page,
                "limit": limit,
                "total": total,
                "pages": (total + limit - 1) // limit,
            },
        },
    }
