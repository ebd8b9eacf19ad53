"""`lr-desktop import`: counts, numbered rejections, JSON output, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lr_desktop.cli.main import main

BAD = Path(__file__).parent / "data" / "bad"
HEADER = "user_id,clevertap_id,platform,attribution_type,ad_network,campaign_name,installed_at\n"


def test_counts_and_exit_0(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "u1,ct1,ios,ORGANIC,,,1767225600\n", encoding="utf-8")
    assert main(["--db", str(db_path), "import", str(path)]) == 0
    assert "imported 1, updated 0, unchanged 0, rejected 0" in capsys.readouterr().out
    assert main(["--db", str(db_path), "import", str(path)]) == 0
    assert "imported 0, updated 0, unchanged 1, rejected 0" in capsys.readouterr().out


def test_rejections_listed_with_file_and_row(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "".join(f"u{i},ct{i},ios,ORGANIC,,,{1767225600000 + i}\n" for i in range(25))
    path = tmp_path / "ms.csv"
    path.write_text(HEADER + "ok,ct,ios,ORGANIC,,,1767225600\n" + bad, encoding="utf-8")
    saved = tmp_path / "rejected.csv"
    code = main(["--db", str(db_path), "import", str(path), "--rejections", str(saved)])
    out = capsys.readouterr().out
    assert code == 1
    assert "imported 1, updated 0, unchanged 0, rejected 25" in out
    assert "ms.csv:3 user u0: installed_at 1767225600000 looks like milliseconds" in out
    assert "... and 5 more" in out
    assert len(saved.read_text(encoding="utf-8-sig").splitlines()) == 26


def test_unusable_file_exit_2(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["--db", str(db_path), "import", str(BAD / "missing_column.csv"), str(BAD / "bom.csv")]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert "missing_column.csv: the required column platform is missing" in captured.err
    assert "imported 2" in captured.out


def test_json_output(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", str(db_path), "import", "--json", str(BAD / "broken_line.jsonl")])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["exit_code"] == 1
    assert (report["imported"], report["rejected"]) == (2, 1)
    assert report["rejections"][0]["row"] == 2 and report["rejections"][0]["unit"] == "line"


def test_real_subprocess(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"user_id": "u1", "platform": "iOS", "attribution_type": "organic", "installed_at": "2026-01-01"}\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "lr_desktop", "--db", str(db_path), "import", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )
    assert proc.returncode == 0, proc.stderr
    assert "imported 1, updated 0, unchanged 0, rejected 0" in proc.stdout
    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "lr_desktop",
            "--db",
            str(db_path),
            "import",
            str(tmp_path / "none.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )
    assert status.returncode == 2 and "none.csv: the file does not exist" in status.stderr
