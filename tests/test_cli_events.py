"""lr-desktop events --status S [--json|--csv]: users by state with CleverTap's answer;
--db after the sub-command; every sub-command's --help says what it does."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from lr_desktop.cli.main import COMMANDS, build_parser, main
from lr_desktop.model import ORGANIC, Attribution
from lr_desktop.store import connect, transaction
from lr_desktop.store.queue import upsert_attributions


def _db(path: Path) -> Path:
    conn = connect(path)
    with transaction(conn):
        upsert_attributions(
            conn,
            [
                Attribution("u1", ORGANIC, "ios", 1_764_000_000, clevertap_id="ct 1"),
                Attribution("u2", ORGANIC, "ios", 1_764_000_000, clevertap_id="ct-2"),
            ],
            source="t",
        )
        conn.execute(
            "UPDATE installs SET status = 'rejected', last_http_status = 200, last_code = 526, "
            "last_error = 'bad CleverTap ID', last_attempt_at = 1764000060 WHERE user_id = 'u1'"
        )
    conn.close()
    return path


def test_events_by_status_with_reasons(db_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _db(db_path)
    assert main(["events", "--status", "rejected", "--json", "--db", str(db_path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["user_id"] for r in rows] == ["u1"]
    assert rows[0]["last_code"] == 526 and rows[0]["last_error"] == "bad CleverTap ID"
    assert rows[0]["last_attempt_at"] == "2025-11-24T16:01:00Z"
    assert main(["--db", str(db_path), "events", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["user_id"] for r in table] == ["u1", "u2"]
    assert main(["events", "--db", str(db_path), "--status", "queued"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("u2\tQueued") and out.err.strip() == "1 user"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_sub_command_says_what_it_does(command: str) -> None:
    parser = build_parser([command])
    sub = next(a for a in parser._actions if a.dest == "command")  # noqa: SLF001
    p = sub.choices[command]
    assert p.description, command
    assert any("--db" in a.option_strings for a in p._actions)  # noqa: SLF001
