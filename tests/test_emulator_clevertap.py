"""The bundled CleverTap emulator, over real sockets (clevertap-api.md)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from lr_desktop.emulators.clevertap import DEMO_ACCOUNT, CleverTapEmulator, Faults
from lr_desktop.emulators.clevertap_control import EmulatorControl
from lr_desktop.emulators.clevertap_process import run_in_subprocess

ACC, PASS, TOKEN = "ACC-1", "pass-1", "tok-1"
AUTH = {"X-CleverTap-Account-Id": ACC, "X-CleverTap-Passcode": PASS}
TS = 1767225600


def event(oid: str = "ct-1", name: str = "inorganic_install", **data: Any) -> dict[str, Any]:
    return {"type": "event", "objectId": oid, "evtName": name, "ts": TS, "evtData": data}


def wait_until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


@pytest.fixture
def emu() -> Iterator[CleverTapEmulator]:
    with CleverTapEmulator({ACC: (PASS, TOKEN)}) as e:
        yield e


@pytest.fixture
def http(emu: CleverTapEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, timeout=10) as c:
        yield c


def upload(
    http: httpx.Client, records: list[Any], headers: dict[str, str] = AUTH
) -> httpx.Response:
    return http.post("/1/upload", json={"d": records}, headers=headers)


def attribution(http: httpx.Client, method: str = "GET", **overrides: str) -> httpx.Response:
    params = {
        "partner_name": "linkrunner",
        "event_type": "inorganic_install",
        "timestamp": str(TS),
        "utm_source": "meta",
        "utm_campaign": "Summer Sale",
        "utm_medium": "",
        "device_identifier": "ct-9",
        "platform": "android",
        "account_id": ACC,
        "account_token": TOKEN,
        "account_passcode": PASS,
        **overrides,
    }
    return http.request(method, "/attribution", params=params)


# -- upload ------------------------------------------------------------------------------


def test_upload_accepts_and_stores(emu: CleverTapEmulator, http: httpx.Client) -> None:
    r = upload(http, [event(utm_source="meta", lr_event_id="e1"), event("ct-2")])
    assert r.status_code == 200
    assert r.json() == {"status": "success", "processed": 2, "unprocessed": []}
    evs = emu.events("ct-1")
    assert evs == [
        {
            "account": ACC,
            "objectId": "ct-1",
            "evtName": "inorganic_install",
            "ts": TS,
            "evtData": {"utm_source": "meta", "lr_event_id": "e1"},
        }
    ]
    assert emu.stats()["records_processed"] == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"X-CleverTap-Account-Id": ACC, "X-CleverTap-Passcode": "wrong"},
        {"X-CleverTap-Account-Id": "OTHER", "X-CleverTap-Passcode": PASS},
        {},
    ],
)
def test_upload_bad_credentials_401(http: httpx.Client, headers: dict[str, str]) -> None:
    r = upload(http, [event()], headers)
    assert r.status_code == 401
    assert r.json() == {"status": "fail", "error": "Account ID is not valid", "code": 401}


def test_wrong_region_is_401() -> None:
    """A second emulator that does not know the account stands for the wrong region."""
    with CleverTapEmulator({"OTHER": ("x", "y")}) as other, httpx.Client(base_url=other.url) as c:
        r = upload(c, [event()])
        assert r.status_code == 401
        assert r.json()["error"] == "Account ID is not valid"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"x": []}', b'{"d": {}}'])
def test_upload_bad_body_400(http: httpx.Client, body: bytes) -> None:
    r = http.post("/1/upload", content=body, headers=AUTH)
    assert r.status_code == 400
    assert r.json()["status"] == "fail"


def test_upload_record_cap(emu: CleverTapEmulator, http: httpx.Client) -> None:
    assert upload(http, [event(f"o{i}") for i in range(1000)]).json()["processed"] == 1000
    r = upload(http, [event(f"o{i}") for i in range(1001)])
    assert r.status_code == 400
    assert emu.stats()["records_processed"] == 1000


def test_partial_rejects_codes_and_record_numbers(
    emu: CleverTapEmulator, http: httpx.Client
) -> None:
    emu.settings.reject_object_ids = {"ct-bad"}
    emu.settings.misc_error_object_ids = {"ct-misc"}
    records: list[Any] = [
        event(),  # 1 ok
        event(name="UTM Visited"),  # 2 reserved -> 513
        {**event(), "ts": TS * 1000},  # 3 milliseconds -> 525
        event("ct 1"),  # 4 whitespace -> 526
        event("ct-bad"),  # 5 configured -> 526
        event("ct-misc"),  # 6 configured -> 555
        {"type": "event", "evtName": "x", "ts": TS},  # 7 no identity -> 523
        {"type": "other", "objectId": "a"},  # 8 -> 524
        {"type": "profile", "objectId": "ct-1", "profileData": {"lr_campaign": "S"}},  # 9 ok
        event(name=""),  # 10 -> 509
        event(**{f"k{i}": i for i in range(101)}),  # 11 -> 522
        event("ct-\x01"),  # 12 control char -> 526
    ]
    doc = upload(http, records).json()
    assert doc["status"] == "partial"
    assert doc["processed"] == 2
    got = {int(u["error"].rsplit(":", 1)[1]): u["code"] for u in doc["unprocessed"]}
    assert got == {
        2: 513,
        3: 525,
        4: 526,
        5: 526,
        6: 555,
        7: 523,
        8: 524,
        10: 509,
        11: 522,
        12: 526,
    }
    first = doc["unprocessed"][0]
    assert first["status"] == "fail"
    assert first["error"].endswith(". Skipped record number : 2")
    assert first["record"] == records[1]
    stats = emu.stats()
    assert stats["records_rejected"] == 10
    assert stats["rejected_by_code"][526] == 3
    assert emu.profile("ct-1")["profileData"] == {"lr_campaign": "S"}


def test_all_rejected_is_fail_and_switches(emu: CleverTapEmulator, http: httpx.Client) -> None:
    bad = event("ct 1")
    doc = upload(http, [bad]).json()
    assert doc["status"] == "fail" and doc["processed"] == 0
    assert isinstance(doc["unprocessed"][0]["record"], dict)

    emu.settings.record_as_string = True
    emu.settings.always_success_status = True
    doc = upload(http, [bad]).json()
    assert doc["status"] == "success" and doc["processed"] == 0
    assert json.loads(doc["unprocessed"][0]["record"]) == bad


def test_too_many_event_names_528(emu: CleverTapEmulator, http: httpx.Client) -> None:
    emu.settings.max_event_names = 2
    doc = upload(
        http, [event(name="a"), event(name="B b"), event(name="bb"), event(name="c")]
    ).json()
    assert [u["code"] for u in doc["unprocessed"]] == [528]
    assert doc["unprocessed"][0]["error"].endswith("number : 4")


def test_duplicates_counted(emu: CleverTapEmulator, http: httpx.Client) -> None:
    upload(http, [event(lr_event_id="e1"), event(lr_event_id="e2")])
    upload(http, [event(lr_event_id="e1")])
    assert emu.stats()["duplicates"] == 1
    assert len(emu.events("ct-1")) == 3


def test_dry_run_validates_without_storing(emu: CleverTapEmulator, http: httpx.Client) -> None:
    r = http.post("/1/upload?dryRun=1", json={"d": [event()]}, headers=AUTH)
    assert r.json()["processed"] == 1
    assert emu.events() == []


def test_concurrency_cap_429(emu: CleverTapEmulator) -> None:
    emu.settings.max_concurrent = 15
    emu.faults = Faults(latency=2.0)  # holds the 15; generous for a loaded machine
    with (
        ThreadPoolExecutor(16) as pool,
        httpx.Client(base_url=emu.url, timeout=30, limits=httpx.Limits(max_connections=32)) as c,
    ):
        held = [pool.submit(upload, c, [event()]) for _ in range(15)]
        wait_until(lambda: emu.stats()["in_progress"] == 15)
        r = upload(c, [event()])
        assert r.status_code == 429
        assert r.json()["error"] == "Too many concurrent requests"
        assert [f.result().status_code for f in held] == [200] * 15
    stats = emu.stats()
    assert stats["http_429"] == 1
    assert stats["max_concurrent"] == 15
    assert stats["in_progress"] == 0


# -- faults ------------------------------------------------------------------------------


def test_fault_drop(emu: CleverTapEmulator, http: httpx.Client) -> None:
    emu.faults = Faults(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        upload(http, [event()])
    assert emu.events() == []
    assert emu.stats()["faults_drop"] == 1
    assert http.get("/_emulator/stats").status_code == 200  # control endpoints unaffected


def test_fault_lost_answer_processes_then_drops(emu: CleverTapEmulator, http: httpx.Client) -> None:
    emu.faults = Faults(lost_answer_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        upload(http, [event(lr_event_id="e1")])
    emu.faults = Faults()
    upload(http, [event(lr_event_id="e1")])  # the client's retry
    assert emu.stats()["duplicates"] == 1


def test_fault_error_rate_is_seeded(emu: CleverTapEmulator, http: httpx.Client) -> None:
    def run() -> list[int]:
        emu.faults = Faults(error_rate=0.5, error_statuses=(429, 500, 503), seed=7)
        return [upload(http, [event()]).status_code for _ in range(40)]

    first = run()
    assert set(first) == {200, 429, 500, 503}
    assert run() == first
    assert emu.stats()["faults_error"] == 2 * sum(s != 200 for s in first)


def test_fault_slow_exceeds_client_timeout(emu: CleverTapEmulator) -> None:
    emu.faults = Faults(slow_rate=1.0, slow_seconds=30)
    with httpx.Client(base_url=emu.url, timeout=0.2) as c, pytest.raises(httpx.ReadTimeout):
        upload(c, [event()])
    assert emu.stats()["faults_slow"] == 1
    # stop() (fixture) must not wait for the 30 s sleep


def test_faults_apply_to_attribution_and_profile(
    emu: CleverTapEmulator, http: httpx.Client
) -> None:
    emu.faults = Faults(error_rate=1.0, error_statuses=(500,))
    assert attribution(http).status_code == 500
    assert http.get("/1/profile.json", params={"objectId": "x"}, headers=AUTH).status_code == 500
    assert emu.installs() == []


# -- attribution -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_attribution_stored_as_utm_visited(
    emu: CleverTapEmulator, http: httpx.Client, method: str
) -> None:
    r = attribution(http, method)
    assert r.status_code == 200 and r.json() == {"status": "success"}
    (ev,) = emu.events("ct-9")
    assert ev["evtName"] == "UTM Visited" and ev["ts"] == TS
    assert ev["evtData"]["utm_campaign"] == "Summer Sale"
    assert "utm_medium" not in ev["evtData"]
    (inst,) = emu.installs()
    assert inst["event_type"] == "inorganic_install" and inst["platform"] == "android"
    assert "account_passcode" not in inst and "account_token" not in inst


@pytest.mark.parametrize(
    "overrides", [{"account_passcode": "x"}, {"account_token": "x"}, {"account_id": "NOPE"}]
)
def test_attribution_bad_credentials_401(http: httpx.Client, overrides: dict[str, str]) -> None:
    r = attribution(http, **overrides)
    assert r.status_code == 401  # the partner doc's own body, not the upload API's
    assert r.json() == {"status": "fail", "error": "Invalid Account Info", "code": 401}


@pytest.mark.parametrize(
    "overrides",
    [
        {"partner_name": "someone"},
        {"utm_source": "", "utm_campaign": "", "utm_medium": ""},
        {"event_type": "install"},
        {"timestamp": str(TS * 1000)},
    ],
)
def test_attribution_400(
    emu: CleverTapEmulator, http: httpx.Client, overrides: dict[str, str]
) -> None:
    assert attribution(http, **overrides).status_code == 400
    assert emu.installs() == []


def test_attribution_partner_whitelist_configurable(
    emu: CleverTapEmulator, http: httpx.Client
) -> None:
    emu.settings.partners = {"acme"}
    assert attribution(http).status_code == 400
    assert attribution(http, partner_name="acme").status_code == 200


def test_attribution_empty_device_dropped(emu: CleverTapEmulator, http: httpx.Client) -> None:
    assert attribution(http, device_identifier="").status_code == 200
    assert emu.installs() == [] and emu.events() == []
    assert emu.stats()["attribution_dropped"] == 1


def test_attribution_organic_switch(emu: CleverTapEmulator, http: httpx.Client) -> None:
    organic = {"event_type": "organic_install", "utm_source": "organic", "utm_campaign": ""}
    assert attribution(http, **organic).status_code == 200
    assert len(emu.installs()) == 1
    emu.settings.accept_organic_attribution = False
    assert attribution(http, device_identifier="ct-10", **organic).status_code == 200
    assert len(emu.installs()) == 1
    assert emu.stats()["attribution_organic_ignored"] == 1


def test_attribution_duplicates(emu: CleverTapEmulator, http: httpx.Client) -> None:
    attribution(http)
    attribution(http)
    assert emu.stats()["attribution_duplicates"] == 1


# -- profile.json ------------------------------------------------------------------------


def test_profile_json(emu: CleverTapEmulator, http: httpx.Client) -> None:
    upload(
        http,
        [
            event(ts_note="a"),
            {**event(), "ts": TS + 60},
            {"type": "profile", "objectId": "ct-1", "profileData": {"lr_campaign": "S"}},
        ],
    )
    attribution(http, device_identifier="ct-1")
    r = http.get("/1/profile.json", params={"objectId": "ct-1"}, headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {
        "status": "success",
        "record": {
            "objectId": "ct-1",
            "profileData": {"lr_campaign": "S"},
            "events": {
                "inorganic_install": {"count": 2, "first_seen": TS, "last_seen": TS + 60},
                "UTM Visited": {"count": 1, "first_seen": TS, "last_seen": TS},
            },
        },
    }


def test_profile_json_unknown_and_auth(http: httpx.Client) -> None:
    r = http.get("/1/profile.json", params={"objectId": "nope"}, headers=AUTH)
    assert r.json() == {"status": "fail", "error": "Profile not found", "code": 404}
    r = http.get("/1/profile.json", params={"objectId": "nope"})
    assert r.status_code == 401


# -- control endpoints -------------------------------------------------------------------


def test_control_endpoints(emu: CleverTapEmulator) -> None:
    with httpx.Client(base_url=emu.url) as http, EmulatorControl(emu.url) as ctl:
        upload(http, [event(lr_event_id="e1")])
        assert ctl.stats()["records_processed"] == 1
        state = ctl.state(object_id="ct-1")
        assert state["events"][0]["evtData"] == {"lr_event_id": "e1"}
        assert state["profiles"][0]["objectId"] == "ct-1"

        assert ctl.set_faults({"error_rate": 1.0, "error_statuses": [503]})["error_rate"] == 1.0
        assert emu.faults.error_statuses == (503,)
        assert upload(http, [event()]).status_code == 503
        ctl.set_faults({})
        assert ctl.configure(record_as_string=True, reject_object_ids={"x"})[
            "reject_object_ids"
        ] == ["x"]
        assert emu.settings.record_as_string and emu.settings.reject_object_ids == {"x"}

        ctl.add_account("ACC-2", "p2", "t2")
        r = upload(
            http, [event()], {"X-CleverTap-Account-Id": "ACC-2", "X-CleverTap-Passcode": "p2"}
        )
        assert r.status_code == 200

        ctl.reset()
        assert ctl.stats()["records_processed"] == 0
        assert emu.events() == []
        bad = http.post("/_emulator/faults", json={"nonsense": 1})
        assert bad.status_code == 400


def test_reset_keeps_accounts_and_faults(emu: CleverTapEmulator, http: httpx.Client) -> None:
    upload(http, [event()])
    emu.faults = Faults(latency=0.001)
    emu.reset()
    assert emu.stats()["requests"] == 0
    assert emu.faults.latency == 0.001
    assert upload(http, [event()]).status_code == 200


def test_thread_safe_under_concurrent_uploads(emu: CleverTapEmulator) -> None:
    emu.settings.max_concurrent = 100

    def worker(n: int) -> None:
        with httpx.Client(base_url=emu.url, timeout=30) as c:
            for i in range(5):
                upload(c, [event(f"w{n}", lr_event_id=f"{n}-{i}-{j}") for j in range(50)])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stats = emu.stats()
    assert stats["records_processed"] == 8 * 5 * 50
    assert stats["events_stored"] == 2000 and stats["duplicates"] == 0


@pytest.mark.slow
def test_cli_subprocess_demo_account() -> None:
    with run_in_subprocess() as proc, httpx.Client(base_url=proc.url) as http:
        acc, passcode, _token = DEMO_ACCOUNT
        r = upload(
            http, [event()], {"X-CleverTap-Account-Id": acc, "X-CleverTap-Passcode": passcode}
        )
        assert r.status_code == 200
        assert proc.control.stats()["records_processed"] == 1
    assert proc.proc.returncode is not None


def test_copies_are_counted_per_event_id_and_per_user_on_the_control_endpoint(
    emu: CleverTapEmulator, http: httpx.Client
) -> None:
    first = event("ct-1", lr_event_id="e1", user_id="u1")
    upload(http, [first, event("ct-2", lr_event_id="e2", user_id="u2")])
    upload(http, [first, event("ct-1", lr_event_id="e3", user_id="u1")])  # e1 again; u1's v2
    upload(http, [event("ct-9", name="other_event")])  # not an install event of this app
    with EmulatorControl(emu.url) as control:
        got = control.copies(full=True)
    assert got["events"] == 4 and (got["event_ids"], got["users"]) == (3, 2)
    assert got["event_ids_with_copies"] == {"e1": 2}
    assert got["users_with_copies"] == {"u1": 3}
    assert got["by_user"] == {"u1": 3, "u2": 1}
    assert emu.copies() == {k: v for k, v in got.items() if not k.startswith("by_")}
    emu.reset()
    assert emu.copies()["events"] == 0
