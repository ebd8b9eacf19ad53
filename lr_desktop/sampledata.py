"""Seeded, realistic attributed users for the demo, screenshots and benchmarks.

About 40% organic; inorganic installs come from a handful of ad networks with several
campaigns each; about 10% have no CleverTap ID yet; a few CleverTap IDs contain a space,
which CleverTap (and its emulator) rejects with code 526. Installs are spread over the
last `days` days. Fast enough for 1,000,000 users (a few seconds).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

from lr_desktop.model import INORGANIC, ORGANIC, Attribution

# network -> (platforms it runs on, campaigns)
NETWORKS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "META": (("android", "ios"), ("Summer Sale", "Retargeting Q3", "Lookalike 2%", "Diwali Push")),
    "GOOGLE": (("android", "ios"), ("UAC Installs", "Brand Search", "YouTube Shorts")),
    "TIKTOK": (("android", "ios"), ("Creators Spark", "TopView Launch", "Hashtag Challenge")),
    "APPLE_SEARCH_ADS": (("ios",), ("Brand Keywords", "Competitor Keywords", "Discovery")),
    "SNAPCHAT": (("android", "ios"), ("Story Ads", "Lens Promo")),
    "UNITY_ADS": (("android", "ios"), ("Rewarded Video", "Playable Q4")),
}
# relative weights of the networks among inorganic installs
_WEIGHTS = (0.34, 0.28, 0.16, 0.1, 0.07, 0.05)
_SOURCES = {"META": "facebook", "GOOGLE": "google_ads", "TIKTOK": "tiktok"}

ORGANIC_SHARE = 0.4
WITHOUT_ID_SHARE = 0.1
BAD_ID_EVERY = 250  # one user in 250 has a CleverTap ID with a space (answered with 526)
_HEX = "0123456789abcdef"


def generate(
    n: int, *, seed: int = 7, now: int | None = None, days: int = 30, start: int = 0
) -> Iterator[Attribution]:
    """Yield `n` attributed users (`start` offsets the user numbers for more batches)."""
    rng = random.Random(seed * 1_000_003 + start)
    now = int(time.time()) if now is None else int(now)
    span = days * 86400
    names = list(NETWORKS)
    # stable campaign ids (not hash(): it is salted per process)
    ids = {
        net: [f"{net[:3].lower()}-{(i + 1) * 7919 + k * 104729:07d}" for k, _c in enumerate(camps)]
        for i, (net, (_p, camps)) in enumerate(NETWORKS.items())
    }
    rand = rng.random
    randrange = rng.randrange
    choices = rng.choices
    for i in range(start, start + n):
        # more installs recently: a gentle ramp plus a weekly rhythm
        age = int(span * (rand() ** 1.3))
        installed = now - age
        # one draw whatever the day: the same seed gives the same users on any date
        if rand() < 0.25 and (installed // 86400) % 7 in (5, 6):
            installed -= 86400
        if i % BAD_ID_EVERY == 17:
            ct_id = "__" + "".join(choices(_HEX, k=10)) + " " + "".join(choices(_HEX, k=10))
        elif rand() < WITHOUT_ID_SHARE:
            ct_id = None
        else:
            ct_id = "__" + "".join(choices(_HEX, k=32))
        user_id = f"usr_{i:07d}"
        if rand() < ORGANIC_SHARE:
            yield Attribution(
                user_id=user_id,
                attribution_type=ORGANIC,
                platform="ios" if rand() < 0.38 else "android",
                installed_at=installed,
                clevertap_id=ct_id,
                attribution_source="organic",
            )
            continue
        network = choices(names, _WEIGHTS)[0]
        platforms, camps = NETWORKS[network]
        k = randrange(len(camps))
        platform = platforms[0] if len(platforms) == 1 else ("ios" if rand() < 0.38 else "android")
        clicked = installed - randrange(30, 3600)
        yield Attribution(
            user_id=user_id,
            attribution_type=INORGANIC,
            platform=platform,
            installed_at=installed,
            clevertap_id=ct_id,
            ad_network=network,
            campaign_id=ids[network][k],
            campaign_display_id=f"{k + 1:03d}",
            campaign_name=camps[k],
            attributed_at=installed,
            store_click_at=clicked,
            attribution_source=_SOURCES.get(network, network.lower()),
            ad_set_name=f"{camps[k]} / set {randrange(1, 4)}",
            ad_creative_name=f"creative_{randrange(1, 9):02d}",
        )
