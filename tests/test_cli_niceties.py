"""CLI output a marketer reads: import progress ends at 100%, import runs say
imported/updated/rejected in `status`, runs are named as a marketer reads them,
"1 user" (not "1 users"), no zero summary before a file-not-found error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lr_desktop.cli.main import main
from lr_desktop.run_labels import run_label
from lr_desktop.words import plural

HEADER = "user_id,clevertap_id,platform,attribution_type,ad_network,campaign_name,installed_at\n"


def _csv(tmp_path: Path, n: int, name: str = "a.csv") -> Path:
    path = tmp_path / name
    rows = "".join(f"u{i},ct{i},ios,ORGANIC,,,{1767225600 + i}\n" for i in range(n))
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_import_progress_ends_at_100_percent(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # progress only on a terminal
    path = _csv(tmp_path, 3000)
    assert main(["--db", str(db_path), "import", str(path)]) == 0
    last = capsys.readouterr().err.strip().split("\r")[-1]
    assert last == "a.csv: 3,000 rows read (100%)", last


def test_status_names_runs_and_says_imported_updated_rejected(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path, 3)
    assert main(["--db", str(db_path), "import", str(path)]) == 0
    path.write_text(
        path.read_text(encoding="utf-8").replace("u1,ct1,ios", "u1,ct1,android")
        + "bad,ct-x,ios,ORGANIC,,,1767225600000\n",
        encoding="utf-8",
    )
    assert main(["--db", str(db_path), "import", str(path)]) == 1
    capsys.readouterr()
    assert main(["--db", str(db_path), "status"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip().startswith("#")]
    assert "File import" in lines[0] and "imported 0, updated 1, rejected 1" in lines[0], lines
    assert "imported 3, updated 0, rejected 0" in lines[1], lines
    assert "delivered" not in lines[0]


def test_run_names_are_one_core_mapping() -> None:
    assert run_label("send") == "Send pending"
    assert run_label("sync", "upload") == "Full sync"
    assert run_label("sync", "upload", "re-send 3 delivered users") == "Re-send"
    assert run_label("import", "mapping") == "ID mapping"
    assert run_label("pull", "api") == "Linkrunner pull"


def test_one_user_not_one_users(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plural(1, "user") == "1 user" and plural(2_000, "user") == "2,000 users"
    assert main(["--db", str(db_path), "import", str(_csv(tmp_path, 1))]) == 0
    ids = tmp_path / "ids.csv"
    ids.write_text("user_id,clevertap_id\nu0,ct-new\nnobody,ct-z\n", encoding="utf-8")
    main(["--db", str(db_path), "map-ids", str(ids)])
    out = capsys.readouterr().out
    assert "1 user got their CleverTap ID" in out and "1 unknown user," in out, out
    assert "1 users" not in out


def test_no_zero_summary_before_a_missing_file(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", str(db_path), "import", str(tmp_path / "nope.csv")])
    captured = capsys.readouterr()
    assert code == 2
    assert "nope.csv" in captured.err
    assert "imported 0" not in captured.out, captured.out
