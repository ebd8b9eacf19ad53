"""Incremental pulls over real HTTP: no duplicates, no gaps, across runs and crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lr_desktop.emulators.linkrunner import ONE_CAMPAIGN, LinkrunnerEmulator
from lr_desktop.fieldmap import parse_timestamp
from lr_desktop.linkrunner.client import KeyRejected, RetryPolicy
from lr_desktop.linkrunner.pull import PullAlreadyRunning, lock_for, pull_once, settings_for, watch
from lr_desktop.store import connect, transaction

KEY = "lr-pull-key-Qw3"
FAST = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_cap=0.005)
NO_RETRY = RetryPolicy(max_retries=0)


@pytest.fixture
def emu():
    with LinkrunnerEmulator(KEY, seed=2, users=2300, rate_limit=None) as e:
        yield e


@pytest.fixture
def emu1():
    """Every user in one campaign: paging and marks of a single campaign."""
    with LinkrunnerEmulator(KEY, seed=2, users=2300, rate_limit=None, one_campaign=True) as e:
        yield e


def newest_per_campaign(emu: LinkrunnerEmulator) -> dict[str, int]:
    out: dict[str, int] = {}
    for u in emu.users():
        at = parse_timestamp(u["attributed_at"])
        out[u["campaign_display_id"]] = max(out.get(u["campaign_display_id"], 0), at)
    return out


def pull(db_path: Path, emu: LinkrunnerEmulator, **kw):
    kw.setdefault("retry", FAST)
    kw.setdefault("page_size", 500)
    return pull_once(db_path, api_key=KEY, base_url=emu.url, **kw)


def db_users(db_path: Path) -> list[str]:
    conn = connect(db_path)
    try:
        return [r[0] for r in conn.execute("SELECT user_id FROM installs")]
    finally:
        conn.close()


def runs(db_path: Path) -> list[tuple]:
    conn = connect(db_path)
    try:
        return conn.execute(
            "SELECT kind, state, total, rejected, detail FROM runs WHERE kind = 'pull' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def test_first_pull_walks_every_campaign_and_is_recorded(db_path, emu):
    report = pull(db_path, emu)
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (2300, 0, 0, 0)
    per_campaign = newest_per_campaign(emu)
    assert [c.display_id for c in report.campaigns] == [c["display_id"] for c in emu.campaigns()]
    sizes = {c.display_id: c.records for c in report.campaigns}
    assert sum(sizes.values()) == 2300 and all(sizes.values())
    assert report.pages == sum((n + 499) // 500 for n in sizes.values())
    assert {c.state for c in report.campaigns} == {"pulled"}
    assert sorted(db_users(db_path)) == sorted(emu.user_ids())
    assert report.high_water_mark == max(per_campaign.values())
    assert settings_for(db_path).campaign_marks == per_campaign
    assert settings_for(db_path).newest_mark == report.high_water_mark
    [(kind, state, total, rejected, detail)] = runs(db_path)
    assert (kind, state, total, rejected) == ("pull", "finished", 2300, 0)
    assert json.loads(detail)["imported"] == 2300
    conn = connect(db_path)
    by_status = dict(conn.execute("SELECT status, count(*) FROM installs GROUP BY status"))
    no_id = conn.execute("SELECT count(*) FROM installs WHERE clevertap_id IS NULL").fetchone()[0]
    sources = {r[0] for r in conn.execute("SELECT DISTINCT source FROM installs")}
    conn.close()
    assert by_status["waiting_id"] == no_id > 0 and by_status["queued"] == 2300 - no_id
    assert sources == {"linkrunner-api"}


def test_next_pulls_are_incremental_and_idempotent(db_path, emu):
    first = pull(db_path, emu)
    marks = settings_for(db_path).campaign_marks
    again = pull(db_path, emu)
    assert again.imported == 0 and again.updated == 0
    # each campaign re-reads its own overlap, unchanged
    assert {c.display_id: c.start for c in again.campaigns} == {
        k: v - 3600 for k, v in marks.items()
    }
    assert again.records == again.unchanged < 2300
    assert first.high_water_mark == again.high_water_mark
    emu.add_users(120)
    third = pull(db_path, emu)
    assert third.imported == 120 and third.updated == 0
    users = db_users(db_path)
    assert len(users) == len(set(users)) == 2420
    assert set(users) == emu.user_ids()


def test_late_rows_inside_the_overlap_are_not_missed(db_path, emu1):
    emu = emu1
    first = pull(db_path, emu, overlap_seconds=600)
    emu.add_users(4, attributed_at=first.high_water_mark - 300)  # arrived late
    emu.add_users(2, attributed_at=first.high_water_mark - 5000)  # later than any overlap
    second = pull(db_path, emu, overlap_seconds=600)
    assert second.imported == 4
    assert settings_for(db_path).campaign_marks == {ONE_CAMPAIGN: first.high_water_mark}
    # --since re-reads further back and catches the rest
    third = pull(db_path, emu, since=first.high_water_mark - 6000)
    assert third.imported == 2
    assert set(db_users(db_path)) == emu.user_ids()


def test_failure_after_some_pages_keeps_the_mark_and_resume_fills_the_gap(db_path, emu1):
    emu = emu1
    seen = []

    def fail_after_two(p) -> None:
        seen.append(p.pages)
        if p.pages == 2:
            emu.fail_next(400)  # not retryable: the campaign stops here

    failed = pull(db_path, emu, progress=fail_after_two)
    states = {c.display_id: c.state for c in failed.campaigns}
    assert states.pop(ONE_CAMPAIGN) == "failed" and not failed.ok
    assert set(states.values()) == {"pulled"}  # the other (empty) campaigns went on
    assert "HTTP 400" in failed.failed_campaigns[0].error
    assert len(db_users(db_path)) == 1000
    assert ONE_CAMPAIGN not in settings_for(db_path).campaign_marks
    [(_kind, state, _total, _rejected, detail)] = runs(db_path)
    assert state == "finished" and "HTTP 400" in json.loads(detail)["campaigns"][0]["error"]
    report = pull(db_path, emu)
    assert report.imported == 1300 and report.unchanged == 1000
    users = db_users(db_path)
    assert len(users) == len(set(users)) and set(users) == emu.user_ids()


def test_cancel_between_pages(db_path, emu1):
    cancel = threading.Event()
    report = pull(db_path, emu1, cancel=cancel, progress=lambda p: cancel.set())
    assert report.cancelled and report.pages == 1
    assert ONE_CAMPAIGN not in settings_for(db_path).campaign_marks
    assert runs(db_path)[0][1] == "cancelled"


def test_rejected_records_are_counted_with_reasons(db_path, emu):
    now = emu.users()[0]["attributed_at"]
    at = parse_timestamp(now)
    emu.add_records(
        [{"attributed_at": now, "user_data": {"id": "no-install"}, "campaign_display_id": "g-uac"}],
        attributed_at=at,
    )
    report = pull(db_path, emu)
    assert report.rejected == 1 and report.imported == 2300
    assert report.reasons[0][0] == "user no-install"
    assert "installed_at" in report.reasons[0][1]
    assert [c.rejected for c in report.campaigns if c.display_id == "g-uac"] == [1]
    assert runs(db_path)[0][3] == 1


def test_bad_key_stops_the_pull_clearly(db_path, emu):
    with pytest.raises(KeyRejected) as err:
        pull_once(db_path, api_key="nope-key", base_url=emu.url)
    assert "Integrations > Linkrunner" in str(err.value)
    [(kind, state, _total, _rej, _detail)] = runs(db_path)
    assert state == "stopped"
    conn = connect(db_path)
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert "nope-key" not in dump and KEY not in dump


def test_one_pull_at_a_time(db_path, emu):
    lock = lock_for(db_path)
    with lock, pytest.raises(PullAlreadyRunning):
        pull(db_path, emu)


def _env(emu: LinkrunnerEmulator) -> dict[str, str]:
    env = dict(os.environ)
    env.update(LR_LINKRUNNER_KEY=KEY, LR_LINKRUNNER_ENDPOINT=emu.url)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


def test_cancel_ends_a_pull_stalled_mid_request(db_path: Path) -> None:
    """Linkrunner stops answering mid-pull; a cancel (the window closing) ends the request
    at once instead of after its 30 s read timeout, and the pages before it are kept.
    Without retries left, the ended request still reads as a cancel, not an outage."""
    with LinkrunnerEmulator(KEY, seed=5, users=3500, rate_limit=None, one_campaign=True) as emu:
        hold = emu.hold(page=2)
        cancel = threading.Event()
        reports: list = []
        pull = threading.Thread(
            target=lambda: reports.append(
                pull_once(db_path, api_key=KEY, base_url=emu.url, cancel=cancel, retry=NO_RETRY)
            )
        )
        pull.start()
        try:
            assert hold.reached.wait(60), "the pull never asked for page 2"
            cancel.set()
            pull.join(15)  # a bound well under the request's own 30 s timeout
            assert not pull.is_alive(), "the stalled request outlived the cancel"
        finally:
            hold.release()
            pull.join(60)
    assert reports and reports[0].cancelled
    assert len(db_users(db_path)) == 1000  # page 1 was committed
    assert runs(db_path)[0][1] == "cancelled"


def test_sigkill_mid_pull_then_resume(db_path):
    with LinkrunnerEmulator(KEY, seed=5, users=3500, rate_limit=None, one_campaign=True) as emu:
        hold = emu.hold(page=3)
        proc = subprocess.Popen(
            [sys.executable, "-m", "lr_desktop", "--db", str(db_path), "pull", "--json"],
            env=_env(emu),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert hold.reached.wait(60), "the pull never asked for page 3"
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            hold.release()
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)
        assert len(db_users(db_path)) == 2000  # pages 1 and 2 were committed
        assert ONE_CAMPAIGN not in settings_for(db_path).campaign_marks
        assert runs(db_path)[0][1] == "running"  # died without a word
        report = pull_once(db_path, api_key=KEY, base_url=emu.url, retry=FAST)
        assert report.imported == 1500 and report.unchanged == 2000
        users = db_users(db_path)
        assert len(users) == len(set(users)) and set(users) == emu.user_ids()
        assert [r[1] for r in runs(db_path)] == ["interrupted", "finished"]


def test_cli_pull_exit_codes(db_path, emu, monkeypatch, capsys):
    from lr_desktop.cli.main import main

    monkeypatch.setenv("LR_LINKRUNNER_ENDPOINT", emu.url)
    assert main(["--db", str(db_path), "pull", "--json"]) == 2  # no key
    assert "No Linkrunner API key" in capsys.readouterr().err
    monkeypatch.setenv("LR_LINKRUNNER_KEY", "wrong")
    assert main(["--db", str(db_path), "pull", "--json"]) == 2
    assert "rejected" in capsys.readouterr().out
    monkeypatch.setenv("LR_LINKRUNNER_KEY", KEY)
    assert main(["--db", str(db_path), "pull", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["imported"] == 2300
    emu.add_records(
        [{"user_data": {"id": "broken"}, "campaign_display_id": "g-uac"}],
        attributed_at=emu.clock() - 60,
    )
    assert main(["--db", str(db_path), "pull", "--since", "2000-01-01T00:00:00Z"]) == 1
    out = capsys.readouterr()
    assert "1 rejected" in out.out and "broken" in out.err


def test_key_from_stdin_into_the_keyring(monkeypatch, capsys, memory_keyring):
    import io

    from lr_desktop.cli.main import main
    from lr_desktop.secrets import LINKRUNNER_API_KEY, SERVICE

    monkeypatch.setattr("sys.stdin", io.StringIO("secret-from-stdin\n"))
    assert main(["linkrunner-key", "set"]) == 0
    assert memory_keyring.store[(SERVICE, LINKRUNNER_API_KEY)] == "secret-from-stdin"
    assert main(["linkrunner-key", "show"]) == 0
    out = capsys.readouterr().out
    assert "set" in out and "secret-from-stdin" not in out
    assert main(["linkrunner-key", "clear"]) == 0
    assert (SERVICE, LINKRUNNER_API_KEY) not in memory_keyring.store


def test_watch_stops_promptly(db_path, emu):
    stop = threading.Event()
    reported = threading.Event()
    done = threading.Event()
    cycles = []

    def on_report(cycle) -> None:
        cycles.append(cycle)
        reported.set()

    def run() -> None:
        watch(
            db_path,
            interval_seconds=3600,
            send_automatically=False,
            stop=stop,
            on_report=on_report,
            api_key=KEY,
            base_url=emu.url,
        )
        done.set()

    t = threading.Thread(target=run)
    t.start()
    try:
        assert reported.wait(60)
        stop.set()  # the next round is an hour away: watch must not wait for it
        assert done.wait(10), "watch did not stop when asked"
    finally:
        stop.set()
        t.join(10)
    assert len(cycles) == 1 and cycles[0].report.imported == 2300 and cycles[0].error is None


def test_stored_endpoint_override_is_loopback_only_and_used_by_the_pull(db_path):
    from lr_desktop.clevertap.endpoint import EndpointRefused
    from lr_desktop.linkrunner.settings import (
        ENV_ENDPOINT,
        LinkrunnerSettings,
        effective_base_url,
        update_settings,
    )

    assert LinkrunnerSettings(base_url="http://127.0.0.1:8123").problems() == []
    for url in ("https://api.linkrunner.io", "http://127.0.0.1.example.com", "ftp://127.0.0.1"):
        assert LinkrunnerSettings(base_url=url).problems(), url
    stored = LinkrunnerSettings(base_url="http://127.0.0.1:8123")
    assert effective_base_url(stored, {}) == "http://127.0.0.1:8123"
    assert effective_base_url(stored, {ENV_ENDPOINT: "http://localhost:9"}) == "http://localhost:9"
    assert effective_base_url(LinkrunnerSettings(), {}) is None  # the real API

    with LinkrunnerEmulator(KEY, seed=4, users=25, rate_limit=None) as emu:
        conn = connect(db_path)
        with transaction(conn):
            update_settings(conn, base_url=emu.url)  # what the demo stores
        conn.close()
        assert pull_once(db_path, api_key=KEY, retry=FAST).imported == 25

    conn = connect(db_path)
    with transaction(conn):
        update_settings(conn, base_url="http://203.0.113.5")  # e.g. a tampered database
    conn.close()
    with pytest.raises(EndpointRefused):
        pull_once(db_path, api_key=KEY, retry=FAST)
