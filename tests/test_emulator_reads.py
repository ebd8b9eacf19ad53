"""The emulator's read APIs over real HTTP: Get Events cursor pages (both query forms),
the batch-size cap, cursor expiry, date selection, fault injection, the profile's event
counts and the scenario hook that makes CleverTap disagree with a ledger."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.emulators.clevertap_reads import ReadsControl, ts14
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN

DAY = 86400
T0 = 1767225600  # 2026-01-01 00:00:00 UTC
AUTH = {"X-CleverTap-Account-Id": PROJECT, "X-CleverTap-Passcode": PASSCODE}


def _event(i: int, ts: int, name: str = "inorganic_install") -> dict[str, Any]:
    return {
        "type": "event",
        "objectId": f"ct-{i}",
        "evtName": name,
        "ts": ts,
        "evtData": {"utm_source": "meta", "user_id": f"u-{i}", "lr_event_id": f"e-{i}"},
    }


@pytest.fixture
def emu() -> Iterator[CleverTapEmulator]:
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as e:
        yield e


@pytest.fixture
def http(emu: CleverTapEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, headers=AUTH, timeout=10) as c:
        yield c


def _upload(http: httpx.Client, records: list[dict[str, Any]]) -> None:
    r = http.post("/1/upload", json={"d": records})
    assert r.json()["processed"] == len(records)


def _all_pages(http: httpx.Client, cursor: str) -> list[list[dict[str, Any]]]:
    pages = []
    while cursor:
        doc = http.get("/1/events.json", params={"cursor": cursor}).json()
        assert doc["status"] == "success"
        pages.append(doc["records"])
        cursor = doc.get("next_cursor") or ""
    return pages


def test_cursor_pages_until_one_without_next_cursor(http: httpx.Client) -> None:
    _upload(http, [_event(i, T0 + i) for i in range(12)])
    _upload(http, [_event(99, T0, "organic_install")])  # another event name: not selected
    start = http.post(
        "/1/events.json",
        params={"batch_size": 5},
        json={"event_name": "inorganic_install", "from": 20260101, "to": 20260101},
    ).json()
    assert start["status"] == "success"
    pages = _all_pages(http, start["cursor"])
    assert [len(p) for p in pages] == [5, 5, 2]
    first = pages[0][0]
    assert first["ts"] == 20260101000000 == ts14(T0)
    assert first["event_props"]["lr_event_id"] == "e-0"
    assert first["event_props"]["user_id"] == "u-0"
    assert first["profile"]["objectId"] == "ct-0"
    assert "profileData" in first["profile"] and first["session_props"] == {}
    ids = [r["event_props"]["lr_event_id"] for p in pages for r in p]
    assert ids == [f"e-{i}" for i in range(12)]


def test_the_older_get_form_and_date_selection_on_the_events_ts(http: httpx.Client) -> None:
    _upload(http, [_event(0, T0 - 1), _event(1, T0), _event(2, T0 + DAY - 1), _event(3, T0 + DAY)])
    query = json.dumps({"event_name": "Inorganic_Install", "from": "20260101", "to": "20260101"})
    start = http.get("/1/events.json", params={"batch_size": 10, "query": query}).json()
    pages = _all_pages(http, start["cursor"])
    assert [r["event_props"]["lr_event_id"] for r in pages[0]] == ["e-1", "e-2"]


def test_batch_size_above_5000_is_refused(http: httpx.Client) -> None:
    body = {"event_name": "inorganic_install", "from": 20260101, "to": 20260102}
    assert http.post("/1/events.json", params={"batch_size": 5000}, json=body).status_code == 200
    over = http.post("/1/events.json", params={"batch_size": 5001}, json=body)
    assert over.status_code == 400 and over.json()["status"] == "fail"
    assert "5000" in over.json()["error"]


def test_an_expired_cursor_gets_an_error_answer(emu: CleverTapEmulator, http: httpx.Client) -> None:
    _upload(http, [_event(i, T0) for i in range(3)])
    body = {"event_name": "inorganic_install", "from": 20260101, "to": 20260101}
    cursor = http.post("/1/events.json", params={"batch_size": 2}, json=body).json()["cursor"]
    page = http.get("/1/events.json", params={"cursor": cursor}).json()
    again = http.get("/1/events.json", params={"cursor": cursor}).json()  # a retried GET
    assert again == page
    with ReadsControl(emu.url) as control:
        assert control.expire_cursors() >= 1
        late = http.get("/1/events.json", params={"cursor": page["next_cursor"]})
        assert late.status_code == 400 and "expired" in late.json()["error"]
        control.configure(cursor_ttl=-1.0)  # every new cursor is already expired
        cursor = http.post("/1/events.json", params={"batch_size": 2}, json=body).json()["cursor"]
        assert http.get("/1/events.json", params={"cursor": cursor}).status_code == 400
        assert control.stats()["cursor_refused"] == 2


def test_page_cursor_key_and_epoch_ts_are_configurable(
    emu: CleverTapEmulator, http: httpx.Client
) -> None:
    _upload(http, [_event(i, T0) for i in range(3)])
    ReadsControl(emu.url).configure(page_cursor_key="cursor", ts_format="epoch")
    body = {"event_name": "inorganic_install", "from": 20260101, "to": 20260101}
    cursor = http.post("/1/events.json", params={"batch_size": 2}, json=body).json()["cursor"]
    page = http.get("/1/events.json", params={"cursor": cursor}).json()
    assert "next_cursor" not in page and page["cursor"]
    assert page["records"][0]["ts"] == T0


def test_read_apis_get_the_upload_apis_faults(emu: CleverTapEmulator, http: httpx.Client) -> None:
    body = {"event_name": "inorganic_install", "from": 20260101, "to": 20260101}
    emu.faults = Faults(error_rate=1.0, error_statuses=(429,))
    assert http.post("/1/events.json", params={"batch_size": 2}, json=body).status_code == 429
    assert http.get("/1/profile.json", params={"objectId": "x"}).status_code == 429
    emu.faults = Faults(drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        http.post("/1/events.json", params={"batch_size": 2}, json=body)
    emu.faults = Faults()
    bad = httpx.post(
        f"{emu.url}/1/events.json", json=body, headers={**AUTH, "X-CleverTap-Passcode": "no"}
    )
    assert bad.status_code == 401


def test_scenario_drops_duplicates_alters_and_adds(
    emu: CleverTapEmulator, http: httpx.Client
) -> None:
    _upload(http, [_event(i, T0 + i) for i in range(4)])
    with ReadsControl(emu.url) as control:
        done = control.scenario(
            drop=["e-0"],
            duplicate={"e-1": 2},
            alter={"e-2": {"utm_source": "google", "ts": T0 + 500}},
            add=[{"objectId": "ct-x", "evtName": "inorganic_install", "ts": T0,
                  "evtData": {"lr_event_id": "e-x", "user_id": "u-x"}}],
        )  # fmt: skip
    assert done == {"dropped": 1, "duplicated": 2, "altered": 1, "added": 1}
    events = emu.events(name="inorganic_install")
    ids = [e["evtData"]["lr_event_id"] for e in events]
    assert sorted(ids) == ["e-1", "e-1", "e-1", "e-2", "e-3", "e-x"]
    altered = next(e for e in events if e["evtData"]["lr_event_id"] == "e-2")
    assert altered["ts"] == T0 + 500 and altered["evtData"]["utm_source"] == "google"
    counts = http.get("/1/profile.json", params={"objectId": "ct-1"}).json()
    assert counts["record"]["events"]["inorganic_install"]["count"] == 3
    assert "inorganic_install" not in (emu.profile("ct-0") or {}).get("events", {})


def test_unknown_profile_answer(http: httpx.Client) -> None:
    doc = http.get("/1/profile.json", params={"objectId": "nobody"})
    assert doc.status_code == 200  # the emulator's guess (UNCONFIRMED), see clevertap.py
    assert doc.json()["status"] == "fail" and doc.json()["code"] == 404


def test_more_than_three_reads_at_once_answer_429(emu: CleverTapEmulator) -> None:
    emu.faults = Faults(latency=2.0)  # the first three stay in progress while the rest arrive
    body = {"event_name": "inorganic_install", "from": 20260101, "to": 20260101}

    async def five() -> list[int]:
        async with httpx.AsyncClient(base_url=emu.url, headers=AUTH, timeout=30) as c:
            answers = await asyncio.gather(
                *(c.post("/1/events.json", params={"batch_size": 5}, json=body) for _ in range(5))
            )
        return sorted(a.status_code for a in answers)

    assert asyncio.run(five()) == [200, 200, 200, 429, 429]
    assert emu.reads.counts["max_concurrent"] == 3
