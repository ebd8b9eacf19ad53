"""Start the CleverTap emulator in a child process (`lr-desktop emulator`), with its own
GIL: for benchmarks and tests that must not share the engine's."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterable

from lr_desktop.emulators.clevertap import DEMO_ACCOUNT
from lr_desktop.emulators.clevertap_control import EmulatorControl

__all__ = ["EmulatorProcess", "run_in_subprocess"]


class EmulatorProcess:
    """An emulator started with `lr-desktop emulator` in a child process."""

    def __init__(self, proc: subprocess.Popen[str], url: str, reader: threading.Thread) -> None:
        self.proc = proc
        self.url = url
        self.control = EmulatorControl(url)
        self._reader = reader

    def stop(self) -> None:
        self.control.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(10)
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_subprocess(
    accounts: Iterable[tuple[str, str, str]] = (DEMO_ACCOUNT,),
    extra_args: Iterable[str] = (),
    timeout: float = 30.0,
) -> EmulatorProcess:
    """Start `python -m lr_desktop emulator --port 0` and wait for its URL (own GIL: for
    benchmarks). Set faults/settings afterwards through `.control`."""
    cmd = [sys.executable, "-u", "-m", "lr_desktop", "emulator", "--port", "0"]
    for acc in accounts:
        cmd += ["--account", ":".join(acc)]
    cmd += list(extra_args)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    found: list[str] = []
    ready = threading.Event()
    assert proc.stdout is not None
    stdout = proc.stdout

    def read_output() -> None:  # keeps draining so the child never blocks on a full pipe
        for line in stdout:
            m = None if found else re.search(r"http://127\.0\.0\.1:\d+", line)
            if m:
                found.append(m.group(0))
                ready.set()
        ready.set()

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    ready.wait(timeout)
    if not found:
        proc.kill()
        proc.wait(10)
        reader.join(10)
        raise RuntimeError("the emulator process did not report its URL")
    return EmulatorProcess(proc, found[0], reader)
