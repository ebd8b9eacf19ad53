"""The emulators' small HTTP/1.1 server, over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import httpx
import pytest

from lr_desktop.emulators.httpserver import DROP, HttpServer, Request, Response


async def handler(req: Request) -> Response:
    if req.path == "/drop":
        return DROP
    if req.path == "/boom":
        raise ValueError("bad handler")
    if req.path == "/text":
        return Response(201, "hello", {"X-Extra": "1"})
    if req.path == "/sleep":
        await asyncio.sleep(0.01)
    return Response(
        200,
        {
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "len": len(req.body),
            "x": req.headers.get("x-a"),
            "json": req.json() if req.body[:1] == b"{" else None,
        },
    )


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer(handler, max_body=1000) as s:
        yield s


def raw(server: HttpServer, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sk:
        sk.sendall(data)
        chunks = []
        while chunk := sk.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_roundtrip_keepalive(server: HttpServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}"
    with httpx.Client(base_url=server.url) as c:
        for i in range(50):
            r = c.post(f"/a%20b?x={i}&y=", json={"i": i}, headers={"X-A": "v"})
            assert r.json() == {
                "method": "POST",
                "path": "/a b",
                "query": {"x": [str(i)], "y": [""]},
                "len": len(r.request.content),
                "x": "v",
                "json": {"i": i},
            }
        assert r.headers["connection"] == "keep-alive"
        r = c.get("/text")
        assert (r.status_code, r.text, r.headers["x-extra"]) == (201, "hello", "1")
        assert r.headers["content-type"].startswith("text/plain")


def test_sync_handler_and_chunked_body() -> None:
    with (
        HttpServer(lambda req: Response(body=req.body[::-1])) as s,
        httpx.Client(base_url=s.url) as c,
    ):
        assert c.post("/", content=iter([b"ab", b"cd"])).content == b"dcba"


def test_drop_and_handler_error(server: HttpServer) -> None:
    with httpx.Client(base_url=server.url) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/drop")
        r = c.get("/boom")
        assert r.status_code == 500 and "bad handler" in r.text
        assert c.get("/sleep").status_code == 200


def test_body_cap_413(server: HttpServer) -> None:
    answer = raw(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ")
    chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n" + b"a" * 1001
    assert raw(server, chunked).startswith(b"HTTP/1.1 413 ")


def test_malformed_and_connection_close(server: HttpServer) -> None:
    assert raw(server, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(server, b"GET / HTTP/1.1\r\nbad header\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    answer = raw(
        server, b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\n"
    )  # server closes: recv ends
    assert answer.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in answer
    answer = raw(server, b"GET /x HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_pipelined_requests(server: HttpServer) -> None:
    answer = raw(server, b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 ") == 2


def test_stop_closes_idle_connections() -> None:
    server = HttpServer(handler).start()
    sk = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sk.sendall(b"GET / HTTP/1.1\r\n\r\n")
    assert sk.recv(65536).startswith(b"HTTP/1.1 200 ")
    server.stop()
    with contextlib.suppress(ConnectionResetError):  # closed by the server (FIN or RST)
        assert sk.recv(65536) == b""
    sk.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


def test_port_in_use_raises() -> None:
    with HttpServer(handler) as s, pytest.raises(OSError):
        HttpServer(handler, port=s.port).start()
