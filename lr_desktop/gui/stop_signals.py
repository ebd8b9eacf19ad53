"""SIGTERM and SIGINT (Ctrl+C in the terminal) close the window the way a user would,
without the question: a running sync is cancelled and waited for, and the demo's
temporary folder is removed. Without this the process died where it stood.

Python runs a signal handler only when it next runs Python code, which a window waiting
in Qt's event loop may not do for a long time; so the C-level handler writes the signal
to a socket (`signal.set_wakeup_fd`) that a QSocketNotifier watches.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Python-level handler: the work is done by the notifier's slot."""


class StopOnSignals(QObject):
    """Calls `stop` in the GUI thread when the process gets SIGTERM or SIGINT."""

    def __init__(self, stop: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = stop
        self._reader, self._writer = socket.socketpair()
        for sock in (self._reader, self._writer):
            sock.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._old_handlers = {sig: signal.signal(sig, _ignore) for sig in SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_signal)

    def _on_signal(self) -> None:
        try:
            got = self._reader.recv(64)
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
