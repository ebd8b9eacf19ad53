"""Run the installed build as a user would: `python packaging/smoke.py [/usr/bin/lr-desktop]`

Through the frozen program only (no Python of ours in between): `--version`; the bundled
CleverTap emulator; `import` of a CSV and `sync --json` against it; the Linkrunner key
stored in and read back from the keyring (a real Secret Service when one runs: the frozen
build must carry keyring's backends); the window offscreen in the demo, one Sync run to
completion, and a clean exit. Exit code 0 only if every step passed.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = ("SMOKE-TEST-1", "smoke-passcode-1", "smoke-token-1")
USERS = 60


def _version() -> str:
    text = (ROOT / "lr_desktop" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__ = "([^"]+)"', text).group(1)  # type: ignore[union-attr]


def _write_csv(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["user_id", "clevertap_id", "platform", "attribution_type", "ad_network",
                    "campaign_name", "installed_at"])  # fmt: skip
        for i in range(USERS):
            organic = i % 3 == 0
            w.writerow([f"smoke-{i:04d}", f"ct-smoke-{i:04d}", "android",
                        "organic" if organic else "inorganic", "" if organic else "google_ads",
                        "" if organic else "Smoke", 1767225600 + i])  # fmt: skip


def main(argv: list[str]) -> int:
    program = argv[0] if argv else "/usr/bin/lr-desktop"
    work = Path(tempfile.mkdtemp(prefix="lr-desktop-smoke-"))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "LR_DESKTOP_DB": str(work / "smoke.sqlite"),
        **{f"XDG_{k}_HOME": str(work / k.lower()) for k in ("CONFIG", "DATA", "STATE", "CACHE")},
    }
    failures: list[str] = []

    def run(*args: str, stdin: str = "", timeout: float = 180) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([program, *args], env=env, input=stdin, capture_output=True,
                              text=True, timeout=timeout)  # fmt: skip
        print(f"$ lr-desktop {' '.join(args)}  -> exit {done.returncode}", flush=True)
        return done

    def check(ok: bool, what: str, done: subprocess.CompletedProcess[str]) -> None:
        if not ok:
            failures.append(what)
            print(f"  FAILED: {what}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}", flush=True)

    done = run("--version")
    check(done.stdout.strip() == f"lr-desktop {_version()}", "--version", done)

    emulator = subprocess.Popen(
        [program, "emulator", "--port", "0", "--account", ":".join(ACCOUNT)],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert emulator.stdout is not None
        url = ""
        for line in emulator.stdout:
            m = re.search(r"http://127\.0\.0\.1:\d+", line)
            if m:
                url = m.group(0)
                break
        if not url:
            failures.append("the bundled emulator did not start")
        else:
            env.update(
                LR_CLEVERTAP_PROJECT_ID=ACCOUNT[0],
                LR_CLEVERTAP_PASSCODE=ACCOUNT[1],
                LR_CLEVERTAP_PROJECT_TOKEN=ACCOUNT[2],
                LR_CLEVERTAP_ENDPOINT=url,
            )
            data = work / "attributed.csv"
            _write_csv(data)
            done = run("import", str(data))
            check(done.returncode == 0 and f"imported {USERS}" in done.stdout, "import", done)
            done = run("sync", "--json")
            summary = json.loads(done.stdout or "{}") if done.returncode == 0 else {}
            check(summary.get("delivered") == USERS, f"sync delivered {USERS}", done)
            with urllib.request.urlopen(f"{url}/_emulator/stats", timeout=10) as answer:
                stats = answer.read().decode()
            print(f"  emulator: {stats[:300]}")
    finally:
        emulator.terminate()
        emulator.wait(20)

    if os.environ.get("LR_REAL_KEYRING"):  # a Secret Service runs (scripts/with-keyring)
        done = run("linkrunner-key", "set", stdin="smoke-linkrunner-key\n")
        check(done.returncode == 0 and "saved in" in done.stdout, "keyring: store a key", done)
        done = run("linkrunner-key", "show")
        check(done.returncode == 0 and ": set (" in done.stdout, "keyring: find it again", done)
        run("linkrunner-key", "clear")

    done = run("gui", "--demo", "--smoke-sync")
    check(
        done.returncode == 0 and "smoke-sync: delivered" in done.stdout, "window: demo sync", done
    )

    print("smoke: " + ("all passed" if not failures else "FAILED: " + "; ".join(failures)))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
