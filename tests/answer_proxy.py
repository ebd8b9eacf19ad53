"""A small forwarding proxy on 127.0.0.1 for tests: every request goes to the emulator
(which processes it), then the proxy may replace the answer (a gateway's 502/504, an
HTML page with status 200, an `unprocessed` entry naming no record) or hold it until
the test releases it. Plain standard library, so the code under test meets real HTTP."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# (number of the upload request, 1-based; status; body) -> (status, body) to answer
Rewrite = Callable[[int, int, bytes], tuple[int, bytes]]

HTML_ERROR = b"<html><body><h1>Service temporarily unavailable</h1></body></html>"


class AnswerProxy:
    def __init__(self, target: str, rewrite: Rewrite | None = None) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rewrite = rewrite
        self.uploads = 0  # /1/upload requests forwarded
        self.replaced = 0
        self.hold: threading.Event | None = None  # when set: answers wait for `release`
        self.held = threading.Event()  # an answer is being held
        self._release = threading.Event()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self._forward()

            def do_GET(self) -> None:
                self._forward()

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                conn = http.client.HTTPConnection(*proxy.target, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                status, answer = resp.status, resp.read()
                conn.close()
                number = 0
                if self.path.startswith("/1/upload"):
                    with proxy._lock:
                        proxy.uploads += 1
                        number = proxy.uploads
                if number and proxy.rewrite is not None:
                    new = proxy.rewrite(number, status, answer)
                    if new != (status, answer):
                        with proxy._lock:
                            proxy.replaced += 1
                        status, answer = new
                if number and proxy.hold is not None and proxy.hold.is_set():
                    proxy.held.set()
                    proxy._release.wait(60)
                self.send_response(status)
                ctype = "text/html" if answer.startswith(b"<") else "application/json"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def hold_answers(self) -> None:
        """From now on, upload answers wait (after the emulator processed the request)."""
        self.hold = threading.Event()
        self.hold.set()

    def release(self) -> None:
        if self.hold is not None:
            self.hold.clear()
        self._release.set()

    def start(self) -> AnswerProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@contextmanager
def answer_proxy(target: str, rewrite: Rewrite | None = None) -> Iterator[AnswerProxy]:
    proxy = AnswerProxy(target, rewrite).start()
    try:
        yield proxy
    finally:
        proxy.stop()
