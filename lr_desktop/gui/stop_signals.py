"""SIGTERM and SIGINT (Ctrl+C in the terminal) close the window the way a user would,
without the question: a running sync is cancelled and waited for, and the demo's
temporary folder is removed. Without this the process died where it stood.

Python runs a signal handler only when it next runs Python code, which a window waiting
in Qt's event loop may not do for a long time; so the C-level handler writes the signal
to a pipe (`signal.set_wakeup_fd`) that a QSocketNotifier watches. On Windows, where
the wakeup fd must be a socket, a socket pair (the `socket` module costs the window's
start-up ~7-13 ms of import time, so POSIX uses os.pipe).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _End:
    """One end of the wakeup channel, non-blocking: a pipe's fd, or a socket (Windows)."""

    def __init__(self, fd: int, sock: Any = None) -> None:
        self.fd, self._sock = fd, sock

    def fileno(self) -> int:
        return self.fd

    def read(self, n: int) -> bytes:
        return bytes(self._sock.recv(n)) if self._sock is not None else os.read(self.fd, n)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        else:
            os.close(self.fd)


def _wakeup_pair() -> tuple[_End, _End]:
    """(reader, writer)."""
    if sys.platform == "win32":
        import socket

        socks = socket.socketpair()
        for sock in socks:
            sock.setblocking(False)
        return _End(socks[0].fileno(), socks[0]), _End(socks[1].fileno(), socks[1])
    ends = os.pipe()
    for fd in ends:
        os.set_blocking(fd, False)
    return _End(ends[0]), _End(ends[1])


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Python-level handler: the work is done by the notifier's slot."""


class StopOnSignals(QObject):
    """Calls `stop` in the GUI thread when the process gets SIGTERM or SIGINT."""

    def __init__(self, stop: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = stop
        self._reader, self._writer = _wakeup_pair()
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._old_handlers = {sig: signal.signal(sig, _ignore) for sig in SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_signal)

    def _on_signal(self) -> None:
        try:
            got = self._reader.read(64)
        except BlockingIOError:
            return
        if any(b in SIGNALS for b in got):
            # A second signal ends the process at once, as usual, if closing hangs.
            for sig in SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            self._stop()

    def remove(self) -> None:
        """Put back the handlers that were there before (tests; the end of `run`)."""
        self._notifier.setEnabled(False)
        try:
            for sig, old in self._old_handlers.items():
                # None: a handler not set from Python; the default is the closest match
                signal.signal(sig, signal.SIG_DFL if old is None else old)
            signal.set_wakeup_fd(self._old_fd)
        finally:
            self._reader.close()
            self._writer.close()
