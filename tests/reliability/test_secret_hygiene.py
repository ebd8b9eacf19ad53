"""Promise: the Project Passcode and Token appear nowhere but the keyring.

A full flow - `config set` with the secrets on stdin, an import with a rejections
export, syncs in both modes, a 401, a 500 storm, `config show`, `status`, an
attribution sync logged at DEBUG into the app's log file, and opening and closing
the main window - then every file under the test's folders (databases incl. -wal and
-shm, settings, logs, exports), every captured stdout/stderr and the sync
processes' command lines and environments are searched for both secrets: zero hits.
The keyring here is a file backend (tests/reliability/keyrings.py) standing in for
the OS keyring; its file is the one place the secrets may be, and it is not scanned.
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest

from lr_desktop.clevertap.config import Secrets, load_config, save_config
from lr_desktop.clevertap.credentials import effective_config, save_secrets
from lr_desktop.emulators.clevertap import CleverTapEmulator, Faults
from lr_desktop.paths import log_dir
from lr_desktop.store import connect, transaction
from lr_desktop.sync import run_sync
from tests.reliability.conftest import cli_env, record_figures, run_cli, spawn_cli, wait_for

PROJECT_ID = "HYG-000-0001"
PASSCODE = "pc-S3cr3t-7f1e9a"
TOKEN = "tk-S3cr3t-2b8c4d"
SECRETS = (PASSCODE, TOKEN)


def _csv(path: Path, n: int) -> Path:
    lines = ["user_id,attribution_type,ad_network,campaign_name,installed_at,platform,clevertap_id"]
    for i in range(n):
        organic = i % 3 == 0
        lines.append(
            f"u-{i:05d},{'ORGANIC' if organic else 'INORGANIC'},{'' if organic else 'META'},"
            f"{'' if organic else 'Summer Sale'},{1767225600 + i},android,ct-{i:05d}"
        )
    lines.append("u-bad,INORGANIC,META,x,not-a-date,android,ct-bad")  # one rejection
    path.write_text("\n".join(lines) + "\n")
    return path


def _hits(blob: bytes) -> list[str]:
    found = []
    for s in SECRETS:
        for form in {s, quote(s, safe="")}:
            if form.encode() in blob:
                found.append(s)
    return found


class Outputs:
    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def add(
        self, what: str, res: subprocess.CompletedProcess[str]
    ) -> subprocess.CompletedProcess[str]:
        self.items.append((f"{what} stdout", res.stdout.encode()))
        self.items.append((f"{what} stderr", res.stderr.encode()))
        return res


def _watch_sync(
    db: Path, env: dict[str, str], emu: CleverTapEmulator, out: Outputs, what: str
) -> int:
    """Run `sync --json`, reading its command line and environment while it runs."""
    before = emu.stats()["requests"]
    proc = spawn_cli(db, "sync", "--json", env=env)
    wait_for(
        lambda: proc.poll() is not None or emu.stats()["requests"] > before,
        timeout=60,
        what="the sync to reach CleverTap",
    )
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes()
        out.items.append((f"{what} /proc cmdline", cmdline))
        out.items.append((f"{what} /proc environ", environ))
    except FileNotFoundError:
        pytest.fail("the sync ended before its command line could be read")
    stdout, stderr = proc.communicate(timeout=120)
    out.items.append((f"{what} stdout", stdout.encode()))
    out.items.append((f"{what} stderr", stderr.encode()))
    return proc.returncode


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's own notice
def test_no_secret_leaks_anywhere(tmp_path: Path, qtbot, memory_keyring, caplog) -> None:  # type: ignore[no-untyped-def]
    keyring_dir = tmp_path / "os-keyring"  # stands in for the OS keyring: not scanned
    keyring_dir.mkdir()
    db = tmp_path / "data" / "lr.sqlite"
    exports = tmp_path / "exports"
    exports.mkdir()
    out = Outputs()
    emu = CleverTapEmulator({PROJECT_ID: (PASSCODE, TOKEN)}).start()
    try:
        emu.faults = Faults(latency=0.02)
        env = cli_env(
            PYTHON_KEYRING_BACKEND="tests.reliability.keyrings.FileKeyring",
            LR_TEST_KEYRING_FILE=str(keyring_dir / "secrets.json"),
            LR_CLEVERTAP_ENDPOINT=emu.url,
        )
        # 1. configuration through the CLI, secrets on stdin
        res = out.add(
            "config set",
            run_cli(
                db, "config", "set", "--project-id", PROJECT_ID, "--mode", "upload",
                "--token", "--passcode", env=env, input=f"token={TOKEN}\npasscode={PASSCODE}\n",
            ),
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        keep = connect(db)  # held open to the end, so the -wal file stays to be searched
        # 2. import through the CLI, with a rejections export
        res = out.add(
            "import",
            run_cli(
                db, "import", str(_csv(tmp_path / "linkrunner.csv", 300)),
                "--rejections", str(exports / "rejections.csv"), env=env,
            ),
        )  # fmt: skip
        assert res.returncode == 1, res.stderr  # one row rejected
        assert (exports / "rejections.csv").exists()
        # 3. sync in upload mode, then attribution mode (fresh events: re-imported users)
        assert _watch_sync(db, env, emu, out, "sync upload") == 0
        conn = connect(db)
        with transaction(conn):
            save_config(
                conn,
                replace(
                    load_config(conn),
                    mode="attribution",
                    partner_name="linkrunner",
                    max_retries=1,
                    backoff_base=0.01,
                    backoff_cap=0.05,
                ),
            )
            conn.execute("UPDATE installs SET status = 'queued'")
        conn.close()
        assert _watch_sync(db, env, emu, out, "sync attribution") == 0
        # 4. a 401 (wrong passcode given in the environment; the real token from the keyring)
        conn = connect(db)
        with transaction(conn):
            conn.execute("UPDATE installs SET status = 'queued'")
        conn.close()
        res = out.add(
            "sync 401",
            run_cli(db, "sync", "--json", env={**env, "LR_CLEVERTAP_PASSCODE": "wrong-one"}),
        )
        assert res.returncode == 2 and "401" in res.stderr
        # 5. a 500 storm in both modes: events end failed with a reason
        emu.faults = Faults(error_rate=1.0, error_statuses=(500,))
        res = out.add("sync 500 attribution", run_cli(db, "sync", "--json", env=env))
        assert res.returncode == 1
        conn = connect(db)
        with transaction(conn):
            save_config(conn, replace(load_config(conn), mode="upload"))
        conn.close()
        res = out.add("sync 500 upload", run_cli(db, "sync", "--json", env=env))
        assert res.returncode == 1
        emu.faults = Faults()
        # 6. config show, status
        for args in (
            ("config", "show"),
            ("config", "show", "--json"),
            ("status",),
            ("status", "--json"),
        ):
            res = out.add(" ".join(args), run_cli(db, *args, env=env))
            assert res.returncode == 0, res.stderr
        assert "set (hidden)" in out.items[-6][1].decode()  # config show saw both secrets
        # 7. an attribution sync in this process, logging at DEBUG into the app's log file
        from lr_desktop.logsetup import setup_logging

        log_path = setup_logging(log_dir())
        root = logging.getLogger()
        handlers = list(root.handlers)
        levels = {n: logging.getLogger(n).level for n in ("", "httpx", "httpcore")}
        caplog.set_level(logging.DEBUG)
        for n in ("httpx", "httpcore"):
            logging.getLogger(n).setLevel(logging.DEBUG)
        try:
            save_secrets(PROJECT_ID, Secrets(TOKEN, PASSCODE))  # in-process keyring
            conn = connect(db)
            cfg = replace(
                effective_config(conn),
                mode="attribution",
                partner_name="linkrunner",
                endpoint=emu.url,
                backoff_base=0.01,
                # step 5 flagged them; CleverTap holds step 3's copies: the check before
                # re-sending would confirm them instead of sending the requests logged here
                precheck=False,
            )
            conn.close()
            summary = run_sync(db, cfg)
            assert summary.delivered == 300
        finally:
            for h in root.handlers:
                if h not in handlers:
                    root.removeHandler(h)
                    h.close()
            for n, lvl in levels.items():
                logging.getLogger(n).setLevel(lvl)
        assert any("HTTP Request: GET" in r.getMessage() for r in caplog.records)
        assert any("[redacted]" in r.getMessage() for r in caplog.records)
        out.items.append(("caplog", caplog.text.encode()))
        out.items.extend(
            (f"log record {r.name}", (r.getMessage() + repr(r.args)).encode())
            for r in caplog.records
        )
        assert log_path.exists() and log_path.stat().st_size > 0
        # 8. open and close the main window on this database
        from lr_desktop.gui.main_window import MainWindow

        w = MainWindow(db)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitUntil(lambda: not w.events.model.is_loading and w.integrations.loaded_once)
        w.close()
    finally:
        emu.stop()

    # --- the search (the -wal is still there: `keep` is open) ---------------------------
    assert (db.parent / "lr.sqlite-wal").stat().st_size > 0
    scanned = 0
    leaks: list[str] = []
    for path in sorted(tmp_path.rglob("*")):
        if not path.is_file() or keyring_dir in path.parents:
            continue
        scanned += 1
        leaks += [f"{path.relative_to(tmp_path)}: {s}" for s in _hits(path.read_bytes())]
    for what, blob in out.items:
        leaks += [f"{what}: {s}" for s in _hits(blob)]
    names = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    keep.close()
    assert not leaks, leaks
    assert {"lr.sqlite", "lr.sqlite-wal", "rejections.csv", "lr-desktop.log"} <= names
    assert (keyring_dir / "secrets.json").read_text().count("S3cr3t") == 2  # they were stored
    record_figures(
        "secret_hygiene",
        files_scanned=scanned,
        outputs_scanned=len(out.items),
        hits=0,
    )
