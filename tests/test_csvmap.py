"""The CSV fast path (`importer.csvmap`) gives exactly what the full mapping gives:
the same Attribution, or the same reason for refusing the row, on many shapes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lr_desktop.clevertap.rules import MAX_IDENTIFIER_CHARS, MAX_STRING_BYTES
from lr_desktop.fieldmap import FIELD_ALIASES, RowProblem, attribution_from_record
from lr_desktop.importer.csvmap import compile_mapper
from lr_desktop.importer.readers import open_records
from lr_desktop.model import ATTRIBUTION_COLUMNS, attribution_values

NOW = int(time.time())
HEADER = list(ATTRIBUTION_COLUMNS)
GOOD = {
    "user_id": "usr_0000001",
    "attribution_type": "INORGANIC",
    "platform": "android",
    "installed_at": "1765772294",
    "clevertap_id": "__a1445847669c4e929d121252c1a2790d",
    "ad_network": "GOOGLE",
    "campaign_id": "goo-0015838",
    "campaign_display_id": "001",
    "campaign_name": "UAC Installs",
    "attributed_at": "1765772294",
    "store_click_at": "1765770827",
    "attribution_source": "google_ads",
    "ad_set_name": "UAC Installs / set 3",
    "ad_creative_name": "creative_01",
}

TIMES = [
    "1765772294", " 1765772294 ", "0001765772294", "1262304000", "1262303999",
    "1765772294000", "1765772294000000", "1765772294.5", "-5", "+1765772294", "0", "2026",
    "20261130", "20261399", "20260101T120000Z", "20260101T1200", "9" * 41,
    "2026-11-30T10:00:00Z", "2026-11-30T10:00:00+05:30", "2026-11-30T10:00:00-14:00",
    "2026-11-30 10:00:00", "2026-11-30T10:00:00.123456Z", "2026-11-30T10:00:00.5",
    "2026-11-30", "2026-11-30T10:00:00 UTC", "2026-11-30 10:00 GMT", "2026-11-30T10:00:00z",
    "2026-13-01T00:00:00Z", "2026-02-30", "2009-12-31T23:59:59Z", "2010-01-01T00:00:00Z",
    "2099-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
    "2026-W01-1", "2026-11-30T25:00:00Z", "1e9", "abc", "", " ", "\t", "٢٠٢٦-11-30",
    str(NOW + 86_400), str(NOW + 3 * 86_400), time.strftime("%Y-%m-%dT%H:%M:%SZ",
    time.gmtime(NOW + 86_400)), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW + 4 * 86_400)),
]  # fmt: skip
TEXTS = [
    "", " ", "  x  ", "abc", "ORGANIC", "organic", " Inorganic ", "INORGANIC", "PAID", "META",
    "google_ads", "organic", "Organic", "android", "Android", " ios ", "IOS", "windows",
    "Été", "名前", "\udcff", "x\x1f", "\x1c", "a b", "__3376fa86 162874", "ok\t",
    "a" * (MAX_STRING_BYTES // 4 + 1), "é" * (MAX_STRING_BYTES // 2 + 1),
    "c" * (MAX_IDENTIFIER_CHARS + 1), "c" * MAX_IDENTIFIER_CHARS, "__abc\u200b",
]  # fmt: skip
VALUES = st.one_of(st.sampled_from(TIMES), st.sampled_from(TEXTS), st.text(max_size=12))
ALL_NAMES = sorted({n for names in FIELD_ALIASES.values() for n in names} | {"user_data"})


def outcome(mapper: Any, record: dict[str, Any]) -> tuple[Any, ...]:
    """What a mapping makes of a record, types included."""
    try:
        item = mapper(record)
    except RowProblem as problem:
        return ("refused", problem.reason)
    return ("ok", *((type(v).__name__, v) for v in attribution_values(item)))


def same(names: list[str], record: dict[str, Any]) -> tuple[Any, ...]:
    got = outcome(compile_mapper(names), record)
    assert got == outcome(attribution_from_record, record)
    return got


@pytest.mark.parametrize("field", ["installed_at", "attributed_at", "store_click_at"])
@pytest.mark.parametrize("value", TIMES)
def test_time_shapes(field: str, value: str) -> None:
    record = {name: GOOD.get(name, "") for name in HEADER}
    record[field] = value
    same(HEADER, record)


@pytest.mark.parametrize(
    "field",
    ["user_id", "attribution_type", "platform", "clevertap_id", "ad_network",
     "attribution_source", "campaign_id", "campaign_name", "deeplink"],
)  # fmt: skip
@pytest.mark.parametrize("value", TEXTS)
def test_text_shapes(field: str, value: str) -> None:
    record = {name: GOOD.get(name, "") for name in HEADER}
    record[field] = value
    same(HEADER, record)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(ALL_NAMES), min_size=1, max_size=12, unique=True),
    st.data(),
)
def test_any_header_any_values(names: list[str], data: st.DataObject) -> None:
    record = {name: data.draw(VALUES, label=name) for name in names}
    same(names, record)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(HEADER), VALUES, max_size=8))
def test_full_header_good_row_with_changes(changes: dict[str, str]) -> None:
    record = {name: GOOD.get(name, "") for name in HEADER} | changes
    same(HEADER, record)


def test_common_shapes_take_the_fast_path() -> None:
    """The shapes real exports have are mapped without the full mapping."""
    fast = compile_mapper(HEADER).__self__.fast  # type: ignore[attr-defined]
    for installed in ("1765772294", "2026-11-30T10:00:00Z", "2026-11-30T10:00:00+05:30"):
        for kind, platform in (("ORGANIC", "ios"), ("INORGANIC", "Android")):
            record = {name: GOOD.get(name, "") for name in HEADER}
            record.update(installed_at=installed, attribution_type=kind, platform=platform)
            item = fast(record)
            assert item is not None
            assert item == attribution_from_record(record)


def test_missing_columns_read_as_empty() -> None:
    names = ["user_id", "attribution_source", "platform", "installed_at"]
    record = {"user_id": " u1 ", "attribution_source": "META", "platform": "ios",
              "installed_at": "2026-11-30T10:00:00Z"}  # fmt: skip
    assert same(names, record)[0] == "ok"
    assert compile_mapper(names)(record).ad_network == "META"


def test_two_names_for_one_field_keep_the_full_mapping() -> None:
    assert compile_mapper(["user_id", "user_data_id", "platform"]) is attribution_from_record
    assert compile_mapper(["user_data.id", "platform"]) is not attribution_from_record


def test_csv_import_uses_the_compiled_mapping(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    rows = [",".join(HEADER)]
    rows.append(",".join(GOOD.get(name, "") for name in HEADER))
    rows.append(",".join({**GOOD, "installed_at": "1765772294000"}.get(n, "") for n in HEADER))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with open_records(path) as stream:
        records = list(stream.records)
        assert stream.map_record is not attribution_from_record
        results = [outcome(stream.map_record, record) for _, record in records]
    assert results == [outcome(attribution_from_record, record) for _, record in records]
    assert results[0][0] == "ok"
    assert results[1] == (
        "refused",
        "installed_at 1765772294000 looks like milliseconds; use epoch seconds or an ISO date",
    )
