"""The sync engine against the bundled CleverTap emulator, over real HTTP."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from lr_desktop.clevertap import client as client_module
from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.store import connect
from lr_desktop.sync import (
    CredentialsRejected,
    Operation,
    Progress,
    RequestRefused,
    SyncAlreadyRunning,
    run_sync,
)
from lr_desktop.sync.engine import lock_for
from tests.engine_helpers import PASSCODE, PROJECT, TOKEN, config, fill, statuses, users


@pytest.fixture
def emulator():
    with CleverTapEmulator({PROJECT: (PASSCODE, TOKEN)}) as emu:
        yield emu


def test_upload_delivers_every_event_once(db_path: Path, emulator: CleverTapEmulator) -> None:
    fill(db_path, users(2500, without_id_every=10))
    seen: list[Progress] = []
    summary = run_sync(db_path, config(emulator.url), progress=seen.append)
    assert (summary.delivered, summary.rejected, summary.failed) == (2250, 0, 0)
    assert summary.waiting_for_clevertap_id == 250
    assert statuses(db_path) == {"delivered": 2250, "waiting_id": 250}
    events = emulator.events()
    assert len(events) == 2250
    assert Counter(e["evtData"]["lr_event_id"] for e in events).most_common(1)[0][1] == 1
    assert {e["evtName"] for e in events} == {"organic_install", "inorganic_install"}
    assert emulator.stats()["upload_requests"] == 3  # batches of up to 1000
    assert seen[-1].done == seen[-1].total == 2250
    # a second send finds nothing due
    again = run_sync(db_path, config(emulator.url))
    assert again.total == 0 and len(emulator.events()) == 2250


def test_users_without_clevertap_id_are_never_sent(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(30, without_id_every=3))
    run_sync(db_path, config(emulator.url), Operation.FULL_SYNC)
    sent = {e["evtData"]["user_id"] for e in emulator.events()}
    assert len(sent) == 20 and all(int(u[-7:]) % 3 for u in sent)


def test_partial_rejects_mark_exactly_those_users(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    emulator.settings.update(
        {
            "record_as_string": True,
            "always_success_status": True,
            "reject_object_ids": ["ct-0000004"],
        }
    )
    fill(db_path, users(100, bad_id_every=10))
    summary = run_sync(db_path, config(emulator.url))
    conn = connect(db_path)
    rejected = dict(
        conn.execute("SELECT user_id, last_code FROM installs WHERE status='rejected'").fetchall()
    )
    assert set(rejected) == {f"user-{i:07d}" for i in range(1, 100, 10)} | {"user-0000004"}
    assert set(rejected.values()) == {526}
    assert summary.rejected == 11 and summary.delivered == 89
    msg = conn.execute("SELECT last_error FROM installs WHERE user_id='user-0000001'").fetchone()[0]
    assert msg and "record number" in msg.lower()
    history = conn.execute(
        "SELECT outcome, http_status, code FROM attempts WHERE user_id='user-0000001'"
    ).fetchall()
    assert history == [("rejected", 200, 526)]


def test_records_breaking_cleverTap_rules_are_not_sent(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(3))
    conn = connect(db_path)
    conn.execute("UPDATE installs SET clevertap_id = ? WHERE user_id='user-0000001'", ("x" * 121,))
    summary = run_sync(db_path, config(emulator.url))
    assert summary.rejected == 1 and summary.delivered == 2
    row = conn.execute(
        "SELECT last_code, last_error FROM installs WHERE user_id='user-0000001'"
    ).fetchone()
    assert row[0] == 526 and row[1].startswith("Not sent")
    assert len(emulator.events()) == 2


def test_retries_429_and_5xx_until_delivered(db_path: Path, emulator: CleverTapEmulator) -> None:
    emulator.faults = Faults(error_rate=0.5, error_statuses=(429, 500, 503), seed=7)
    fill(db_path, users(3000))
    summary = run_sync(db_path, config(emulator.url, batch_size=100, max_retries=30), seed=1)
    assert (summary.delivered, summary.failed) == (3000, 0)
    assert statuses(db_path) == {"delivered": 3000}
    conn = connect(db_path)
    retries = conn.execute("SELECT count(*) FROM attempts WHERE outcome='retry'").fetchone()[0]
    assert retries > 0 and emulator.stats()["faults_error"] > 0
    assert len(emulator.events()) == 3000


def test_exhausted_retries_fail_with_reason_and_next_run_picks_them_up(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    emulator.faults = Faults(error_rate=1.0, error_statuses=(503,))
    fill(db_path, users(10))
    summary = run_sync(db_path, config(emulator.url, max_retries=2))
    assert summary.failed == 10
    conn = connect(db_path)
    reason = conn.execute("SELECT last_error FROM installs LIMIT 1").fetchone()[0]
    assert "503" in reason and "gave up after 3 tries" in reason
    emulator.faults = Faults()
    again = run_sync(db_path, config(emulator.url))
    assert again.delivered == 10 and statuses(db_path) == {"delivered": 10}
    # the earlier error is cleared once delivered; the history keeps it
    assert (
        conn.execute("SELECT count(*) FROM installs WHERE last_error IS NOT NULL").fetchone()[0]
        == 0
    )
    assert (
        conn.execute("SELECT count(*) FROM attempts WHERE outcome = 'failed'").fetchone()[0] == 10
    )


def test_misc_server_error_555_is_retried_per_record(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    emulator.settings.update({"misc_error_object_ids": ["ct-0000002"]})
    fill(db_path, users(5))
    summary = run_sync(db_path, config(emulator.url, max_retries=2))
    assert summary.delivered == 4 and summary.failed == 1
    conn = connect(db_path)
    tries = conn.execute(
        "SELECT outcome FROM attempts WHERE user_id='user-0000002' ORDER BY id"
    ).fetchall()
    assert [t[0] for t in tries] == ["retry", "retry", "failed"]


@pytest.mark.parametrize("wrong", ["passcode", "region"])
def test_401_stops_and_leaves_events_queued(
    db_path: Path, emulator: CleverTapEmulator, wrong: str
) -> None:
    fill(db_path, users(2500))
    if wrong == "passcode":
        cfg = config(
            emulator.url, secrets=replace(config("http://127.0.0.1:1").secrets, passcode="nope")
        )
        target = emulator
        with pytest.raises(CredentialsRejected, match="credentials or region wrong") as info:
            run_sync(db_path, cfg)
    else:
        other_region = CleverTapEmulator(
            {"OTHER-REGION-ACC": ("x", "y")}
        )  # the account lives elsewhere
        with other_region as target, pytest.raises(CredentialsRejected, match="region") as info:
            run_sync(db_path, config(target.url))
    assert info.value.summary is not None and info.value.summary.delivered == 0
    assert statuses(db_path) == {"queued": 2500}
    assert emulator.events() == []
    conn = connect(db_path)
    assert conn.execute("SELECT state, error FROM runs").fetchone()[0] == "stopped"


def test_403_and_400_stop_with_a_message_naming_the_fix(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(5))
    emulator.settings.update({"partners": []})
    with pytest.raises(RequestRefused, match="whitelist"):
        run_sync(db_path, config(emulator.url, mode="attribution"))
    assert statuses(db_path) == {"queued": 5}


def test_cancel_between_requests_leaves_the_rest_queued(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    emulator.faults = Faults(latency=0.05)
    fill(db_path, users(2000))
    cancel = threading.Event()

    def on_progress(p: Progress) -> None:
        if p.done >= 100:
            cancel.set()

    summary = run_sync(
        db_path,
        config(emulator.url, batch_size=50, concurrency=2),
        progress=on_progress,
        cancel=cancel,
    )
    assert summary.cancelled
    st = statuses(db_path)
    assert "in_flight" not in st
    assert st["delivered"] == summary.delivered == len(emulator.events())
    assert 100 <= summary.delivered < 2000 and st["queued"] == 2000 - summary.delivered
    conn = connect(db_path)
    assert conn.execute("SELECT state FROM runs").fetchone()[0] == "cancelled"
    rest = run_sync(db_path, config(emulator.url))
    assert statuses(db_path) == {"delivered": 2000} and rest.delivered == 2000 - summary.delivered


@pytest.mark.parametrize("precheck", [False, True])
def test_resume_after_crash_requeues_in_flight_as_possibly_duplicated(
    db_path: Path, emulator: CleverTapEmulator, precheck: bool
) -> None:
    fill(db_path, users(50))
    conn = connect(db_path)
    # what a SIGKILL mid-request leaves behind: rows in flight and a run still "running"
    conn.execute("UPDATE installs SET status='in_flight' WHERE rowid <= 20")
    conn.execute(
        "INSERT INTO runs (kind, mode, started_at, state) VALUES ('sync', 'upload', 0, 'running')"
    )
    summary = run_sync(db_path, config(emulator.url, precheck=precheck, precheck_settle=0))
    assert any("in flight" in w for w in summary.warnings)
    # with the check before re-sending, CleverTap is seen not to hold them: sent once, unflagged
    flagged = 0 if precheck else 20
    assert summary.delivered == 50 and summary.possibly_duplicated == flagged
    assert conn.execute("SELECT sum(possibly_duplicated) FROM installs").fetchone()[0] == flagged
    assert conn.execute("SELECT state FROM runs ORDER BY id").fetchall()[0][0] == "interrupted"


def test_resume_after_crash_with_requests_in_flight(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(30))
    conn = connect(db_path)
    # a run killed mid-request leaves its claimed events in the in-flight table
    conn.execute(
        "INSERT INTO inflight (install_rowid, run_id, fingerprint, since) "
        "SELECT rowid, 99, fingerprint, 0 FROM installs WHERE rowid <= 7"
    )
    # the recovery itself (the check before re-sending would unflag them: never sent)
    summary = run_sync(db_path, config(emulator.url, precheck=False))
    assert summary.delivered == 30 and summary.possibly_duplicated == 7
    assert conn.execute("SELECT count(*) FROM inflight").fetchone()[0] == 0
    flagged = conn.execute(
        "SELECT count(*) FROM installs WHERE possibly_duplicated = 1"
    ).fetchone()[0]
    assert flagged == 7


def test_result_lands_on_the_version_sent_and_a_newer_attribution_is_changed(
    db_path: Path,
) -> None:
    """An import that changes a user while its event is in a request: CleverTap's result
    lands on the version sent (delivered), and the newer attribution is `changed`."""
    from lr_desktop.store import transaction
    from lr_desktop.store.queue import upsert_attributions
    from lr_desktop.sync.ledger import DUE_PENDING, Outcome, SyncStore

    fill(db_path, users(3))
    store = SyncStore(db_path)
    claimed = store.claim([1, 2, 3], DUE_PENDING, run_id=1)  # in the request now
    assert [r["rowid"] for r in claimed] == [1, 2, 3]
    assert store.claim([1, 2, 3], DUE_PENDING, run_id=1) == []  # never claimed twice
    conn = connect(db_path)
    changed = replace(users(3)[1], campaign_name="Changed mid-flight")
    with transaction(conn):
        upsert_attributions(conn, [changed], source="test")
    store.record(
        [Outcome(r["rowid"], r["user_id"], "delivered", 200) for r in claimed],
        run_id=1,
        mode="upload",
    )
    got = dict(conn.execute("SELECT user_id, status FROM installs").fetchall())
    assert got == {
        "user-0000000": "delivered",
        "user-0000001": "changed",
        "user-0000002": "delivered",
    }
    from lr_desktop.store.versions import attribution_versions

    versions = attribution_versions(conn, "user-0000001")
    assert versions is not None and versions.differences == ["campaign_name"]
    assert versions.delivered is not None
    assert versions.delivered["campaign_name"] == users(3)[1].campaign_name
    assert versions.current["campaign_name"] == "Changed mid-flight"
    sent_fp = conn.execute(
        "SELECT delivered_fingerprint != fingerprint FROM installs WHERE user_id = 'user-0000001'"
    ).fetchone()[0]
    assert sent_fp == 1
    # the delivery of the old version is still in the user's history
    assert conn.execute(
        "SELECT outcome FROM attempts WHERE user_id = 'user-0000001'"
    ).fetchall() == [("delivered",)]
    assert conn.execute("SELECT count(*) FROM inflight").fetchone()[0] == 0
    store.close()


def test_upload_records_built_before_a_change_are_not_claimed(db_path: Path) -> None:
    """The reader builds records ahead of the writer; a user an import changes between the
    two is left out of the request (it stays due) and the others go as built."""
    from lr_desktop.clevertap.payloads import event_record
    from lr_desktop.store import transaction
    from lr_desktop.store.queue import upsert_attributions
    from lr_desktop.sync.ledger import DUE_PENDING, SyncReader, SyncStore

    cfg = config("http://127.0.0.1:9")
    names = (cfg.organic_event, cfg.inorganic_event)
    fill(db_path, users(4))
    reader, store = SyncReader(db_path), SyncStore(db_path)
    prepared = reader.prepare_upload([1, 2, 3, 4], DUE_PENDING, names)
    assert prepared.plain_ids == [1, 2, 3, 4] and not prepared.other_rows
    conn = connect(db_path)
    with transaction(conn):
        upsert_attributions(conn, [replace(users(4)[2], campaign_name="New")], source="test")
    claim = store.claim_prepared(prepared, DUE_PENDING, run_id=1)
    assert claim.plain_ids == [1, 2, 4]
    rows = {r["rowid"]: r for r in store.rows("1", 0, 10)}
    sent = claim.batch()
    # rejects map back by event id without parsing the request's records
    assert sent.event_positions() == {rows[i]["event_id"]: k for k, i in enumerate((1, 2, 4))}
    assert "records" not in sent.__dict__
    assert list(sent) == [event_record(rows[i], cfg) for i in (1, 2, 4)]
    assert conn.execute("SELECT install_rowid FROM inflight").fetchall() == [(1,), (2,), (4,)]
    # claimed once only, and a user no longer due is not claimed at all
    assert not store.claim_prepared(prepared, DUE_PENDING, run_id=1)
    assert reader.prepare_upload([1], DUE_PENDING, names).plain_ids == [1]
    store.record([], run_id=1, mode="upload", delivered_ids=[1])
    assert not reader.prepare_upload([1], DUE_PENDING, names)
    reader.close()
    store.close()


@pytest.mark.parametrize("precheck", [False, True])
def test_lost_answers_are_counted_as_possibly_duplicated(
    db_path: Path, emulator: CleverTapEmulator, precheck: bool
) -> None:
    emulator.faults = Faults(lost_answer_rate=0.3, seed=3)
    fill(db_path, users(400))
    cfg = config(emulator.url, batch_size=20, max_retries=10, precheck=precheck)
    summary = run_sync(db_path, cfg, seed=2)
    assert summary.delivered == 400
    copies = Counter(e["evtData"]["user_id"] for e in emulator.events())
    duplicated = {u for u, n in copies.items() if n > 1}
    assert set(copies) == {f"user-{i:07d}" for i in range(400)}
    conn = connect(db_path)
    flagged = {
        r[0] for r in conn.execute("SELECT user_id FROM installs WHERE possibly_duplicated = 1")
    }
    assert summary.possibly_duplicated == len(flagged)
    if precheck:  # CleverTap was asked before each re-send: one copy each, nothing in doubt
        assert duplicated == set() and flagged == set()
    else:
        assert duplicated and duplicated <= flagged  # every duplicate one the app warned about


def test_full_sync_upserts_profiles_once(db_path: Path, emulator: CleverTapEmulator) -> None:
    fill(db_path, users(20, bad_id_every=10))
    first = run_sync(db_path, config(emulator.url), Operation.FULL_SYNC)
    assert first.profiles_upserted == 18  # the two rejected users are skipped
    prof = emulator.profile("ct-0000007")
    assert prof is not None and prof["profileData"]["lr_install_type"] == "inorganic"
    assert prof["profileData"]["lr_campaign"] == "Campaign 0"
    second = run_sync(db_path, config(emulator.url), Operation.FULL_SYNC)
    assert second.profiles_upserted == 0 and second.delivered == 0
    assert second.rejected == 2  # never-delivered users are tried again on a full sync


def test_resend_delivered_only_when_asked(db_path: Path, emulator: CleverTapEmulator) -> None:
    fill(db_path, users(10))
    run_sync(db_path, config(emulator.url))
    run_sync(db_path, config(emulator.url), Operation.FULL_SYNC)
    assert len(emulator.events()) == 10
    summary = run_sync(db_path, config(emulator.url), Operation.FULL_SYNC, resend_delivered=True)
    assert summary.delivered == 10 and len(emulator.events()) == 20
    assert any("deduplicate" in w for w in summary.warnings)


def test_attribution_mode_one_request_per_install(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(40, without_id_every=8))
    summary = run_sync(db_path, config(emulator.url, mode="attribution"))
    assert summary.delivered == 35
    installs = emulator.installs()
    assert len(installs) == 35
    assert emulator.stats()["attribution_requests"] == 35
    conn = connect(db_path)
    assert conn.execute("SELECT DISTINCT mode FROM attempts").fetchall() == [("attribution",)]


@pytest.mark.parametrize("method", ["GET", "POST", "post"])
def test_attribution_mode_sends_with_the_configured_method(
    db_path: Path, emulator: CleverTapEmulator, method: str
) -> None:
    """CleverTap's docs do not confirm the attribution endpoint's method: it is a setting."""
    fill(db_path, users(4))
    summary = run_sync(db_path, config(emulator.url, mode="attribution", attribution_method=method))
    assert summary.delivered == 4 and len(emulator.installs()) == 4
    stats = emulator.stats()
    assert stats["attribution_requests"] == 4
    assert stats["attribution_posts"] == (0 if method == "GET" else 4)


def test_attribution_mode_retries_then_delivers(db_path: Path, emulator: CleverTapEmulator) -> None:
    emulator.faults = Faults(error_rate=0.3, error_statuses=(500, 503, 429), seed=5)
    fill(db_path, users(60))
    summary = run_sync(db_path, config(emulator.url, mode="attribution", max_retries=10), seed=3)
    assert summary.delivered == 60 and summary.failed == 0


def test_attribution_mode_requests_keep_the_client_timeout(
    db_path: Path, emulator: CleverTapEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attribution requests are built by the client, not by httpx's `get`: they must
    still time out, or a silent CleverTap would hold the run forever. (Never before
    ATTRIBUTION_MIN_TIMEOUT, lowered here so the test need not wait 65 s.)"""
    monkeypatch.setattr(client_module, "ATTRIBUTION_MIN_TIMEOUT", 0.2)
    emulator.faults = Faults(latency=1.0)
    fill(db_path, users(3))
    cfg = config(emulator.url, mode="attribution", timeout=0.1, max_retries=0)
    summary = run_sync(db_path, cfg)
    assert (summary.delivered, summary.failed) == (0, 3)
    errors = connect(db_path).execute("SELECT DISTINCT last_error FROM installs").fetchall()
    # a read timeout; on a loaded machine the 0.1 s may already run out while connecting
    assert {e for (e,) in errors} <= {
        f"No answer from CleverTap in time ({kind}) (gave up after 1 tries)"
        for kind in ("ReadTimeout", "ConnectTimeout")
    }
    assert errors


def test_two_syncs_cannot_run_at_once_even_from_two_processes(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    fill(db_path, users(5))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, filelock; l = filelock.FileLock(sys.argv[1]); l.acquire(); "
            "print('held', flush=True); sys.stdin.read()",
            str(lock_for(db_path).lock_file),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(SyncAlreadyRunning):
            run_sync(db_path, config(emulator.url))
    finally:
        holder.communicate("")
    assert run_sync(db_path, config(emulator.url)).delivered == 5


def test_missing_configuration_names_what_to_fix(db_path: Path) -> None:
    from lr_desktop.clevertap.config import CleverTapConfig
    from lr_desktop.sync import ConfigurationProblem

    with pytest.raises(ConfigurationProblem, match="Project ID is missing"):
        run_sync(db_path, CleverTapConfig())
