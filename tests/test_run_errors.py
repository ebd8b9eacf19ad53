"""Run errors grouped by reason, and the one sentence for a run that failed for a single
reason: real runs against the CleverTap emulator (all 503) and a closed port."""

from __future__ import annotations

from pathlib import Path

from lr_desktop.clevertap.config import CleverTapConfig, Secrets
from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.run_errors import (
    describe_groups,
    failed_user_ids,
    host_of,
    plural,
    reason_text,
    run_error_groups,
    run_level_reason,
)
from lr_desktop.sampledata import generate
from lr_desktop.store import connect, transaction
from lr_desktop.store.queue import upsert_attributions
from lr_desktop.sync import Operation, run_sync


def _run(db: Path, endpoint: str) -> tuple[object, list]:  # type: ignore[type-arg]
    conn = connect(db)
    with transaction(conn):
        upsert_attributions(conn, generate(30, seed=1), source="t")
    conn.close()
    cfg = CleverTapConfig(
        project_id="P-1",
        endpoint=endpoint,
        secrets=Secrets("tk", "pc"),
        backoff_base=0.01,
        backoff_cap=0.02,
        timeout=2,
        batch_size=10,
    )
    summary = run_sync(db, cfg, Operation.FULL_SYNC)
    conn = connect(db)
    try:
        return summary, run_error_groups(conn, summary.run_id, host=host_of(cfg))
    finally:
        conn.close()


def test_every_request_answered_503_is_said_once(db_path: Path) -> None:
    emu = CleverTapEmulator({"P-1": ("pc", "tk")}, faults=Faults(error_rate=1.0)).start()
    try:
        summary, groups = _run(db_path, emu.url)
    finally:
        emu.stop()
    events = [g for g in groups if g.kind == "event"]
    assert len(events) == 1 and events[0].count == summary.failed == 26  # type: ignore[attr-defined]
    assert len(events[0].user_ids) == 26
    assert run_level_reason(groups, delivered=0) == (
        "CleverTap answered 503 Service Unavailable to every request"
    )
    assert describe_groups(events) == [
        "26 events failed: CleverTap answered 503 Service Unavailable"
    ]
    conn = connect(db_path)
    assert sorted(failed_user_ids(conn, summary.run_id)) == sorted(events[0].user_ids)  # type: ignore[attr-defined]
    conn.close()


def test_an_unreachable_host_is_named(db_path: Path) -> None:
    _summary, groups = _run(db_path, "http://127.0.0.1:9")
    reason = run_level_reason(groups, delivered=0)
    assert reason is not None and reason.startswith("Could not reach 127.0.0.1: ConnectError")
    assert "gave up" not in reason


def test_mixed_reasons_have_no_single_sentence() -> None:
    from lr_desktop.run_errors import ErrorGroup

    groups = [
        ErrorGroup("CleverTap answered 503 Service Unavailable", "failed", "event", 3),
        ErrorGroup("CleverTap refused it (code 526): bad id", "rejected", "event", 1),
    ]
    assert run_level_reason(groups, delivered=0) is None
    assert run_level_reason(groups[:1], delivered=5) is None
    assert (
        describe_groups(groups)[1]
        == "1 event was rejected: CleverTap refused it (code 526): bad id"
    )
    assert plural(1, "user") == "1 user" and plural(2, "user") == "2 users"
    assert reason_text(429, None, None) == "CleverTap answered 429 Too Many Requests"


def test_the_cli_summary_says_it_once(db_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from lr_desktop.clevertap.config import save_config
    from lr_desktop.cli.main import main

    emu = CleverTapEmulator({"P-1": ("pc", "tk")}, faults=Faults(error_rate=1.0)).start()
    try:
        conn = connect(db_path)
        with transaction(conn):
            upsert_attributions(conn, generate(30, seed=1), source="t")
            cfg = CleverTapConfig(project_id="P-1", backoff_base=0.01, backoff_cap=0.02)
            save_config(conn, cfg)
        conn.close()
        monkeypatch.setenv("LR_CLEVERTAP_ENDPOINT", emu.url)
        monkeypatch.setenv("LR_CLEVERTAP_PASSCODE", "pc")
        assert main(["--db", str(db_path), "sync"]) == 1
        out = capsys.readouterr().out
        assert "CleverTap answered 503 Service Unavailable to every request" in out
        assert "26 events failed: CleverTap answered 503 Service Unavailable" in out
        assert main(["--db", str(db_path), "sync", "--all", "--json"]) == 1
        doc = json.loads(capsys.readouterr().out)
        assert (
            doc["stopped_reason"] == "CleverTap answered 503 Service Unavailable to every request"
        )
        assert doc["errors"][0]["count"] == 26 and len(doc["errors"][0]["user_ids"]) == 26
    finally:
        emu.stop()
