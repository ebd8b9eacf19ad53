"""Verify with CleverTap over real HTTP against the emulator: a seeded disagreement is
reported user by user, the next Sync repairs exactly the missing users, a cancelled
check resumes (also after its cursors expired), and a failing read API is an error."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lr_desktop.clevertap.reads import ReadApiError
from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.store import connect, transaction
from lr_desktop.sync import run_sync
from lr_desktop.verify import last_check, problem_users, run_verify
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, users

N = 40


@pytest.fixture
def emu() -> Iterator[CleverTapEmulator]:
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as e:
        yield e


@pytest.fixture
def delivered(db_path: Path, emu: CleverTapEmulator) -> dict[str, str]:
    """N users delivered once; returns user_id -> lr_event_id."""
    fill(db_path, users(N))
    assert run_sync(db_path, config(emu.url)).delivered == N
    conn = connect(db_path)
    try:
        return dict(conn.execute("SELECT user_id, event_id FROM installs"))
    finally:
        conn.close()


def _sql(db_path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = connect(db_path)
    try:
        with transaction(conn):
            return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _copies(emu: CleverTapEmulator) -> Counter[str]:
    return Counter(
        e["evtData"].get("user_id") for e in emu.events() if e["evtName"].endswith("_install")
    )


def test_seeded_disagreement_is_reported_user_by_user_and_sync_repairs_the_missing(
    db_path: Path, emu: CleverTapEmulator, delivered: dict[str, str]
) -> None:
    ev = delivered
    emu.reads.scenario(
        drop=[ev["user-0000000"], ev["user-0000005"]],
        duplicate={ev["user-0000001"]: 1, ev["user-0000006"]: 2},
        alter={ev["user-0000002"]: {"utm_source": "google"}, ev["user-0000007"]: {"ts": 1767225607 + 3600}},
        add=[
            {"objectId": "ct-ghost", "evtName": "inorganic_install", "ts": 1767225600,
             "evtData": {"lr_event_id": "ghost-event", "user_id": "ghost-user"}},
            {"objectId": "ct-other", "evtName": "organic_install", "ts": 1767225600,
             "evtData": {"from": "another integration"}},
        ],
    )  # fmt: skip
    # A lost answer: CleverTap holds the event, the ledger says "queued, possibly duplicated".
    _sql(db_path, "UPDATE installs SET status = 'queued', possibly_duplicated = 1 "
         "WHERE user_id IN ('user-0000003', 'user-0000006')")  # fmt: skip
    _sql(db_path, "UPDATE installs SET possibly_duplicated = 1 WHERE user_id = 'user-0000004'")

    s = run_verify(db_path, config(emu.url), batch_size=7, grace_seconds=0)

    assert s.state == "finished" and not s.resumed
    assert s.counts == {"present": N - 6, "missing": 2, "duplicated": 2, "different": 2,
                        "unknown_here": 1}  # fmt: skip
    conn = connect(db_path)
    problems = problem_users(conn, s.check_id)
    check = last_check(conn)
    conn.close()
    got = {(p["user_id"], p["verdict"], p["copies"], tuple(p["fields"])) for p in problems}
    assert got == {
        ("user-0000000", "missing", 0, ()),
        ("user-0000005", "missing", 0, ()),
        ("user-0000001", "duplicated", 2, ()),
        ("user-0000006", "duplicated", 3, ()),
        ("user-0000002", "different", 1, ("utm_source",)),
        ("user-0000007", "different", 1, ("ts",)),
        ("ghost-user", "unknown_here", 1, ()),
    }
    assert check is not None and check["counts"]["missing"] == 2
    assert s.made_due == 2 and s.confirmed == 2 and s.flags_cleared == 1
    rows = dict(
        (u, (st, dup))
        for u, st, dup in _sql(
            db_path,
            "SELECT user_id, status, possibly_duplicated FROM installs WHERE user_id IN "
            "('user-0000000', 'user-0000003', 'user-0000004', 'user-0000006')",
        )
    )
    assert rows == {
        "user-0000000": ("queued", 0),  # missing: due again
        "user-0000003": ("delivered", 0),  # present once: CleverTap confirmed
        "user-0000004": ("delivered", 0),  # flag cleared on evidence
        "user-0000006": ("delivered", 1),  # three copies: never sent again
    }
    notes = _sql(db_path, "SELECT message FROM attempts WHERE mode = 'verify' "
                 "AND user_id = 'user-0000003'")  # fmt: skip
    assert notes == [(f"CleverTap check #{s.check_id}: CleverTap confirmed",)]

    before = _copies(emu)
    again = run_sync(db_path, config(emu.url))
    assert again.delivered == 2
    after = _copies(emu)
    assert after - before == Counter({"user-0000000": 1, "user-0000005": 1})


def test_a_narrower_range_only_judges_its_users(
    db_path: Path, emu: CleverTapEmulator, delivered: dict[str, str]
) -> None:
    _sql(db_path, "UPDATE installs SET installed_at = installed_at + 86400 * 40 "
         "WHERE user_id >= 'user-0000030'")  # fmt: skip
    s = run_verify(
        db_path, config(emu.url), since="2026-01-01", until="2026-01-01", grace_seconds=0
    )
    # the moved users' CleverTap copies are still matched: their ts now differs
    assert s.counts == {"present": 30, "different": 10}


class CancelAfter:
    """Cancel once `pages` pages were reported (a flag the window's Cancel would set)."""

    def __init__(self, pages: int) -> None:
        self.pages, self.flag = pages, threading.Event()

    def __call__(self, p: Any) -> None:
        if p.pages >= self.pages:
            self.flag.set()

    def is_set(self) -> bool:
        return self.flag.is_set()


@pytest.mark.parametrize("expire", [False, True])
def test_a_cancelled_check_resumes_where_it_stopped(
    db_path: Path, emu: CleverTapEmulator, delivered: dict[str, str], expire: bool
) -> None:
    stop = CancelAfter(2)
    first = run_verify(
        db_path, config(emu.url), batch_size=5, progress=stop, cancel=stop, concurrency=1
    )
    assert first.state == "cancelled" and first.pages_downloaded == 2
    if expire:
        emu.reads.control("expire", True, {})
    second = run_verify(db_path, config(emu.url), batch_size=5)
    assert second.resumed and second.check_id == first.check_id
    assert second.state == "finished" and second.counts == {"present": N}
    total_pages = -(-(N * 2 // 5) // 5) + -(-(N * 3 // 5) // 5)  # organic + inorganic
    assert first.pages_downloaded + second.pages_downloaded == total_pages
    if expire:
        assert second.restarts == 1 and second.pages_skipped == 2
    else:
        assert second.restarts == 0 and second.pages_skipped == 0
    runs = _sql(db_path, "SELECT state FROM runs WHERE kind = 'verify' ORDER BY id")
    assert runs == [("cancelled",), ("finished",)]


def test_the_read_api_failing_is_a_clear_error_and_changes_nothing(
    db_path: Path, emu: CleverTapEmulator, delivered: dict[str, str]
) -> None:
    emu.faults = Faults(error_rate=1.0, error_statuses=(503,))
    with pytest.raises(ReadApiError, match="did not answer") as info:
        run_verify(db_path, config(emu.url, max_retries=1))
    assert info.value.summary.state == "failed"  # type: ignore[attr-defined]
    assert _sql(db_path, "SELECT count(*) FROM installs WHERE status = 'delivered'") == [(N,)]
    assert _sql(db_path, "SELECT state FROM runs WHERE kind = 'verify'") == [("stopped",)]


def test_an_event_delivered_just_before_the_check_is_not_judged_missing(
    db_path: Path, emu: CleverTapEmulator, delivered: dict[str, str]
) -> None:
    """CleverTap's indexing delay is not documented: never re-send on a fresh absence."""
    emu.reads.scenario(drop=[delivered["user-0000000"]])
    s = run_verify(db_path, config(emu.url))  # the default grace: an hour
    assert s.counts == {"present": N - 1, "too_recent": 1} and s.made_due == 0
    assert _sql(db_path, "SELECT status FROM installs WHERE user_id = 'user-0000000'") == [
        ("delivered",)
    ]
    later = run_verify(db_path, config(emu.url), grace_seconds=0)
    assert later.counts == {"present": N - 1, "missing": 1} and later.made_due == 1


def test_epoch_ts_the_cursor_key_and_the_older_query_form(
    db_path: Path, emu: CleverTapEmulator, delivered: dict[str, str]
) -> None:
    emu.reads.settings.update({"ts_format": "epoch", "page_cursor_key": "cursor"})
    s = run_verify(db_path, config(emu.url), batch_size=5, legacy_query=True)
    assert s.counts == {"present": N} and s.pages_downloaded == 9


def test_a_fault_storm_on_the_read_api_still_gives_exact_verdicts(
    db_path: Path, emu: CleverTapEmulator, delivered: dict[str, str]
) -> None:
    emu.reads.scenario(duplicate={delivered["user-0000009"]: 1})
    emu.faults = Faults(
        error_rate=0.2, error_statuses=(429, 500, 503), drop_rate=0.1, lost_answer_rate=0.1, seed=7
    )
    s = run_verify(db_path, config(emu.url, max_retries=20), batch_size=5)
    assert s.counts == {"present": N - 1, "duplicated": 1}
    assert s.retries > 0 and s.records == N + 1


def test_reads_stay_within_the_read_concurrency(
    db_path: Path, emu: CleverTapEmulator, delivered: dict[str, str]
) -> None:
    emu.faults = Faults(latency=0.05)  # requests overlap: more segments than slots
    s = run_verify(db_path, config(emu.url), since="2025-12-01", until="2026-01-31", concurrency=3)
    assert s.counts == {"present": N}
    assert s.api_calls == 12  # 6 segments (2 names x 3 stretches of 31 days), 1 query + 1 page
    assert emu.reads.counts["http_429"] == 0 and emu.reads.counts["max_concurrent"] <= 3


def test_one_check_at_a_time_per_database(
    db_path: Path, emu: CleverTapEmulator, delivered: dict[str, str]
) -> None:
    from filelock import FileLock

    from lr_desktop.verify.run import CheckAlreadyRunning

    with FileLock(str(db_path) + ".verify.lock"), pytest.raises(CheckAlreadyRunning):
        run_verify(db_path, config(emu.url))
    assert run_verify(db_path, config(emu.url)).state == "finished"
