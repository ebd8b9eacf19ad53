"""A listener on another loopback address standing in for a proxy from the environment.

It records every byte it receives, answers `502 Bad Gateway` once it has a request
head, and closes: a request that reaches it fails, and the test can read what it saw.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class StandInProxy:
    def __init__(self, host: str = "127.0.0.2") -> None:
        self._sock = socket.create_server((host, 0))
        self._sock.settimeout(0.2)
        self.url = f"http://{host}:{self._sock.getsockname()[1]}"
        self.connections = 0
        self._received = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def received(self) -> bytes:
        with self._lock:
            return bytes(self._received)

    def env(self) -> dict[str, str]:
        """Every proxy variable, both spellings, pointing here (and no NO_PROXY)."""
        return dict.fromkeys(PROXY_VARS, self.url)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                head += chunk
                with self._lock:
                    self._received += chunk
            conn.sendall(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        except OSError:
            pass
        finally:
            conn.close()

    def start(self) -> StandInProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


@contextmanager
def stand_in_proxy() -> Iterator[StandInProxy]:
    proxy = StandInProxy().start()
    try:
        yield proxy
    finally:
        proxy.stop()
