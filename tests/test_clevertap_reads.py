"""The read API client against the emulator over real HTTP: pages in both query forms,
both ts formats and cursor keys, retries on 429/5xx, clear errors when reads fail."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lr_desktop.clevertap.config import Secrets
from lr_desktop.clevertap.reads import CleverTapReader, CursorRefused, ReadApiError, parse_ts
from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.emulators.clevertap_reads import ReadsControl
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config

T0 = 1767225600


@pytest.fixture
def emu() -> Iterator[CleverTapEmulator]:
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as e:
        for i in range(7):
            e.reads.scenario(
                add=[
                    {
                        "objectId": f"ct-{i}",
                        "evtName": "organic_install",
                        "ts": T0 + i,
                        "evtData": {"lr_event_id": f"e-{i}"},
                    }
                ]
            )
        yield e


def _download(emu: CleverTapEmulator, **kw: Any) -> list[list[dict[str, Any]]]:
    async def go() -> list[list[dict[str, Any]]]:
        async with CleverTapReader(config(emu.url, max_retries=kw.pop("retries", 5)), **kw) as r:
            cursor: str | None = await r.start_events("organic_install", 20260101, 20260101, 3)
            pages = []
            while cursor:
                page = await r.page(cursor)
                pages.append(page.records)
                cursor = page.next_cursor
            return pages

    return asyncio.run(go())


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize(("ts_format", "key"), [("ts14", "next_cursor"), ("epoch", "cursor")])
def test_pages_in_every_form(
    emu: CleverTapEmulator, legacy: bool, ts_format: str, key: str
) -> None:
    ReadsControl(emu.url).configure(ts_format=ts_format, page_cursor_key=key)
    pages = _download(emu, legacy_query=legacy)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [parse_ts(r["ts"]) for p in pages for r in p] == [T0 + i for i in range(7)]
    assert emu.reads.counts["cursor_requests"] == 1


def test_retries_429_and_5xx_then_gets_everything(emu: CleverTapEmulator) -> None:
    emu.faults = Faults(error_rate=0.5, error_statuses=(429, 500, 503), seed=3)
    pages = _download(emu, retries=20)
    assert sum(len(p) for p in pages) == 7
    assert emu.stats()["faults_error"] > 0


def test_a_failing_read_api_is_a_clear_error(emu: CleverTapEmulator) -> None:
    emu.faults = Faults(error_rate=1.0, error_statuses=(503,))
    with pytest.raises(ReadApiError, match="did not answer after 3 tries.*503"):
        _download(emu, retries=2)


def test_bad_credentials_and_expired_cursors(emu: CleverTapEmulator) -> None:
    async def bad_passcode() -> None:
        cfg = config(emu.url, secrets=Secrets(TOKEN, "bad-passcode-X1"))
        async with CleverTapReader(cfg) as r:
            await r.start_events("organic_install", 20260101, 20260101)

    with pytest.raises(ReadApiError, match="credentials or region") as info:
        asyncio.run(bad_passcode())
    assert "bad-passcode-X1" not in str(info.value)

    async def expired() -> None:
        async with CleverTapReader(config(emu.url)) as r:
            cursor = await r.start_events("organic_install", 20260101, 20260101, 3)
            emu.reads.control("expire", True, {})
            await r.page(cursor)

    with pytest.raises(CursorRefused):
        asyncio.run(expired())


def test_profile_event_counts(emu: CleverTapEmulator) -> None:
    emu.reads.scenario(duplicate={"e-1": 1})

    async def go() -> tuple[Any, Any]:
        async with CleverTapReader(config(emu.url), concurrency=1) as r:
            return await r.profile_events("ct-1"), await r.profile_events("nobody")

    known, unknown = asyncio.run(go())
    assert known["organic_install"]["count"] == 2
    assert unknown is None


def test_read_concurrency_is_capped() -> None:
    with pytest.raises(ValueError, match="1 to 3"):
        CleverTapReader(config("http://127.0.0.1:1"), concurrency=4)


def test_parse_ts_accepts_both_formats() -> None:
    assert parse_ts(20151023140416) == 1445609056
    assert parse_ts("1445609056") == 1445609056
    assert parse_ts("soon") is None


def _ts_by_datetime(n: int) -> int | None:
    """The 14-digit reading done the slow, obvious way (a datetime of its six parts)."""
    day, clock = divmod(n, 1_000_000)
    parts = (day // 10000, day // 100 % 100, day % 100, clock // 10000, clock // 100 % 100)
    try:
        return int(datetime(*parts, clock % 100, tzinfo=UTC).timestamp())
    except ValueError:
        return None


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.integers(10**13, 10**14 - 1),
        st.builds(
            lambda y, mo, d, h, mi, s: int(f"{y:04d}{mo:02d}{d:02d}{h:02d}{mi:02d}{s:02d}"),
            st.integers(1000, 9999), st.integers(0, 13), st.integers(0, 32),
            st.integers(0, 25), st.integers(0, 61), st.integers(0, 61),
        ),  # fmt: skip
    )
)
@example(20240229235959)
@example(20230229120000)
@example(20251231240000)
def test_parse_ts_reads_14_digits_as_a_calendar_would(n: int) -> None:
    assert parse_ts(n) == _ts_by_datetime(n)
    assert parse_ts(str(n)) == _ts_by_datetime(n)
