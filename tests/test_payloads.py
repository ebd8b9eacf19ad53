"""Payload building and CleverTap's record rules, client side."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lr_desktop.clevertap import rules
from lr_desktop.clevertap.client import Verdict, parse_upload_answer
from lr_desktop.clevertap.config import CleverTapConfig, Secrets, apply_env
from lr_desktop.clevertap.payloads import (
    attribution_params,
    attribution_url,
    event_record,
    profile_record,
    redact_url,
)

CFG = CleverTapConfig(
    project_id="ACC-1", partner_name="linkrunner", secrets=Secrets("tok-SECRET-1", "pass-SECRET-2")
)
INORGANIC = dict(
    user_id="u1",
    clevertap_id="ct-1",
    attribution_type="INORGANIC",
    platform="android",
    installed_at=1767225600,
    ad_network="META",
    campaign_id="c-9",
    campaign_name="Summer Sale",
    event_id="e1",
)
ORGANIC = dict(
    INORGANIC, attribution_type="ORGANIC", ad_network=None, campaign_id=None, campaign_name=None
)


def test_inorganic_event_record() -> None:
    rec = event_record(INORGANIC, CFG)
    assert rec == {
        "type": "event",
        "objectId": "ct-1",
        "evtName": "inorganic_install",
        "ts": 1767225600,
        "evtData": {
            "utm_source": "meta",
            "platform": "android",
            "utm_campaign": "Summer Sale",
            "campaign_id": "c-9",
            "ad_network": "META",
            "user_id": "u1",
            "lr_event_id": "e1",
        },
    }
    assert rules.event_record_problem(rec) is None


def test_organic_event_has_no_campaign() -> None:
    rec = event_record(ORGANIC, CFG)
    assert rec["evtName"] == "organic_install"
    assert rec["evtData"]["utm_source"] == "organic"
    assert "utm_campaign" not in rec["evtData"]


def test_configured_event_names() -> None:
    cfg = CleverTapConfig(organic_event="LR Organic", inorganic_event="LR Paid")
    assert event_record(ORGANIC, cfg)["evtName"] == "LR Organic"
    assert event_record(INORGANIC, cfg)["evtName"] == "LR Paid"


def test_profile_record() -> None:
    assert profile_record(INORGANIC) == {
        "type": "profile",
        "objectId": "ct-1",
        "profileData": {
            "lr_install_type": "inorganic",
            "lr_ad_network": "META",
            "lr_campaign": "Summer Sale",
        },
    }
    assert rules.profile_record_problem(profile_record(ORGANIC)) is None


def test_attribution_params_match_linkrunner_wire_format() -> None:
    p = attribution_params(INORGANIC, CFG)
    assert p == {
        "partner_name": "linkrunner",
        "event_type": "inorganic_install",
        "timestamp": "1767225600",
        "utm_source": "meta",
        "utm_campaign": "Summer Sale",
        "device_identifier": "ct-1",
        "platform": "android",
        "account_id": "ACC-1",
        "account_token": "tok-SECRET-1",
        "account_passcode": "pass-SECRET-2",
    }
    assert "utm_campaign" not in attribution_params(ORGANIC, CFG)


def test_attribution_url_redacted_by_default() -> None:
    url = attribution_url(INORGANIC, CFG)
    assert "SECRET" not in url
    raw = attribution_url(INORGANIC, CFG, redacted=False)
    assert "SECRET" in raw and "SECRET" not in redact_url(raw)
    assert "SECRET" not in redact_url(f"GET {raw} -> 500")


@pytest.mark.parametrize(
    "name, ok",
    [
        ("organic_install", True),
        ("App Launched", False),
        ("app launched", False),
        ("applaunched", False),
        ("UTM Visited", False),
        ("bad.name", False),
        ("a$b", False),
        ("", False),
        ("Install (LR)", True),
    ],
)
def test_event_name_rules(name: str, ok: bool) -> None:
    assert (rules.event_name_problem(name) is None) is ok


@pytest.mark.parametrize(
    "change, code",
    [
        ({"objectId": ""}, 523),
        ({"objectId": "x" * 121}, 526),
        ({"ts": 1767225600000}, 525),
        ({"ts": 0}, 525),
        ({"evtName": "App Launched"}, 513),
        ({"evtName": ""}, 509),
        ({"type": "nope"}, 524),
        ({"evtData": {f"k{i}": i for i in range(101)}}, 522),
        ({"evtData": {"utm_campaign": "é" * 300}}, 512),
        ({"evtData": {"nested": {"a": 1}}}, 512),
    ],
)
def test_record_rules_reject_with_cleverTap_codes(change: dict, code: int) -> None:
    rec = {**event_record(INORGANIC, CFG), **change}
    problem = rules.event_record_problem(rec)
    assert problem is not None and problem[0] == code


@given(st.text(max_size=40))
def test_event_name_problem_never_crashes(name: str) -> None:
    problem = rules.event_name_problem(name)
    if problem is None:
        assert name.strip() and not (set(name) & rules.FORBIDDEN_EVENT_CHARS)


def test_env_overrides() -> None:
    cfg = apply_env(
        CleverTapConfig(),
        {
            "LR_CLEVERTAP_PROJECT_ID": "P-1",
            "LR_CLEVERTAP_REGION": "in",
            "LR_CLEVERTAP_MODE": "Attribution",
            "LR_CLEVERTAP_PARTNER": "lr",
            "LR_CLEVERTAP_PASSCODE": "pc",
            "LR_CLEVERTAP_PROJECT_TOKEN": "tk",
            "LR_CLEVERTAP_ENDPOINT": "http://127.0.0.1:1",
        },
    )
    assert (cfg.project_id, cfg.region, cfg.mode, cfg.partner_name) == (
        "P-1",
        "IN",
        "attribution",
        "lr",
    )
    assert cfg.secrets == Secrets("tk", "pc")
    assert cfg.base_url == "http://127.0.0.1:1"
    assert "pc" not in repr(cfg) and "tk" not in repr(cfg.secrets)


def test_config_problems_name_the_fix() -> None:
    problems = CleverTapConfig(inorganic_event="App Launched", concurrency=16).problems()
    text = " ".join(problems)
    assert "Project ID is missing" in text and "Passcode is missing" in text
    assert "reserved" in text and "between 1 and 15" in text


def _sent(n: int) -> list[dict]:
    return [dict(event_record(dict(INORGANIC, event_id=f"e{i}"), CFG)) for i in range(n)]


def test_partial_success_maps_by_record_number_and_string_record() -> None:
    sent = _sent(3)
    body = {
        "status": "partial",
        "processed": 1,
        "unprocessed": [
            {"status": "fail", "code": 526, "error": "Invalid objectId. Skipped record number : 2"},
            {"status": "fail", "code": 525, "error": "bad ts", "record": json.dumps(sent[2])},
        ],
    }
    ans = parse_upload_answer(200, json.dumps(body).encode(), sent)
    assert ans.verdict is Verdict.OK
    assert sorted((f.index, f.code) for f in ans.failures) == [(1, 526), (2, 525)]


def test_success_status_with_unprocessed_records_is_not_trusted() -> None:
    sent = _sent(2)
    body = {
        "status": "success",
        "processed": 0,
        "unprocessed": [
            {
                "status": "fail",
                "code": 523,
                "error": "Identity missing. Skipped record number : 1",
                "record": sent[0],
            },
        ],
    }
    ans = parse_upload_answer(200, json.dumps(body).encode(), sent)
    assert [(f.index, f.code) for f in ans.failures] == [(0, 523)]


@pytest.mark.parametrize(
    "status, verdict",
    [
        (400, Verdict.STOP),
        (401, Verdict.STOP),
        (403, Verdict.STOP),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
    ],
)
def test_http_status_verdicts(status: int, verdict: Verdict) -> None:
    assert parse_upload_answer(status, b"{}", _sent(1)).verdict is verdict


def test_401_message_names_both_causes() -> None:
    msg = parse_upload_answer(
        401, b'{"status":"fail","error":"Account ID is not valid","code":401}', []
    ).message
    assert "credentials or region wrong" in msg
