"""Answers with only the fields public sources show (no clevertap_id, platform, type or
network), over real HTTP: nobody is rejected, what can be derived is (and counted), the
rest wait with a reason, and an ID mapping (with a platform column) sends them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from lr_desktop.cli.main import main
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.emulators.linkrunner import LinkrunnerEmulator
from lr_desktop.linkrunner.client import RetryPolicy
from lr_desktop.linkrunner.derive import NO_PLATFORM_REASON
from lr_desktop.linkrunner.idmap import import_id_mapping
from lr_desktop.linkrunner.pull import pull_once
from lr_desktop.store import connect
from lr_desktop.sync import Operation, run_sync
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config

KEY = "lr-doc-key-W8"
FAST = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_cap=0.005)
NETWORK_OF = {"meta": "META", "g": "GOOGLE", "tt": "TIKTOK", "asa": None}


@pytest.fixture
def emu():
    with LinkrunnerEmulator(KEY, seed=11, users=400, rate_limit=None, shape="documented") as e:
        yield e


def rows(db_path: Path) -> dict[str, dict]:
    conn = connect(db_path)
    try:
        cur = conn.execute(
            "SELECT user_id, clevertap_id, platform, attribution_type, ad_network, "
            "campaign_display_id, campaign_name, status, last_error FROM installs"
        )
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur}
    finally:
        conn.close()


def truth(emu: LinkrunnerEmulator) -> dict[str, tuple[dict, dict]]:
    """user id -> (as served, as Linkrunner knows it)."""
    return {
        s["user_data"]["id"]: (s, r) for s, r in zip(emu.users(), emu.rich_users(), strict=True)
    }


def test_nothing_is_rejected_and_each_derivation_is_from_what_the_answer_says(db_path, emu):
    report = pull_once(db_path, api_key=KEY, base_url=emu.url, retry=FAST)
    assert report.ok and report.rejected == 0 and report.imported == 400
    stored = rows(db_path)
    known = truth(emu)
    no_platform = set()
    for uid, (served, rich) in known.items():
        row = stored[uid]
        device = served["user_data"]["device_data"]
        assert row["clevertap_id"] is None and row["status"] == "waiting_id"
        assert row["attribution_type"] == "INORGANIC"  # listed under a campaign
        assert row["ad_network"] == NETWORK_OF[rich["campaign_display_id"].split("-")[0]]
        assert row["campaign_name"] == rich["campaign_name"]
        if "idfv" in device:
            assert row["platform"] == "ios" == rich["platform"]
        elif "gaid" in device:
            assert row["platform"] == "android" == rich["platform"]
        else:  # nothing says: kept, waiting, with a reason a marketer reads
            assert row["platform"] == "" and row["last_error"] == NO_PLATFORM_REASON
            no_platform.add(uid)
    assert 30 < len(no_platform) < 200
    assert report.waiting_platform == len(no_platform)
    assert report.inferred["attribution_type"] == 400
    assert report.inferred["platform"] == 400 - len(no_platform)
    asa = sum(1 for _s, r in known.values() if r["campaign_display_id"] == "asa-brand")
    assert report.inferred["ad_network"] == 400 - asa
    assert sum(c.waiting_platform for c in report.campaigns) == len(no_platform)


def test_an_id_mapping_sends_them_once_it_names_the_platform(db_path, emu, tmp_path):
    pull_once(db_path, api_key=KEY, base_url=emu.url, retry=FAST)
    known = truth(emu)
    with_id = {uid: r for uid, (_s, r) in known.items() if r["user_data"]["clevertap_id"]}
    no_platform = {uid for uid, row in rows(db_path).items() if row["platform"] == ""}
    ids_only = tmp_path / "ids.csv"
    ids_only.write_text(
        "user_id,clevertap_id\n"
        + "".join(f"{uid},{r['user_data']['clevertap_id']}\n" for uid, r in with_id.items())
    )
    assert import_id_mapping(db_path, ids_only).matched == len(with_id)
    stored = rows(db_path)
    waiting = {uid for uid, row in stored.items() if row["status"] == "waiting_id"}
    assert waiting == no_platform | (set(known) - set(with_id))  # an ID alone is not enough
    assert all(stored[u]["last_error"] == NO_PLATFORM_REASON for u in no_platform)

    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as ct:
        first = run_sync(db_path, config(ct.url), Operation.FULL_SYNC)
        sent = Counter(e["objectId"] for e in ct.events(account=PROJECT))
        expected = {
            r["user_data"]["clevertap_id"] for u, r in with_id.items() if u not in no_platform
        }
        assert set(sent) == expected and first.delivered == len(expected)
        profiled = {p.get("objectId") or p.get("identity") for p in ct.profiles(account=PROJECT)}
        waiting_ids = {with_id[u]["user_data"]["clevertap_id"] for u in no_platform & set(with_id)}
        assert waiting_ids and not (profiled & waiting_ids)  # a waiting user gets nothing

        # The backend knows the platform: the same mapping with a platform column.
        lying = next(
            u for u, r in with_id.items() if r["platform"] == "ios" and u not in no_platform
        )
        with_platform = tmp_path / "ids-platform.csv"
        with_platform.write_text(
            "user_id,clevertap_id,platform\n"
            + "".join(
                f"{uid},{r['user_data']['clevertap_id']},{r['platform']}\n"
                for uid, r in with_id.items()
                if uid in no_platform
            )
            + f"{lying},{with_id[lying]['user_data']['clevertap_id']},android\n"
        )
        assert main(["--db", str(db_path), "map-ids", str(with_platform)]) == 0
        stored = rows(db_path)
        assert stored[lying]["platform"] == "ios"  # never changes a platform Linkrunner named
        for uid in no_platform & set(with_id):
            assert stored[uid]["platform"] == with_id[uid]["platform"]
            assert stored[uid]["status"] == "queued" and stored[uid]["last_error"] is None
        second = run_sync(db_path, config(ct.url), Operation.SEND_PENDING)
        events = ct.events(account=PROJECT)
    assert second.delivered == len(waiting_ids)
    per_id = Counter(e["objectId"] for e in events)
    assert set(per_id) == {r["user_data"]["clevertap_id"] for r in with_id.values()}
    assert set(per_id.values()) == {1}
    by_id = {r["user_data"]["clevertap_id"]: r for r in with_id.values()}
    for e in events:
        rich = by_id[e["objectId"]]
        assert e["evtName"] == "inorganic_install"
        assert e["evtData"]["platform"] == rich["platform"]
        network = NETWORK_OF[rich["campaign_display_id"].split("-")[0]]
        assert e["evtData"]["utm_source"] == (network.lower() if network else "unknown")
        assert e["evtData"]["utm_campaign"] == rich["campaign_name"]


def test_a_later_answer_without_the_platform_keeps_the_known_one(db_path, emu):
    pull_once(db_path, api_key=KEY, base_url=emu.url, retry=FAST)
    served, rich = next(
        (s, r) for s, r in truth(emu).values() if "gaid" in s["user_data"]["device_data"]
    )
    uid = served["user_data"]["id"]
    again = {**served, "user_data": {"id": uid, "device_data": {"locale": "en_IN"}}}
    again["ad_set_id"] = "moved-set"  # a real change, so the row is written again
    emu.add_records([again], attributed_at=emu.clock() - 5)
    report = pull_once(db_path, api_key=KEY, base_url=emu.url, retry=FAST)
    assert report.updated == 1
    row = rows(db_path)[uid]
    assert row["platform"] == "android" == rich["platform"] and row["last_error"] is None


def test_the_cli_summary_says_what_was_derived_and_who_waits(db_path, emu, monkeypatch, capsys):
    monkeypatch.setenv("LR_LINKRUNNER_ENDPOINT", emu.url)
    monkeypatch.setenv("LR_LINKRUNNER_KEY", KEY)
    assert main(["--db", str(db_path), "pull"]) == 0  # waiting is not a failure
    out = capsys.readouterr().out
    assert "derived: type INORGANIC (listed under a campaign) for 400" in out
    assert "ad network (the campaign's channel, UNCONFIRMED)" in out
    assert "Linkrunner did not say whether they installed on Android or iOS" in out
    assert "Brand Keywords (asa-brand): " in out  # one line per campaign
