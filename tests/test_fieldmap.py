"""The one Linkrunner record -> Attribution mapping: names, types, times, limits."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lr_desktop.fieldmap import RowProblem, attribution_from_record, parse_timestamp
from lr_desktop.model import Attribution

BASE = {
    "user_id": "u1",
    "attribution_type": "ORGANIC",
    "platform": "android",
    "installed_at": "1767225600",
}


def problem(raw: dict[str, Any]) -> str:
    with pytest.raises(RowProblem) as info:
        attribution_from_record(raw)
    return info.value.reason


def test_minimal_row() -> None:
    a = attribution_from_record(BASE)
    assert a == Attribution(
        user_id="u1", attribution_type="ORGANIC", platform="android", installed_at=1767225600
    )


@pytest.mark.parametrize("kind", ["organic", "Organic", "ORGANIC", " organic "])
def test_attribution_type_any_case(kind: str) -> None:
    assert attribution_from_record({**BASE, "attribution_type": kind}).attribution_type == "ORGANIC"


@pytest.mark.parametrize(
    "platform,expected", [("ANDROID", "android"), ("iOS", "ios"), ("ios", "ios")]
)
def test_platform_lower_cased(platform: str, expected: str) -> None:
    assert attribution_from_record({**BASE, "platform": platform}).platform == expected


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"user_id": ""}, "user_id is missing"),
        ({"user_id": None}, "user_id is missing"),
        ({"platform": "windows"}, "platform 'windows' is not android or ios"),
        ({"platform": ""}, "platform is missing"),
        ({"installed_at": ""}, "installed_at is missing"),
        (
            {"installed_at": "1767225600000"},
            "installed_at 1767225600000 looks like milliseconds; use epoch seconds or an ISO date",
        ),
        ({"installed_at": 1767225600000}, "installed_at 1767225600000 looks like milliseconds"),
        ({"installed_at": "yesterday"}, "installed_at 'yesterday' is not a date"),
        ({"installed_at": "0"}, "0 is not a plausible install time"),
        ({"attribution_type": "PAID"}, "attribution_type 'PAID' is not ORGANIC or INORGANIC"),
        ({"attribution_type": ""}, "attribution_type is missing"),
        ({"clevertap_id": "c" * 121}, "clevertap_id is longer than 120 characters"),
        ({"campaign_name": "é" * 300}, "campaign_name is longer than 512 bytes"),
        ({"ad_network": "x" * 513}, "ad_network is longer than 512 bytes"),
        ({"campaign_id": "x" * 513}, "campaign_id is longer than 512 bytes"),
        (
            {"store_click_at": "1767225600123"},
            "store_click_at 1767225600123 looks like milliseconds",
        ),
        ({"attributed_at": "nope"}, "attributed_at 'nope' is not a date"),
        ({"campaign_name": ["a"]}, "campaign_name must be text"),
        ({"user_id": True}, "user_id must be text"),
    ],
)
def test_problems_in_plain_words(change: dict[str, Any], reason: str) -> None:
    assert reason in problem({**BASE, **change})


def test_limits_are_inclusive() -> None:
    a = attribution_from_record({**BASE, "clevertap_id": "c" * 120, "campaign_name": "x" * 512})
    assert a.clevertap_id == "c" * 120 and a.campaign_name == "x" * 512


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2026-01-01T00:00:00Z", 1767225600),
        ("2026-01-01T00:00:00", 1767225600),  # no zone: UTC
        ("2026-01-01 00:00:00", 1767225600),
        ("2026-01-01", 1767225600),
        ("2026-01-01 00:00:00 UTC", 1767225600),
        ("2026-01-01T02:00:00+02:00", 1767225600),
        ("2026-01-01T00:00:00.999Z", 1767225600),
        ("1767225600", 1767225600),
        (" 1767225600 ", 1767225600),
        ("1767225600.7", 1767225600),
        (1767225600, 1767225600),
        (1767225600.0, 1767225600),
    ],
)
def test_parse_timestamp(value: Any, expected: int) -> None:
    assert parse_timestamp(value) == expected


def test_empty_strings_become_none() -> None:
    a = attribution_from_record({**BASE, "clevertap_id": "", "campaign_name": "  ", "deeplink": ""})
    assert a.clevertap_id is None and a.campaign_name is None and a.deeplink is None


def test_data_api_shape() -> None:
    raw = {
        "attributed_at": "2026-01-01T00:00:05Z",
        "ad_channel": "META",
        "campaign_display_id": "d1",
        "campaign_name": "Summer",
        "installed_at": "2026-01-01T00:00:00Z",
        "platform": "ANDROID",
        "user_data": {"id": 42, "name": "x", "clevertap_id": "ct-1"},
        "attribution_type": "INORGANIC",
    }
    a = attribution_from_record(raw)
    assert (a.user_id, a.ad_network, a.clevertap_id, a.attributed_at) == (
        "42",
        "META",
        "ct-1",
        1767225605,
    )


@pytest.mark.parametrize("key", ["user_data.id", "user_data_id"])
def test_flattened_user_id(key: str) -> None:
    raw = {k: v for k, v in BASE.items() if k != "user_id"} | {key: "u9"}
    assert attribution_from_record(raw).user_id == "u9"


def test_network_aliases_and_clevertap_id_sources() -> None:
    assert attribution_from_record({**BASE, "network_name": "TIKTOK"}).ad_network == "TIKTOK"
    nested = {**BASE, "additional_data": {"clevertap_id": "ct-9"}}
    assert attribution_from_record(nested).clevertap_id == "ct-9"
    flat = {**BASE, "additional_data.clevertap_id": "ct-8"}
    assert attribution_from_record(flat).clevertap_id == "ct-8"


def test_attribution_source_decides_when_type_absent() -> None:
    raw = {k: v for k, v in BASE.items() if k != "attribution_type"}
    meta = attribution_from_record({**raw, "attribution_source": "META"})
    assert (meta.attribution_type, meta.ad_network, meta.attribution_source) == (
        "INORGANIC",
        "META",
        "META",
    )
    google = attribution_from_record(
        {**raw, "attribution_source": "GOOGLE", "ad_network": "GOOGLE_ADS"}
    )
    assert (google.attribution_type, google.ad_network) == ("INORGANIC", "GOOGLE_ADS")
    assert (
        attribution_from_record({**raw, "attribution_source": "organic"}).attribution_type
        == "ORGANIC"
    )
    # neither: the network decides (Data API answers carry no type)
    assert attribution_from_record({**raw, "ad_channel": "GOOGLE"}).attribution_type == "INORGANIC"
    assert attribution_from_record({**raw, "ad_channel": "ORGANIC"}).attribution_type == "ORGANIC"
    # an explicit type wins over the source
    both = attribution_from_record({**BASE, "attribution_source": "META"})
    assert both.attribution_type == "ORGANIC"


def test_not_a_mapping() -> None:
    with pytest.raises(RowProblem):
        attribution_from_record(["u1"])  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
field_names = st.sampled_from(
    [
        "user_id",
        "attribution_type",
        "attribution_source",
        "platform",
        "installed_at",
        "clevertap_id",
        "ad_network",
        "ad_channel",
        "campaign_name",
        "campaign_id",
        "attributed_at",
        "store_click_at",
        "user_data",
        "additional_data",
        "deeplink",
    ]
)
timestampish = st.one_of(
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.datetimes().map(lambda d: d.isoformat()),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(field_names, json_values, max_size=12),
    st.dictionaries(
        st.sampled_from(["installed_at", "attributed_at", "store_click_at"]), timestampish
    ),
)
def test_any_record_maps_or_raises_row_problem(raw: dict[str, Any], times: dict[str, Any]) -> None:
    record = {**BASE, **raw, **times}
    try:
        a = attribution_from_record(record)
    except RowProblem as exc:
        assert exc.reason
    else:
        assert a.platform in ("android", "ios")
        assert a.attribution_type in ("ORGANIC", "INORGANIC")
        assert 1 <= a.installed_at <= 9_999_999_999


@settings(max_examples=200, deadline=None)
@given(timestampish)
def test_parse_timestamp_never_crashes(value: Any) -> None:
    with contextlib.suppress(RowProblem):
        assert 1 <= parse_timestamp(value) <= 9_999_999_999


def test_platform_from_data_api_device_data() -> None:
    from lr_desktop.fieldmap import attribution_from_record

    base = {"user_data": {"id": "u1"}, "ad_channel": "META", "installed_at": "2026-01-01T00:00:00Z"}
    for device in ({"platform": "ANDROID"}, {"os": "iOS"}):
        item = attribution_from_record({**base, "user_data": {"id": "u1", "device_data": device}})
        assert item.platform in ("android", "ios")
    try:
        attribution_from_record({**base, "user_data": {"id": "u1", "device_data": {"os": "web"}}})
    except Exception as exc:  # noqa: BLE001
        assert "not android or ios" in str(exc)
    else:
        raise AssertionError("an unknown device platform must be rejected")


def test_organic_channel_is_not_an_ad_network() -> None:
    from lr_desktop.fieldmap import attribution_from_record

    item = attribution_from_record(
        {
            "user_data": {"id": "u9"},
            "ad_channel": "ORGANIC",
            "platform": "ios",
            "installed_at": "2026-01-01T00:00:00Z",
        }
    )
    assert item.attribution_type == "ORGANIC" and item.ad_network is None
