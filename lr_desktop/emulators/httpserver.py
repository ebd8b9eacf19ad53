"""A small asyncio HTTP/1.1 server for the bundled emulators (no Qt, stdlib only).

Keep-alive, Content-Length and chunked request bodies, one request at a time per
connection. Runs in a background thread with its own event loop (`start`/`stop`)
or in the foreground (`serve_forever`). Bounded: header block <= 64 KiB, bodies
<= `max_body` (413 above it), at most `max_connections` open connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import signal
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["DROP", "Handler", "HttpServer", "Request", "Response"]

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_CONNECTIONS = 1024


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes | dict[str, Any] | list[Any] | str = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self, keep_alive: bool) -> bytes:
        body = self.body
        headers = dict(self.headers)
        if isinstance(body, dict | list):
            body = json.dumps(body, separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        headers["Content-Length"] = str(len(body))
        headers["Connection"] = "keep-alive" if keep_alive else "close"
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Unknown"
        head = f"HTTP/1.1 {self.status} {reason}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return head.encode("latin-1") + b"\r\n" + body


class _Drop(Response):
    def __repr__(self) -> str:
        return "DROP"


DROP: Response = _Drop(status=0)
"""Return this from a handler to close the connection without answering."""

Handler = Callable[[Request], Awaitable[Response] | Response]


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class HttpServer:
    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body: int = MAX_BODY_BYTES,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.handler = handler
        self.host = host
        self._port = port
        self.max_body = max_body
        self.max_connections = max_connections
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- public API -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    def start(self) -> HttpServer:
        """Serve in a background thread; returns once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name=f"http-{self.host}", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            self._thread.join(5)
            self._thread = None
            raise self._error
        if not self._ready.is_set():
            raise RuntimeError("HTTP server did not start")
        return self

    def stop(self) -> None:
        """Close the listener and every open connection, then join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        self._thread = None

    def serve_forever(self, ready: Callable[[], None] | None = None) -> None:
        """Serve in the foreground until KeyboardInterrupt or SIGTERM; `ready` is called
        once listening (e.g. to print the URL)."""
        stopping = threading.Event()
        previous = None
        if threading.current_thread() is threading.main_thread():

            def _on_term(signum: int, frame: Any) -> None:
                stopping.set()

            previous = signal.signal(signal.SIGTERM, _on_term)
        self.start()
        try:
            if ready is not None:
                ready()
            while not stopping.wait(0.5):  # short waits keep Ctrl+C responsive on Windows
                if self._thread is None or not self._thread.is_alive():
                    break
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- event loop -------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(
                        self._on_connect, self.host, self._port, limit=MAX_HEADER_BYTES
                    )
                )
            except BaseException as exc:  # e.g. port in use: report to start()
                self._error = exc
                self._ready.set()
                return
            self._port = self._server.sockets[0].getsockname()[1]
            self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if len(self._writers) >= self.max_connections:
            writer.write(Response(503, "too many connections").encode(False))
            writer.close()
            return
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._serve_connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # client closed between requests
            except asyncio.LimitOverrunError:
                writer.write(Response(431, "request header too large").encode(False))
                await writer.drain()
                return
            try:
                request, keep_alive = await self._read_request(head, reader, writer)
            except _BadRequest as exc:
                writer.write(Response(exc.status, str(exc)).encode(False))
                await writer.drain()
                return
            try:
                result = self.handler(request)
                response = await result if inspect.isawaitable(result) else result
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a handler bug must not kill the server
                response = Response(500, f"handler error: {type(exc).__name__}: {exc}")
            if not isinstance(response, Response):
                response = Response(500, f"handler returned {type(response).__name__}")
            if isinstance(response, _Drop):
                writer.transport.abort()
                return
            writer.write(response.encode(keep_alive))
            await writer.drain()
            if not keep_alive:
                return

    async def _read_request(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[Request, bool]:
        try:
            text = head.decode("latin-1")
            lines = text.split("\r\n")
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise _BadRequest(400, "malformed request line") from None
        if not version.startswith("HTTP/1."):
            raise _BadRequest(505, "HTTP version not supported")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequest(400, "malformed header")
            name = name.lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        connection = headers.get("connection", "").lower()
        if version == "HTTP/1.0":
            keep_alive = "keep-alive" in connection
        else:
            keep_alive = "close" not in connection
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await self._read_body(headers, reader)
        split = urlsplit(target)
        request = Request(
            method=method.upper(),
            path=unquote(split.path) or "/",
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            body=body,
        )
        return request, keep_alive

    async def _read_body(self, headers: dict[str, str], reader: asyncio.StreamReader) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await self._read_chunked(reader)
        raw = headers.get("content-length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError:
            raise _BadRequest(400, "bad Content-Length") from None
        if length < 0:
            raise _BadRequest(400, "bad Content-Length")
        if length > self.max_body:
            raise _BadRequest(413, f"body larger than {self.max_body} bytes")
        return await reader.readexactly(length) if length else b""

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            try:
                line = await reader.readuntil(b"\r\n")
                size = int(line.split(b";", 1)[0].strip(), 16)
            except (ValueError, asyncio.LimitOverrunError):
                raise _BadRequest(400, "bad chunk") from None
            if size == 0:
                break
            total += size
            if total > self.max_body:
                raise _BadRequest(413, f"body larger than {self.max_body} bytes")
            parts.append(await reader.readexactly(size))
            if await reader.readexactly(2) != b"\r\n":
                raise _BadRequest(400, "bad chunk")
        while True:  # trailers
            try:
                line = await reader.readuntil(b"\r\n")
            except asyncio.LimitOverrunError:
                raise _BadRequest(431, "trailer too large") from None
            if line == b"\r\n":
                break
        return b"".join(parts)
