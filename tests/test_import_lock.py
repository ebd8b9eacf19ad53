"""One import per database at a time (each file wins whole), and an import killed with
SIGKILL is shown as interrupted, not running forever. Real processes throughout."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lr_desktop.cli.main import main
from lr_desktop.importer.lock import WAITING_MESSAGE, lock_for
from lr_desktop.importer.run import CHUNK

ROOT = Path(__file__).parent.parent
HEADER = "user_id,clevertap_id,platform,attribution_type,ad_network,campaign_name,installed_at\n"


def users_file(path: Path, campaign: str, n: int) -> Path:
    path.write_text(
        HEADER
        + "".join(f"u{i},ct{i},android,INORGANIC,META,{campaign},2026-01-01\n" for i in range(n)),
        encoding="utf-8",
    )
    return path


def start_import(db_path: Path, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lr_desktop", "--db", str(db_path), "import", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def campaigns(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT campaign_name, count(*) FROM installs GROUP BY 1").fetchall()
    conn.close()
    return dict(rows)


def test_second_import_waits_and_says_so(db_path: Path, tmp_path: Path) -> None:
    path = users_file(tmp_path / "b.csv", "B", 10)
    lock = lock_for(db_path)
    lock.acquire()  # "another import" holds the database
    proc = start_import(db_path, path)
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().strip() == WAITING_MESSAGE
        assert not db_path.exists() or campaigns(db_path) == {}
    finally:
        lock.release()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "imported 10," in out
    assert campaigns(db_path) == {"B": 10}


PAUSING_CHILD = """
import sys
from pathlib import Path
from lr_desktop.importer import import_files, run

run.PROGRESS_EVERY = 0  # a progress report every 1,024 rows
paused = False

def pause_after_first_chunk(progress):
    global paused
    if not paused and progress.imported >= run.CHUNK:  # one chunk committed, more to come
        paused = True
        print("paused", flush=True)
        sys.stdin.readline()  # until the test says go on

import_files(Path(sys.argv[1]), [Path(sys.argv[2])], progress=pause_after_first_chunk)
"""


def test_two_concurrent_imports_never_mix(db_path: Path, tmp_path: Path) -> None:
    """Import A stops after its first chunk; import B of the same users starts meanwhile.
    B must wait (and say so) rather than land between A's chunks: A wins whole, then B."""
    n = CHUNK * 2 + 500
    a = users_file(tmp_path / "a.csv", "A", n)
    b = users_file(tmp_path / "b.csv", "B", n)
    first = subprocess.Popen(
        [sys.executable, "-c", PAUSING_CHILD, str(db_path), str(a)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert first.stdin is not None and first.stdout is not None
    assert first.stdout.readline().strip() == "paused"
    second = start_import(db_path, b)
    assert second.stderr is not None
    said = second.stderr.readline().strip()  # '' if it did not wait but ran to the end
    first.stdin.write("go\n")
    first.stdin.close()
    assert first.wait(timeout=300) == 0
    first.stdout.close()
    _out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert said == WAITING_MESSAGE
    assert campaigns(db_path) == {"B": n}  # never a mix of A and B


CHILD = """
import sys, time
from pathlib import Path
from lr_desktop.importer import import_files

total = int(sys.argv[3])

def hold(progress):
    if progress.rows_read == total:  # every row read and written; the run still open
        print("ready", flush=True)
        time.sleep(3600)

import_files(Path(sys.argv[1]), [Path(sys.argv[2])], progress=hold)
"""


def test_sigkilled_import_is_marked_interrupted(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = users_file(tmp_path / "a.csv", "A", 20)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path), str(path), "20"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert main(["--db", str(db_path), "status", "--json"]) == 0
        run = json.loads(capsys.readouterr().out)["recent_runs"][0]
        assert (run["kind"], run["state"]) == ("import", "running")  # alive: left alone
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        if child.stdout is not None:
            child.stdout.close()
    assert main(["--db", str(db_path), "status", "--json"]) == 0
    run = json.loads(capsys.readouterr().out)["recent_runs"][0]
    assert (run["kind"], run["state"]) == ("import", "interrupted")
    assert run["ended_at"] is not None and "stopped before it finished" in run["error"]
    assert campaigns(db_path) == {"A": 20}  # the rows it wrote are kept
