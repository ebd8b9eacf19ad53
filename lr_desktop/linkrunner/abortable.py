"""Requests of an httpx.Client that a cancel ends at once.

A blocking request to a server that stopped answering waits for its read timeout (30 s
for Linkrunner), and the window's close waits with it. `make_abortable(client)` gives
the client's connection pools (its own and any proxy's from the environment) a network
backend whose `abort()`, called from any thread, shuts down every open connection: a
read or a TLS handshake blocked on one fails at once, and no new connection is opened
afterwards. A DNS lookup or a TCP connect in progress still runs to its own timeout.

httpx has no public way to choose httpcore's network backend, so this sets the pools';
tests/test_linkrunner_pull.py fails if that stops working.
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
    """A connection's stream, with a duplicate of its socket to shut down from another
    thread (TLS detaches the original socket object before its handshake)."""

    def __init__(self, inner: httpcore.NetworkStream, spare: socket.socket, owner: Aborter):
        self._inner = inner
        self.spare = spare
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
        try:
            self._inner = self._inner.start_tls(ssl_context, server_hostname, timeout)
        except BaseException:
            self.close()
            raise
        if self._owner.aborted:
            self.close()
            raise httpcore.ConnectError("cancelled")
        return self  # still tracked

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class Aborter(httpcore.NetworkBackend):
    """httpcore's blocking backend, plus `abort()`."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self._lock = threading.Lock()
        self._open: set[_TrackedStream] = set()
        self.aborted = False

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if self.aborted:
            raise httpcore.ConnectError("cancelled")
        inner = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        with self._lock:
            if not self.aborted:
                stream = _TrackedStream(inner, inner.get_extra_info("socket").dup(), self)
                self._open.add(stream)
                return stream
        inner.close()
        raise httpcore.ConnectError("cancelled")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)

    def forget(self, stream: _TrackedStream) -> None:
        with self._lock:  # never closed while abort() shuts it down: its fd can't be reused
            if stream in self._open:
                self._open.discard(stream)
                stream.spare.close()

    def abort(self) -> None:
        """End every request now, and refuse new connections."""
        with self._lock:
            self.aborted = True
            for stream in self._open:
                with contextlib.suppress(OSError):  # already closed by the peer
                    stream.spare.shutdown(socket.SHUT_RDWR)


def make_abortable(client: httpx.Client) -> Aborter | None:
    """Route `client`'s connections through an Aborter; None if httpx does not allow it
    (its requests then end at their timeouts)."""
    aborter = Aborter()
    transports = [client._transport, *client._mounts.values()]  # noqa: SLF001 - see module doc
    pools = [getattr(t, "_pool", None) for t in transports if t is not None]
    if not pools or not all(
        isinstance(p, httpcore.ConnectionPool) and hasattr(p, "_network_backend") for p in pools
    ):
        log.warning("Linkrunner requests cannot be cancelled mid-request with this httpx")
        return None
    for pool in pools:
        pool._network_backend = aborter  # noqa: SLF001
    return aborter
