"""Promise: records CleverTap refuses are rejected one by one, with CleverTap's code
and message, and never take the rest of the batch down. Both paths: the client's
pre-check of CleverTap's rules ("Not sent: ...", nothing sent) and rejects that only
the server makes, with `unprocessed[].record` as an object or a JSON string and a
`status` of "success" that still carries unprocessed records."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from lr_desktop.clevertap.client import CleverTapClient, Verdict
from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.sync import ConfigurationProblem, run_sync
from tests.engine_helpers import config, fill, users
from tests.reliability.conftest import query, record_figures, upload_copies

VARIANTS = [
    pytest.param(False, False, id="record-object"),
    pytest.param(True, False, id="record-string"),
    pytest.param(True, True, id="record-string+status-success"),
    pytest.param(False, True, id="record-object+status-success"),
]


@pytest.mark.parametrize(("as_string", "always_success"), VARIANTS)
def test_engine_rejects_exactly_the_bad_users(
    db_path: Path, emulator: CleverTapEmulator, as_string: bool, always_success: bool
) -> None:
    emulator.settings.update(
        {
            "record_as_string": as_string,
            "always_success_status": always_success,
            "reject_object_ids": ["ct-0000033"],  # the server refuses it: 526
        }
    )
    batch = users(250)
    bad = {
        5: replace(batch[5], installed_at=1767225600000),  # milliseconds: pre-check 525
        6: replace(batch[6], installed_at=0),  # pre-check 525
        7: replace(batch[7], clevertap_id="x" * 121),  # too long: pre-check 526
        140: replace(batch[140], clevertap_id="ct 0000140"),  # whitespace: server 526
    }
    for i, item in bad.items():
        batch[i] = item
    fill(db_path, batch)
    summary = run_sync(db_path, config(emulator.url, batch_size=100))
    rejected = {
        uid: (code, http, msg)
        for uid, code, http, msg in query(
            db_path,
            "SELECT user_id, last_code, last_http_status, last_error FROM installs "
            "WHERE status = 'rejected'",
        )
    }
    expected = {
        "user-0000005": (525, None, "Not sent: timestamp looks like milliseconds"),
        "user-0000006": (525, None, "Not sent: timestamp must be after 1970"),
        "user-0000007": (526, None, "Not sent: CleverTap ID is longer than 120"),
        # record numbers count what was sent: 3 pre-checked records left batch 1
        "user-0000033": (526, 200, "invalid objectId. Skipped record number : 31"),
        "user-0000140": (526, 200, "invalid objectId. Skipped record number : 41"),
    }
    assert set(rejected) == set(expected)
    for uid, (code, http, msg) in expected.items():
        got = rejected[uid]
        assert got[0] == code and got[1] == http and got[2].startswith(msg), (uid, got)
    assert (summary.rejected, summary.delivered, summary.failed) == (5, 245, 0)
    sent_users = {e["evtData"]["user_id"] for e in emulator.events()}
    assert sent_users == {u.user_id for u in batch} - set(expected)
    assert len(upload_copies(emulator)) == 245
    # pre-checked records never left the machine; the server rejects were sent once
    assert emulator.stats()["rejected_by_code"] == {526: 2}
    record_figures(
        "partial_rejects", events=250, rejected_precheck=3, rejected_by_server=2, delivered=245
    )


def _record(oid: str, **over: object) -> dict:
    rec = {
        "type": "event",
        "objectId": oid,
        "evtName": "inorganic_install",
        "ts": 1767225600,
        "evtData": {"utm_source": "meta", "lr_event_id": f"e-{oid}"},
    }
    rec.update(over)
    return rec


@pytest.mark.parametrize(("as_string", "always_success"), VARIANTS)
def test_client_maps_each_server_reject_to_its_record(
    emulator: CleverTapEmulator, as_string: bool, always_success: bool
) -> None:
    """The rejects the pre-check would stop, sent anyway, so the server path is proven too."""
    emulator.settings.update(
        {"record_as_string": as_string, "always_success_status": always_success}
    )
    many = {f"p{i}": i for i in range(101)}
    records = [
        _record("ok-1"),
        _record("reserved", evtName="App Launched"),
        _record("props", evtData={**many, "lr_event_id": "e-props"}),
        _record("millis", ts=1767225600000),
        _record("bad id"),
        _record("ok-2"),
    ]

    async def send():
        async with CleverTapClient(config(emulator.url)) as client:
            return await client.upload(records)

    answer = asyncio.run(send())
    assert answer.verdict is Verdict.OK and answer.processed == 2
    got = {f.index: (f.code, f.message) for f in answer.failures}
    assert {i: c for i, (c, _m) in got.items()} == {1: 513, 2: 522, 3: 525, 4: 526}
    for i, (_code, msg) in got.items():
        assert msg.endswith(f"Skipped record number : {i + 1}")
    assert not any(f.retryable for f in answer.failures)
    assert {e["objectId"] for e in emulator.events()} == {"ok-1", "ok-2"}


def test_reserved_event_name_in_settings_stops_before_sending(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(10))
    with pytest.raises(ConfigurationProblem, match="reserved"):
        run_sync(db_path, config(emulator.url, organic_event="App Launched"))
    assert emulator.stats()["requests"] == 0
    assert query(db_path, "SELECT DISTINCT status FROM installs") == [("queued",)]
