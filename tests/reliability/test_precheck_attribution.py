"""Promise (issue 13, item 1, attribution mode): an install sent to the attribution
partner API that may have reached CleverTap is looked up before it is sent again. Its
copy there is a "UTM Visited" event without lr_event_id, found by CleverTap ID, time and
utm fields; another partner's identical-looking event does not count. When the read API
fails, the old behaviour holds (re-send and flag)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.sync import run_sync
from lr_desktop.verify.attribution import UTM_VISITED
from tests.engine_helpers import config, fill, statuses, users
from tests.reliability.conftest import flagged_users, query

N = 20
T0 = 1767225600  # users(N): user i installed at T0 + i on profile ct-{i:07d}


def _utm_copies(emu: CleverTapEmulator) -> Counter[str]:
    return Counter(e["objectId"] for e in emu.events(name=UTM_VISITED))


def _lose_every_answer(db: Path, emu: CleverTapEmulator) -> None:
    """Every install lands but every answer is lost: all failed and possibly duplicated."""
    emu.faults = Faults(lost_answer_rate=1.0, seed=3)
    fill(db, users(N))
    cfg = config(emu.url, mode="attribution", max_retries=0, precheck=False)
    first = run_sync(db, cfg)
    assert first.failed == N and len(flagged_users(db)) == N
    assert set(_utm_copies(emu).values()) == {1} and len(_utm_copies(emu)) == N
    emu.faults = Faults()


def test_flagged_installs_that_landed_are_confirmed_the_others_sent_once(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    _lose_every_answer(db_path, emulator)
    gone = [f"ct-{i:07d}" for i in range(0, N, 4)]  # 5 installs CleverTap doesn't hold
    emulator.reads.scenario(by="objectId", event_name=UTM_VISITED, drop=gone)
    # another partner's event that looks exactly like the first dropped install
    emulator.reads.scenario(
        add=[{"objectId": gone[0], "evtName": UTM_VISITED, "ts": T0,
              "evtData": {"utm_source": "organic", "event_type": "organic_install",
                          "partner_name": "branch", "platform": "ios"}}]
    )  # fmt: skip
    requests = emulator.stats()["attribution_requests"]
    again = run_sync(db_path, config(emulator.url, mode="attribution", precheck_settle=0.0))
    assert again.confirmed_by_clevertap == N - len(gone)
    assert again.delivered == len(gone)
    assert emulator.stats()["attribution_requests"] - requests == len(gone)
    assert statuses(db_path) == {"delivered": N} and flagged_users(db_path) == set()
    ours = Counter(
        e["objectId"] for e in emulator.events(name=UTM_VISITED)
        if e["evtData"].get("partner_name") == "linkrunner"
    )  # fmt: skip
    assert set(ours.values()) == {1} and len(ours) == N  # exactly one copy each
    modes = query(db_path, "SELECT DISTINCT delivered_mode FROM installs")
    assert modes == [("attribution",)]
    confirmed = query(
        db_path,
        "SELECT count(*) FROM attempts WHERE mode = 'precheck' AND outcome = 'delivered' "
        "AND message LIKE '%CleverTap confirmed%'",
    )
    assert confirmed == [(N - len(gone),)]


def test_lost_answers_inside_a_run_are_checked_before_each_retry(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    emulator.faults = Faults(lost_answer_rate=0.3, seed=9)  # reads lose answers too
    fill(db_path, users(N))
    cfg = config(emulator.url, mode="attribution", max_retries=10, concurrency=1)
    summary = run_sync(db_path, cfg)
    assert summary.delivered == N and summary.possibly_duplicated == 0
    assert emulator.stats()["faults_lost_answer"] > 0
    assert emulator.reads.counts["events_requests"] > 0  # CleverTap was asked
    assert flagged_users(db_path) == set()
    assert set(_utm_copies(emulator).values()) == {1} and len(_utm_copies(emulator)) == N


def test_a_failing_read_api_means_resend_and_flag_as_before(
    db_path: Path, emulator: CleverTapEmulator
) -> None:
    _lose_every_answer(db_path, emulator)
    emulator.reads.settings.max_concurrent = 0  # each read: 429 (retried, then given up)
    cfg = config(emulator.url, mode="attribution", precheck_settle=0.0)
    again = run_sync(db_path, cfg)
    warned = [w for w in again.warnings if "could not be asked" in w]
    assert (again.delivered, again.confirmed_by_clevertap, len(warned)) == (N, 0, 1)
    # re-sent and still flagged: CleverTap now holds two copies of each install
    assert len(flagged_users(db_path)) == N and set(_utm_copies(emulator).values()) == {2}
    assert emulator.reads.counts["http_429"] > 0
