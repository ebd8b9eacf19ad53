"""An httpx transport whose requests a cancel ends at once.

A blocking request to a server that stopped answering waits for its read timeout (30 s
for Linkrunner), and the window's close waits with it. `AbortableTransport.abort()`,
called from any thread, shuts down the sockets of its open connections: a read blocked
on one fails at once (httpx.ReadError), and no new connection is opened afterwards.

httpx has no public way to choose httpcore's network backend, so the transport sets its
connection pool's; tests/test_linkrunner_client.py fails if that stops working.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

log = logging.getLogger(__name__)


class _TrackedStream(httpcore.NetworkStream):
    """A connection's stream that its backend can shut down from another thread."""

    def __init__(self, inner: httpcore.NetworkStream, owner: _AbortableBackend) -> None:
        self._inner = inner
        self._owner = owner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._owner.forget(self)
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        self._inner = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return self  # still tracked: the TLS socket is the one to shut down now

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def shutdown(self) -> None:
        sock = self._inner.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed or never connected
                sock.shutdown(socket.SHUT_RDWR)


class _AbortableBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self._lock = threading.Lock()
        self._open: set[_TrackedStream] = set()
        self._aborted = False

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if self._aborted:
            raise httpcore.ConnectError("cancelled")
        stream = _TrackedStream(
            self._inner.connect_tcp(host, port, timeout, local_address, socket_options), self
        )
        with self._lock:
            if not self._aborted:
                self._open.add(stream)
                return stream
        stream.close()
        raise httpcore.ConnectError("cancelled")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)

    def forget(self, stream: _TrackedStream) -> None:
        with self._lock:
            self._open.discard(stream)

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            streams = list(self._open)
        for stream in streams:
            stream.shutdown()


class AbortableTransport(httpx.HTTPTransport):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._backend = _AbortableBackend()
        pool = getattr(self, "_pool", None)
        if isinstance(pool, httpcore.ConnectionPool) and hasattr(pool, "_network_backend"):
            pool._network_backend = self._backend
        else:  # a proxy, or httpx/httpcore changed: requests then end at their timeout
            log.warning("Linkrunner requests cannot be cancelled mid-request with this httpx")

    def abort(self) -> None:
        """End every request of this transport now, and refuse new ones."""
        self._backend.abort()
