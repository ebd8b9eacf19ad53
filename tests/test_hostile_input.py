"""Careless or hostile input through the CLI: a clear message, the documented exit code
(2 for unusable input), nothing damaged."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lr_desktop.cli.main import main as _main

BROKEN_PIPE_EXIT = 141  # as a SIGPIPE-killed tool exits (cli.main.BROKEN_PIPE_EXIT)

ROOT = Path(__file__).parent.parent
HEADER = "user_id,clevertap_id,platform,attribution_type,installed_at\n"
GOOD = "ok,ct-ok,ios,ORGANIC,2026-01-01\n"


def main(argv: list[str]) -> int:
    """The CLI in-process; `SystemExit(n)` (how open_db stops a command) counts as n."""
    try:
        return _main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def lr(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lr_desktop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        **kw,  # type: ignore[arg-type]
    )


def csv_file(tmp_path: Path, rows: str, name: str = "a.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def stored(db_path: Path, sql: str = "SELECT user_id, installed_at FROM installs") -> list:
    with sqlite3.connect(db_path) as conn:
        return sorted(conn.execute(sql).fetchall())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- --rejections PATH --------------------------------------------------------------------


def _import_with_rejections(db_path: Path, tmp_path: Path, target: Path, capsys) -> tuple:
    path = csv_file(tmp_path, GOOD + "bad,ct,ios,ORGANIC,yesterday\n")
    code = main(["--db", str(db_path), "import", str(path), "--rejections", str(target)])
    return code, capsys.readouterr()


def test_rejections_refuses_a_symlink(db_path: Path, tmp_path: Path, capsys) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me", encoding="utf-8")
    link = tmp_path / "rej.csv"
    link.symlink_to(victim)
    code, out = _import_with_rejections(db_path, tmp_path, link, capsys)
    assert code == 2
    assert "is a symbolic link" in out.err and "nothing was imported" in out.err
    assert link.is_symlink() and victim.read_text(encoding="utf-8") == "keep me"
    assert not db_path.exists() or stored(db_path) == []


def test_rejections_refuses_a_fifo(db_path: Path, tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "rej.fifo"
    os.mkfifo(fifo)
    code, out = _import_with_rejections(db_path, tmp_path, fifo, capsys)
    assert code == 2 and "not a regular file" in out.err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_rejections_refuses_a_device_node(db_path: Path, tmp_path: Path, capsys) -> None:
    """As root, `--rejections /dev/full` used to become a regular file. The test makes its
    own node (the same device as /dev/full) so a regression cannot damage the system's."""
    node = tmp_path / "full"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("creating a device node needs root (CAP_MKNOD)")
    code, out = _import_with_rejections(db_path, tmp_path, node, capsys)
    assert code == 2 and f"{node} is not a regular file" in out.err
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_rejections_folder_or_missing_folder_is_a_message(
    db_path: Path, tmp_path: Path, capsys
) -> None:
    code, out = _import_with_rejections(db_path, tmp_path, tmp_path, capsys)
    assert code == 2 and "is a folder" in out.err and "Traceback" not in out.err
    code, out = _import_with_rejections(db_path, tmp_path, tmp_path / "no" / "r.csv", capsys)
    assert code == 2 and "does not exist" in out.err
    assert not (tmp_path / "no").exists()


def test_rejections_replaces_a_regular_file(db_path: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "rej.csv"
    target.write_text("old", encoding="utf-8")
    code, out = _import_with_rejections(db_path, tmp_path, target, capsys)
    assert code == 1 and "rejected rows saved" in out.out
    assert "yesterday" in target.read_text(encoding="utf-8-sig")
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []


# --- tracebacks that must be messages -------------------------------------------------------


def test_json_number_over_python_digit_limit(db_path: Path, tmp_path: Path, capsys) -> None:
    record = '{"user_id": %s, "platform": "ios", "attribution_type": "ORGANIC", "installed_at": %s}'
    path = tmp_path / "big.json"
    path.write_text(
        "["
        + ", ".join(
            [
                record % ("9" * 5000, '"2026-01-01"'),
                record % ('"u2"', "1" * 5000),
                record % ('"u3"', '"2026-01-01"'),
            ]
        )
        + "]",
        encoding="utf-8",
    )
    code = main(["--db", str(db_path), "import", "--json", str(path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and (report["imported"], report["rejected"]) == (1, 2)
    reasons = [r["reason"] for r in report["rejections"]]
    assert "user_id is a number with 5,000 digits" in reasons[0]
    assert "installed_at is a number with 5,000 digits, not a date" in reasons[1]
    # the same in a CSV cell
    csv_path = csv_file(tmp_path, "u4,ct,ios,ORGANIC," + "7" * 5000 + "\n", "big.csv")
    assert main(["--db", str(db_path), "import", str(csv_path)]) == 1
    assert "5,000 digits" in capsys.readouterr().out


def test_fifo_input_is_refused_without_hanging(db_path: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "users.csv"
    os.mkfifo(fifo)  # no writer: opening it would block forever
    proc = lr("--db", str(db_path), "import", str(fifo))
    assert proc.returncode == 2, proc.stderr
    assert "users.csv: this is a pipe" in proc.stderr and "Traceback" not in proc.stderr


def test_piped_stdin_is_refused(db_path: Path, tmp_path: Path) -> None:
    proc = lr("--db", str(db_path), "import", "/dev/stdin", input=HEADER + GOOD)
    assert proc.returncode == 2, proc.stderr
    assert "this is a pipe" in proc.stderr and "Traceback" not in proc.stderr


def test_status_on_a_corrupt_page(db_path: Path, tmp_path: Path, capsys) -> None:
    rows = "".join(f"u{i},ct{i},ios,ORGANIC,2026-01-01\n" for i in range(3000))
    assert main(["--db", str(db_path), "import", str(csv_file(tmp_path, rows))]) == 0
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'installs'").fetchone()
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    capsys.readouterr()
    with db_path.open("r+b") as fh:  # the installs table's root page becomes garbage
        fh.seek((root[0] - 1) * size)
        fh.write(b"\xff" * size)
    assert main(["--db", str(db_path), "status"]) == 2
    err = capsys.readouterr().err
    assert "is damaged" in err and "malformed" in err


def test_status_into_a_closed_pipe(db_path: Path, tmp_path: Path) -> None:
    """`lr-desktop status | head -1`: the reader is gone before the first line."""
    assert main(["--db", str(db_path), "import", str(csv_file(tmp_path, GOOD))]) == 0
    read_end, write_end = os.pipe()
    os.close(read_end)  # closed before the child starts: every write meets EPIPE
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "lr_desktop", "--db", str(db_path), "status"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == BROKEN_PIPE_EXIT


# --- dates -----------------------------------------------------------------------------------


def test_dates_plausible_window(db_path: Path, tmp_path: Path, capsys) -> None:
    import time

    soon = int(time.time()) + 3600
    rows = [
        "y,ct,ios,ORGANIC,2026",
        "c,ct,ios,ORGANIC,20260101",
        "t,ct,ios,ORGANIC,20260101T120000Z",
        "f1,ct,ios,ORGANIC,2200-01-01",
        "f2,ct,ios,ORGANIC,2286-11-20T17:46:39Z",
        "f3,ct,ios,ORGANIC,9999999999",
        "z,ct,ios,ORGANIC,0",
        "ms,ct,ios,ORGANIC,1767225600000",
        "old,ct,ios,ORGANIC,2009-12-31",
        f"soon,ct,ios,ORGANIC,{soon}",
    ]
    path = csv_file(tmp_path, "\n".join(rows) + "\n")
    assert main(["--db", str(db_path), "import", str(path)]) == 1
    out = capsys.readouterr().out
    assert "a.csv:2 user y: installed_at 2026 is not a plausible install time" in out
    assert "1970-01-01 00:33 UTC" in out
    assert "a.csv:5 user f1: installed_at 2200-01-01 is in the future" in out
    assert "a.csv:6 user f2:" in out and "a.csv:7 user f3:" in out
    assert "a.csv:8 user z: installed_at 0 is not a plausible install time" in out
    assert "before 1970" not in out
    assert "a.csv:9 user ms: installed_at 1767225600000 looks like milliseconds" in out
    assert "a.csv:10 user old: installed_at 2009-12-31 is before 2010-01-01" in out
    assert "a.csv: 1 row has an install time in the future (row 11); imported" in out
    assert stored(db_path) == [("c", 1767225600), ("soon", soon), ("t", 1767268800)]


# --- CleverTap IDs and numeric ids -----------------------------------------------------------


def test_clevertap_ids_with_whitespace_or_control_characters(
    db_path: Path, tmp_path: Path, capsys
) -> None:
    rows = (
        GOOD
        + "sp,ab cd,ios,ORGANIC,2026-01-01\n"
        + "tab,ab\tcd,ios,ORGANIC,2026-01-01\n"
        + 'nl,"ab\ncd",ios,ORGANIC,2026-01-01\n'
        + "nul,ab\x00cd,ios,ORGANIC,2026-01-01\n"
    )
    path = csv_file(tmp_path, rows)
    assert main(["--db", str(db_path), "import", "--json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    reasons = {r["user_id"]: r["reason"] for r in report["rejections"]}
    assert set(reasons) == {"sp", "tab", "nl", "nul"}
    assert "clevertap_id contains a space at character 3" in reasons["sp"]
    assert "a tab" in reasons["tab"] and "a line break" in reasons["nl"]
    assert "a NUL character" in reasons["nul"] and "526" in reasons["nul"]
    assert stored(db_path) == [("ok", 1767225600)]


def test_imprecise_json_ids_and_duplicate_keys(db_path: Path, tmp_path: Path, capsys) -> None:
    base = '"platform": "ios", "attribution_type": "ORGANIC", "installed_at": "2026-01-01"'
    path = tmp_path / "ids.jsonl"
    path.write_text(
        f'{{"user_id": 9007199254740992, {base}}}\n'
        f'{{"user_id": 9007199254740993.0, {base}}}\n'
        f'{{"user_id": 12.5, {base}}}\n'
        f'{{"user_id": "dup", "platform": "android", {base}}}\n',
        encoding="utf-8",
    )
    assert main(["--db", str(db_path), "import", "--json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    reasons = [(r["row"], r["reason"]) for r in report["rejections"]]
    assert reasons[0][0] == 2 and "too large to be read exactly" in reasons[0][1]
    assert reasons[1][0] == 3 and "12.5 is not a whole number" in reasons[1][1]
    assert "ids.jsonl: line 4 has the key 'platform' more than once" in " ".join(report["warnings"])
    assert stored(db_path) == [("9007199254740992", 1767225600), ("dup", 1767225600)]


# --- unknown columns (issue 12) --------------------------------------------------------------


def test_unknown_and_misspelt_columns_are_named(db_path: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "user_id,platform,attribution_type,installed_at,campain_name,Ad Netwrk,colour\n"
        "u1,ios,INORGANIC,2026-01-01,Summer,META,red\n",
        encoding="utf-8",
    )
    assert main(["--db", str(db_path), "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "warning: a.csv: column 'campain_name' is not a Linkrunner column this app knows "
        "and was ignored; did you mean 'campaign_name'?" in out
    )
    assert "column 'ad_netwrk'" in out and "did you mean 'ad_network'?" in out
    assert "column 'colour' is not a Linkrunner column this app knows and was ignored\n" in out
    jl = tmp_path / "b.jsonl"
    jl.write_text(
        '{"user_id": "u2", "platform": "ios", "attribution_type": "ORGANIC", '
        '"installed_at": "2026-01-01", "campaign_nmae": "x", "user_data": {"id": "u2"}}\n',
        encoding="utf-8",
    )
    assert main(["--db", str(db_path), "import", "--json", str(jl)]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert warnings == [
        "b.jsonl: field 'campaign_nmae' (line 1) is not a Linkrunner field this app knows "
        "and was ignored; did you mean 'campaign_name'?"
    ]


# --- databases -------------------------------------------------------------------------------


def test_status_leaves_another_programs_database_alone(tmp_path: Path, capsys) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    before = sha(other)
    assert main(["--db", str(other), "status"]) == 2
    assert "is an SQLite database of another program" in capsys.readouterr().err
    path = csv_file(tmp_path, GOOD)
    assert main(["--db", str(other), "import", str(path)]) == 2
    assert sha(other) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other")) == [
        "other.sqlite"
    ]


def test_status_on_an_empty_file_creates_the_database(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "new.sqlite"
    empty.touch()
    assert main(["--db", str(empty), "status"]) == 0
    assert "attributed users: 0" in capsys.readouterr().out
    assert ("installs",) in stored(empty, "SELECT name FROM sqlite_master WHERE type = 'table'")


def test_status_in_a_missing_folder_creates_nothing(tmp_path: Path, capsys) -> None:
    path = tmp_path / "nowhere" / "lr.sqlite"
    assert main(["--db", str(path), "status"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()
