"""Verify in attribution mode, over real HTTP against the emulator: CleverTap keeps these
installs as "UTM Visited" events without lr_event_id, so they are matched by CleverTap ID,
time (within `attribution_match_seconds`) and utm fields. A seeded disagreement is
reported user by user by `lr-desktop verify --json`, foreign "UTM Visited" events don't
count, and the next Sync re-sends exactly the missing users."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from lr_desktop.emulators.clevertap import CleverTapEmulator
from lr_desktop.sync import run_sync
from lr_desktop.verify import attribution, run_verify
from lr_desktop.verify.attribution import UTM_VISITED
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, users

N = 20
T0 = 1767225600  # users(N): user i installed at T0 + i on profile ct-{i:07d}


@pytest.fixture
def emu() -> Iterator[CleverTapEmulator]:
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as e:
        yield e


@pytest.fixture
def sent(db_path: Path, emu: CleverTapEmulator) -> None:
    fill(db_path, users(N))
    assert run_sync(db_path, config(emu.url, mode="attribution")).delivered == N
    assert set(_utm_copies(emu).values()) == {1}


def _utm_copies(emu: CleverTapEmulator) -> Counter[str]:
    return Counter(e["objectId"] for e in emu.events(name=UTM_VISITED))


def _sql(db_path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db_path)) as conn, conn:  # committed on leaving
        return conn.execute(sql, args).fetchall()


def _states(db_path: Path, *users: int) -> list[tuple[Any, ...]]:
    """(status, possibly_duplicated) of these users, in this order."""
    return [
        _sql(db_path, "SELECT status, possibly_duplicated FROM installs WHERE clevertap_id = ?",
             _ct(i))[0]
        for i in users
    ]  # fmt: skip


def _ct(i: int) -> str:
    return f"ct-{i:07d}"


def _seed(emu: CleverTapEmulator) -> None:
    done = emu.reads.scenario(
        by="objectId",
        event_name=UTM_VISITED,
        drop=[_ct(0), _ct(5)],
        duplicate={_ct(1): 1, _ct(6): 2},
        alter={
            _ct(2): {"utm_source": "google"},
            _ct(7): {"utm_campaign": "Winter"},
            _ct(3): {"ts": T0 + 3 + 30},  # CleverTap's ts 30 s off: still the same install
        },
        add=[
            # an install of our partner for a user this queue doesn't have
            {"objectId": "ct-ghost", "evtName": UTM_VISITED, "ts": T0,
             "evtData": {"utm_source": "meta", "utm_campaign": "Spring",
                         "event_type": "inorganic_install", "partner_name": "linkrunner"}},
            # another partner's install, exactly like user 5's (dropped): must not count
            {"objectId": _ct(5), "evtName": UTM_VISITED, "ts": T0 + 5,
             "evtData": {"utm_source": "organic", "event_type": "organic_install",
                         "partner_name": "branch", "platform": "android"}},
            # another partner on a present user's profile, and the SDK's own UTM visit
            {"objectId": _ct(4), "evtName": UTM_VISITED, "ts": T0 + 4,
             "evtData": {"utm_source": "newsletter", "partner_name": "branch"}},
            {"objectId": "ct-stranger", "evtName": UTM_VISITED, "ts": T0,
             "evtData": {"utm_source": "email"}},
        ],
    )  # fmt: skip
    assert done == {"dropped": 2, "duplicated": 3, "altered": 3, "added": 4}


def _env(emu: CleverTapEmulator) -> dict[str, str]:
    return {
        **os.environ,
        "LR_CLEVERTAP_PROJECT_ID": PROJECT,
        "LR_CLEVERTAP_PASSCODE": PASSCODE,
        "LR_CLEVERTAP_PROJECT_TOKEN": TOKEN,
        "LR_CLEVERTAP_ENDPOINT": emu.url,
        "LR_CLEVERTAP_MODE": "attribution",
        "LR_CLEVERTAP_PARTNER": "linkrunner",
    }


def _verify(db_path: Path, emu: CleverTapEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "lr_desktop", "--db", str(db_path), "verify", *args]
    return subprocess.run(cmd, env=_env(emu), capture_output=True, text=True, timeout=120)


def _row(uid: str | None, ct: str, verdict: str, copies: int, *fields: str) -> dict[str, Any]:
    eid = None
    return {"user_id": uid, "lr_event_id": eid, "verdict": verdict, "copies": copies,
            "fields": list(fields), "mode": "attribution", "clevertap_id": ct}  # fmt: skip


def test_verify_json_reports_the_seeded_attribution_scenario_and_sync_repairs_the_missing(
    db_path: Path, emu: CleverTapEmulator, sent: None
) -> None:
    _seed(emu)
    # a lost answer (CleverTap holds the install; the ledger says queued, possibly
    # duplicated) and a flag on a delivered user: both settled by the evidence
    _sql(db_path, "UPDATE installs SET status = 'queued', possibly_duplicated = 1 "
         "WHERE user_id = 'user-0000008'")  # fmt: skip
    _sql(db_path, "UPDATE installs SET possibly_duplicated = 1 WHERE user_id = 'user-0000009'")
    event_ids = dict(_sql(db_path, "SELECT user_id, event_id FROM installs"))

    result = _verify(db_path, emu, "--json", "--grace-minutes", "0")
    assert result.returncode == 1, result.stderr  # problems found
    doc = json.loads(result.stdout)
    assert doc["ok"] and doc["state"] == "finished"
    assert doc["counts"] == {"present": N - 6, "missing": 2, "duplicated": 2, "different": 2,
                             "unknown_here": 1}  # fmt: skip
    expected = [
        _row("user-0000002", _ct(2), "different", 1, "utm_source"),
        _row("user-0000007", _ct(7), "different", 1, "utm_campaign"),
        _row("user-0000001", _ct(1), "duplicated", 2),
        _row("user-0000006", _ct(6), "duplicated", 3),
        _row("user-0000000", _ct(0), "missing", 0),
        _row("user-0000005", _ct(5), "missing", 0),
        _row(None, "ct-ghost", "unknown_here", 1),
    ]
    for row in expected:
        row["lr_event_id"] = event_ids.get(row["user_id"])
    assert doc["users"] == expected
    assert (doc["made_due"], doc["confirmed"], doc["flags_cleared"]) == (2, 1, 1)
    # 3 event names (organic_install, inorganic_install, UTM Visited): a query and a page each
    assert doc["api_calls"] == 6
    assert PASSCODE not in result.stdout + result.stderr
    assert _states(db_path, 0, 6, 8, 9) == [
        ("queued", 0),  # user 0 missing: due again
        ("delivered", 0),  # user 6, three copies: never sent again
        ("delivered", 0),  # user 8: CleverTap confirmed the lost answer's install
        ("delivered", 0),  # user 9: flag cleared on evidence
    ]

    before = _utm_copies(emu)
    again = run_sync(db_path, config(emu.url, mode="attribution"))
    assert again.delivered == 2
    assert _utm_copies(emu) - before == Counter({_ct(0): 1, _ct(5): 1})
    # the next check finds every user once, apart from what CleverTap can't undo
    s = run_verify(db_path, config(emu.url, mode="attribution"), grace_seconds=0)
    assert s.counts == {"present": N - 4, "duplicated": 2, "different": 2, "unknown_here": 1}


def test_the_tolerance_is_the_setting_and_match_seconds_overrides_it(
    db_path: Path, emu: CleverTapEmulator, sent: None
) -> None:
    emu.reads.scenario(by="objectId", event_name=UTM_VISITED, alter={_ct(3): {"ts": T0 + 3 + 30}})
    bad = _verify(db_path, emu, "--match-seconds", "-1")
    assert bad.returncode == 2 and "--match-seconds" in bad.stderr
    strict = _verify(db_path, emu, "--json", "--grace-minutes", "0", "--match-seconds", "10")
    doc = json.loads(strict.stdout)
    # 30 s off is beyond 10 s: user 3 is missing, and its copy (our partner's) unknown here
    assert doc["counts"] == {"present": N - 1, "missing": 1, "unknown_here": 1}
    assert doc["made_due"] == 1
    # the stored setting (no flag): 30 s is within it
    cfg = config(emu.url, mode="attribution", attribution_match_seconds=45)
    assert run_sync(db_path, cfg).delivered == 1  # the user judged missing is sent again
    again = run_verify(db_path, cfg, grace_seconds=0)
    assert again.counts == {"present": N - 1, "duplicated": 1}  # user 3: its copy and the new


def test_upload_users_are_not_matched_to_utm_visited(db_path: Path, emu: CleverTapEmulator) -> None:
    """Upload-mode users judged by lr_event_id as before: another source's UTM Visited
    on their profiles is no copy of their install event."""
    fill(db_path, users(N))
    assert run_sync(db_path, config(emu.url)).delivered == N
    emu.reads.scenario(
        add=[{"objectId": _ct(i), "evtName": UTM_VISITED, "ts": T0 + i,
              "evtData": {"utm_source": "email", "partner_name": "linkrunner"}}
             for i in range(3)]
    )  # fmt: skip
    s = run_verify(db_path, config(emu.url), grace_seconds=0)
    assert s.counts == {"present": N}
    assert s.api_calls == 4  # no UTM Visited download: no attribution-mode installs


def test_attribution_users_are_judged_a_chunk_at_a_time_with_the_same_verdicts(
    db_path: Path, emu: CleverTapEmulator, sent: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 3 users (N users: several chunks, and a last one cut short) give the
    seeded scenario's verdicts, each user once."""
    monkeypatch.setattr(attribution, "JUDGE_CHUNK", 3)
    _seed(emu)
    cfg = config(emu.url, mode="attribution")
    s = run_verify(db_path, cfg, grace_seconds=0)
    assert s.counts == {"present": N - 6, "missing": 2, "duplicated": 2, "different": 2,
                        "unknown_here": 1}  # fmt: skip
    per_user = _sql(db_path, "SELECT user_id, count(*) FROM ct_verdicts WHERE check_id = ? "
                    "GROUP BY user_id HAVING count(*) > 1", s.check_id)  # fmt: skip
    assert per_user == []
