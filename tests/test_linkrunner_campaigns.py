"""A pull walks /campaigns and pulls each campaign, over real HTTP to the emulator: a mark
per campaign, the old single mark as where each starts, a failing or vanished campaign
that does not stop the others, a cancel mid-walk, and Linkrunner's 30 requests/s."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from lr_desktop.emulators.linkrunner import LinkrunnerEmulator, iso
from lr_desktop.fieldmap import parse_timestamp
from lr_desktop.linkrunner.client import RetryPolicy
from lr_desktop.linkrunner.pull import pull_once, settings_for
from lr_desktop.linkrunner.settings import update_settings
from lr_desktop.store import connect, transaction

KEY = "lr-walk-key-R5"
FAST = RetryPolicy(max_retries=2, backoff_base=0.001, backoff_cap=0.005)


@pytest.fixture
def emu():
    with LinkrunnerEmulator(KEY, seed=7, users=1200, rate_limit=None) as e:
        yield e


def pull(db_path: Path, emu: LinkrunnerEmulator, **kw):
    kw.setdefault("retry", FAST)
    kw.setdefault("page_size", 100)
    return pull_once(db_path, api_key=KEY, base_url=emu.url, **kw)


def db_users(db_path: Path) -> set[str]:
    conn = connect(db_path)
    try:
        return {r[0] for r in conn.execute("SELECT user_id FROM installs")}
    finally:
        conn.close()


def users_of(emu: LinkrunnerEmulator, display_id: str) -> set[str]:
    return {u["user_data"]["id"] for u in emu.users() if u["campaign_display_id"] == display_id}


def test_each_campaign_keeps_its_own_mark(db_path, emu):
    pull(db_path, emu)
    marks = settings_for(db_path).campaign_marks
    assert len(marks) == len(emu.campaigns())
    quiet = min(marks, key=marks.get)  # the campaign whose newest user is oldest
    template = next(u for u in emu.users() if u["campaign_display_id"] == quiet)
    late = {**template, "user_data": {"id": "late-1", "device_data": {"platform": "ios"}}}
    late["attributed_at"] = iso(marks[quiet] + 1)  # after its mark, before the others'
    emu.add_records([late], attributed_at=marks[quiet] + 1)
    second = pull(db_path, emu, overlap_seconds=0)
    by_id = {c.display_id: c for c in second.campaigns}
    assert by_id[quiet].start == marks[quiet]  # its own mark, not the newest of all
    assert second.imported == 1 and "late-1" in db_users(db_path)
    assert settings_for(db_path).campaign_marks[quiet] == marks[quiet] + 1
    others = {k: v for k, v in settings_for(db_path).campaign_marks.items() if k != quiet}
    assert others == {k: v for k, v in marks.items() if k != quiet}


def test_the_old_single_mark_is_where_each_campaign_starts(db_path, emu):
    times = sorted(parse_timestamp(u["attributed_at"]) for u in emu.users())
    old_mark = times[len(times) // 2]  # a pull before campaigns had read up to here
    conn = connect(db_path)
    with transaction(conn):
        update_settings(conn, high_water_mark=old_mark)
    conn.close()
    report = pull(db_path, emu, overlap_seconds=0)
    assert {c.start for c in report.campaigns} == {old_mark}
    assert report.imported == sum(1 for t in times if t >= old_mark)
    marks = settings_for(db_path).campaign_marks
    assert set(marks) == {c["display_id"] for c in emu.campaigns()}
    assert all(m >= old_mark for m in marks.values())
    again = pull(db_path, emu, overlap_seconds=0)  # now from the campaigns' own marks
    assert {c.display_id: c.start for c in again.campaigns} == marks


def test_a_failing_or_vanished_campaign_does_not_stop_the_others(db_path, emu, capsys, monkeypatch):
    from lr_desktop.cli.main import main

    campaigns = [c["display_id"] for c in emu.campaigns()]
    broken, vanishing = campaigns[1], campaigns[-1]
    emu.fail_campaign(broken, 503, times=3)  # outlives the two retries
    removed = threading.Event()

    def remove_once(progress) -> None:  # listed at the start, gone by its turn
        if not removed.is_set():
            emu.remove_campaign(vanishing)
            removed.set()

    report = pull(db_path, emu, progress=remove_once)
    states = {c.display_id: c.state for c in report.campaigns}
    assert states.pop(broken) == "failed" and states.pop(vanishing) == "gone"
    assert set(states.values()) == {"pulled"}
    expected = {u for c in states for u in users_of(emu, c)}
    assert db_users(db_path) == expected
    marks = settings_for(db_path).campaign_marks
    assert broken not in marks and vanishing not in marks and set(states) <= set(marks)
    assert not report.ok and [c.display_id for c in report.failed_campaigns] == [broken]
    from lr_desktop.gui.linkrunner_source import PullOutcome, describe_pull  # no Qt in it

    name = report.failed_campaigns[0].name
    assert f"campaigns not pulled: {name} (tried again next pull)" in describe_pull(
        PullOutcome(report=report)
    )
    conn = connect(db_path)
    state, error, detail = conn.execute(
        "SELECT state, error, detail FROM runs WHERE kind = 'pull'"
    ).fetchone()
    conn.close()
    assert state == "finished" and broken in error and "HTTP 503" in error
    assert {c["display_id"]: c["state"] for c in json.loads(detail)["campaigns"]}[
        broken
    ] == "failed"

    # The next pull (through the CLI) picks the failed campaign up; the summary names each.
    monkeypatch.setenv("LR_LINKRUNNER_ENDPOINT", emu.url)
    monkeypatch.setenv("LR_LINKRUNNER_KEY", KEY)
    assert main(["--db", str(db_path), "pull"]) == 0
    out = capsys.readouterr().out
    assert f"({broken}): " in out and "not pulled" not in out
    assert users_of(emu, broken) <= db_users(db_path)
    emu.fail_campaign(campaigns[0], 400)  # not retried
    assert main(["--db", str(db_path), "pull"]) == 1
    out = capsys.readouterr().out
    assert f"({campaigns[0]}): not pulled (Linkrunner refused the request: HTTP 400" in out


def test_cancel_mid_walk_keeps_finished_campaigns_and_resumes(db_path, emu):
    cancel = threading.Event()
    seen: list[str] = []

    def cancel_in_second(progress) -> None:
        seen.append(progress.campaign)
        if progress.campaigns_done == 1:
            cancel.set()  # during the second campaign

    report = pull(db_path, emu, cancel=cancel, progress=cancel_in_second)
    assert report.cancelled
    states = [c.state for c in report.campaigns]
    assert states[0] == "pulled" and set(states[1:]) == {"cancelled"}
    first = report.campaigns[0].display_id
    assert set(settings_for(db_path).campaign_marks) == {first}
    rest = pull(db_path, emu)
    assert {c.state for c in rest.campaigns} == {"pulled"}
    assert db_users(db_path) == emu.user_ids()
    assert rest.imported + report.imported == len(emu.user_ids())


def test_the_walk_stays_under_30_requests_per_second(db_path):
    with LinkrunnerEmulator(KEY, seed=3, users=600, rate_limit=30) as emu:
        report = pull_once(db_path, api_key=KEY, base_url=emu.url, page_size=10, retry=FAST)
        stats = emu.stats()
    assert report.imported == 600 and report.ok
    assert stats["requests"] > 60  # enough requests to have broken the limit without a bucket
    assert stats["rate_limited"] == 0 and stats["max_requests_per_second"] <= 30
