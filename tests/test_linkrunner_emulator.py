"""The Linkrunner emulator's own contract: answer shape, validation, control endpoints."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest

from lr_desktop.emulators.linkrunner import (
    CAMPAIGNS_PATH,
    ONE_CAMPAIGN,
    USERS_PATH,
    LinkrunnerEmulator,
)

KEY = "emu-key-1"


@pytest.fixture
def emu():
    with LinkrunnerEmulator(KEY, seed=4, users=1000, one_campaign=True) as e:
        yield e


def get(emu, key=KEY, path=USERS_PATH, **params):
    if path == USERS_PATH:
        params.setdefault("display_id", ONE_CAMPAIGN)
    return httpx.get(emu.url + path, params=params, headers={"linkrunner-key": key})


def test_answer_shape_and_seeded_mix(emu):
    body = get(emu, page=1, limit=1000).json()
    users, pag = body["data"]["users"], body["data"]["pagination"]
    assert pag == {"page": 1, "limit": 1000, "total": 1000, "pages": 1}
    keys = {
        "attributed_at",
        "ad_channel",
        "campaign_display_id",
        "campaign_name",
        "link",
        "installed_at",
        "store_click_at",
        "meta_ad_id",
        "ad_set_id",
        "ad_creative_id",
        "publisher_platform",
        "platform_position",
        "user_data",
    }
    assert keys <= set(users[0])
    assert {"id", "name", "email", "phone", "device_data"} <= set(users[0]["user_data"])
    assert {u["campaign_display_id"] for u in users} == {ONE_CAMPAIGN}
    mixed = LinkrunnerEmulator(KEY, seed=4, users=1000).users()
    channels = Counter(u["ad_channel"] for u in mixed)
    assert set(channels) == {"META", "GOOGLE", "TIKTOK", "APPLE_SEARCH_ADS"}  # no organic
    assert all(u["campaign_display_id"] for u in mixed)
    assert [u["attributed_at"] for u in users] == sorted(
        (u["attributed_at"] for u in users), reverse=True
    )
    same = LinkrunnerEmulator(KEY, seed=4, users=1000, one_campaign=True)

    def shape(us):  # times follow the clock; everything else follows the seed
        return [(u["user_data"]["id"], u["ad_channel"], u["user_data"]["clevertap_id"]) for u in us]

    assert shape(same.users()) == shape(emu.users())


@pytest.mark.parametrize("params", [{"limit": 1001}, {"page": 0}, {"start_timestamp": "soon"}])
def test_bad_queries(emu, params):
    assert get(emu, **params).status_code == 400


def test_bad_key_and_rate_limit(emu):
    assert get(emu, key="nope").status_code == 401
    assert get(emu, key="nope", path=CAMPAIGNS_PATH).status_code == 401
    emu.rate_limit = 2
    codes = [get(emu, limit=1).status_code for _ in range(3)]
    assert codes.count(429) >= 1 and emu.stats()["rate_limited"] >= 1


def test_control_endpoints(emu):
    c = httpx.Client(base_url=emu.url)
    assert c.post("/_emulator/users", json={"count": 5}).json()["users"] == 1005
    assert c.get("/_emulator/stats").json()["users"] == 1005
    c.post("/_emulator/faults", json={"status": 503, "times": 1})
    assert get(emu).status_code == 503 and get(emu).status_code == 200
    assert len(c.get("/_emulator/users").json()["users"]) == 1005
    c.post("/_emulator/reset")
    assert emu.stats()["users"] == 1000


def test_trickle_adds_users_over_time(emu):
    grown = threading.Event()
    original = emu.add_users

    def add_users(n, **kw):
        out = original(n, **kw)
        grown.set()
        return out

    emu.add_users = add_users  # type: ignore[method-assign]
    emu.start_trickle(3, every=0.01)
    try:
        assert grown.wait(30)
    finally:
        emu.stop_trickle()
    assert emu.stats()["users"] >= 1003


def test_display_id_is_required_as_the_docs_say(emu):
    answer = get(emu, display_id="")
    assert answer.status_code == 400  # the body is a guess: Linkrunner documents none
    assert answer.json() == {"status": 400, "msg": "display_id is required"}
    assert get(emu, display_id="no-such-campaign").status_code == 404
    assert get(emu).status_code == 200


def test_campaigns_list_with_paging_and_channel_filter(emu):
    body = get(emu, path=CAMPAIGNS_PATH).json()["data"]
    assert body["pagination"] == {"page": 1, "limit": 10, "total": 6, "pages": 1}
    first = body["campaigns"][0]
    assert {"display_id", "name", "created_at", "google", "meta", "active", "link"} <= set(first)
    assert first["attributed_users"] == (1000 if first["display_id"] == ONE_CAMPAIGN else 0)
    page2 = get(emu, path=CAMPAIGNS_PATH, page=2, limit=4).json()["data"]["campaigns"]
    assert len(page2) == 2
    meta = get(emu, path=CAMPAIGNS_PATH, channel="META").json()["data"]["campaigns"]
    assert [c["display_id"] for c in meta] == ["meta-summer", "meta-retarget"]
    assert get(emu, path=CAMPAIGNS_PATH, limit=1001).status_code == 400


def test_documented_shape_has_only_the_documented_fields():
    with LinkrunnerEmulator(KEY, seed=4, users=400, shape="documented") as emu:
        users = emu.users()
        rich = emu.rich_users()
    assert all(
        set(u)
        == {
            "attributed_at",
            "campaign_display_id",
            "campaign_name",
            "link",
            "installed_at",
            "store_click_at",
            "ad_set_id",
            "user_data",
        }
        for u in users
    )
    assert all(set(u["user_data"]) == {"id", "email", "device_data"} for u in users)
    by_platform = Counter(
        (
            r["platform"],
            "idfv" in u["user_data"]["device_data"],
            "gaid" in u["user_data"]["device_data"],
        )
        for u, r in zip(users, rich, strict=True)
    )
    assert set(by_platform) == {
        ("ios", True, False),
        ("android", False, True),
        ("android", False, False),
    }
    assert [u["user_data"]["id"] for u in users] == [r["user_data"]["id"] for r in rich]
