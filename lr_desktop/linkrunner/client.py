"""Linkrunner Data API client: `GET /api/v1/campaigns` and, per campaign,
`GET /api/v1/attributed-users?display_id=...`, paged, rate limited, retried.

Linkrunner's docs mark `display_id` (a campaign's display id) REQUIRED on
/attributed-users, so a reader walks /campaigns and pulls each campaign (as Airbyte's
Linkrunner connector does). /campaigns also takes `channel` (GOOGLE, META, TIKTOK) and
`filter` (ALL, ACTIVE, INACTIVE), the filters Airbyte's connector sends.

The API key travels only in the `linkrunner-key` header (set by an httpx auth hook);
it is never put in URLs, logs, reprs or error messages.

Answer shapes accepted (the envelope is not documented precisely, so be tolerant):
a bare list, `{"data": [...]}`, `{"users": [...]}` or `{"data": {"users": [...],
"pagination": {"page", "limit", "total", "pages"}}}` (what the bundled emulator sends);
campaigns likewise, under "campaigns".
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from lr_desktop.clevertap.endpoint import validate_loopback_endpoint
from lr_desktop.errors import UserFixableError
from lr_desktop.linkrunner.abortable import Aborter, make_abortable
from lr_desktop.netpolicy import client_options

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "BadAnswer",
    "Cancelled",
    "KeyRejected",
    "LinkrunnerClient",
    "LinkrunnerError",
    "LinkrunnerUnavailable",
    "NotFound",
    "Page",
    "RetryPolicy",
    "TokenBucket",
    "format_timestamp",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.linkrunner.io"
USERS_PATH = "/api/v1/attributed-users"
CAMPAIGNS_PATH = "/api/v1/campaigns"
CHANNELS = ("META", "GOOGLE", "TIKTOK")  # /campaigns `channel` values Airbyte's connector uses
MAX_PAGE_SIZE = 1000
DEFAULT_RATE = 25.0  # requests/second; Linkrunner allows 30
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
KEY_REJECTED = "Linkrunner API key rejected: check it under Integrations > Linkrunner"


class LinkrunnerError(UserFixableError):
    """A Linkrunner problem; the message says what happened (never contains the key)."""


class KeyRejected(LinkrunnerError):
    """HTTP 401/403, or no usable key."""


class LinkrunnerUnavailable(LinkrunnerError):
    """Retries ran out (429, 5xx or network trouble)."""


class BadAnswer(LinkrunnerError):
    """Linkrunner answered something this app cannot use."""


class NotFound(BadAnswer):
    """HTTP 404: e.g. a campaign that no longer exists."""


class Cancelled(LinkrunnerError):
    """The caller's cancel event was set while waiting."""


def format_timestamp(epoch: int | float) -> str:
    """Epoch seconds -> `2026-01-01T00:00:00Z` (what start/end_timestamp carry)."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TokenBucket:
    """Thread-safe token bucket: `acquire()` blocks until a request may go.

    With `burst=1` at most `floor(rate * w) + 1` requests start in any window of `w`
    seconds, so the default 25/s stays under Linkrunner's 30 requests per second.
    """

    def __init__(
        self, rate: float, burst: float = 1.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.capacity = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()
        self._idle = threading.Event()  # never set: an interruptible-free wait when no cancel

    def acquire(self, cancel: threading.Event | None = None) -> bool:
        """Take one token; False if `cancel` was set while waiting."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return True
                wait = (1 - self._tokens) / self.rate
            if (cancel or self._idle).wait(wait):
                return False


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of 429/5xx/network errors: exponential backoff with full jitter."""

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    honour_retry_after: bool = True  # capped at backoff_cap

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        delay = rng.uniform(0, ceiling)
        if self.honour_retry_after and retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_cap))
        return delay


@dataclass
class Page:
    number: int
    records: list[dict[str, Any]]
    total: int | None = None  # users matching the query, when the answer says
    pages: int | None = None  # pages in all, when the answer says
    limit: int = MAX_PAGE_SIZE
    extra: dict[str, Any] = field(default_factory=dict)


class _KeyAuth(httpx.Auth):
    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["linkrunner-key"] = self._key
        yield request

    def __repr__(self) -> str:
        return "_KeyAuth(***)"


def _check_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        raise KeyRejected("No Linkrunner API key: add it under Integrations > Linkrunner")
    if any(ord(c) < 33 or ord(c) > 126 for c in key):
        raise KeyRejected(
            "The Linkrunner API key contains spaces or unusual characters: "
            "paste it again under Integrations > Linkrunner"
        )
    return key


def _retry_after(resp: httpx.Response) -> float | None:
    raw = resp.headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None


def parse_page(number: int, limit: int, body: Any, what: str = "attributed users") -> Page:
    """Pull the records (and paging facts, if any) out of an answer."""
    data = body.get("data", body) if isinstance(body, dict) else body
    pagination: dict[str, Any] = {}
    if isinstance(data, dict):
        for key in ("pagination", "meta"):
            if isinstance(data.get(key), dict):
                pagination = data[key]
        if not pagination and isinstance(body, dict) and isinstance(body.get("pagination"), dict):
            pagination = body["pagination"]
        for key in ("users", "attributed_users", "campaigns", "data", "results", "items"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise BadAnswer(f"Linkrunner's answer has no list of {what}")

    def number_of(name: str) -> int | None:
        value = pagination.get(name)
        if value is None and isinstance(body, dict):
            value = body.get(name)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    served_limit = number_of("limit")  # a server may cap the page size below what was asked
    return Page(
        number,
        data,
        total=number_of("total"),
        pages=number_of("pages"),
        limit=served_limit if served_limit and served_limit > 0 else limit,
    )


class LinkrunnerClient:
    """Blocking client; one instance per pull. Use as a context manager or `close()`."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        requests_per_second: float | None = DEFAULT_RATE,
        burst: float = 1.0,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        cancel: threading.Event | None = None,
        seed: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        key = _check_key(api_key)
        # Only the bundled emulator (loopback) may replace the real host.
        self.base_url = validate_loopback_endpoint(base_url) if base_url else DEFAULT_BASE_URL
        self.bucket = TokenBucket(requests_per_second, burst) if requests_per_second else None
        self.retry = retry or RetryPolicy()
        self.cancel = cancel
        self.requests = 0  # HTTP requests sent (including retries)
        self.retries = 0
        self._rng = random.Random(seed)
        self._idle = threading.Event()
        self._closed = threading.Event()
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=_KeyAuth(key),
            timeout=timeout,
            headers={"accept": "application/json", "user-agent": "lr-desktop"},
            transport=transport,
            follow_redirects=False,  # a redirect could carry the key elsewhere
            **client_options(self.base_url),  # no proxy for loopback; https only elsewhere
        )
        # A cancel ends a request in progress too, not only the waits between requests.
        aborter = make_abortable(self._http) if transport is None and cancel else None
        if cancel is not None and aborter is not None:
            threading.Thread(
                target=self._abort_on_cancel,
                args=(cancel, aborter),
                name="lr-linkrunner-cancel",
                daemon=True,
            ).start()

    def __repr__(self) -> str:
        return f"LinkrunnerClient(base_url={self.base_url!r}, api_key=***)"

    def close(self) -> None:
        self._closed.set()
        self._http.close()

    def _abort_on_cancel(self, cancel: threading.Event, aborter: Aborter) -> None:
        while not self._closed.is_set():  # a cancel is an Event: looked at 4 times a second
            if cancel.wait(0.25):
                aborter.abort()
                return

    def __enter__(self) -> LinkrunnerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if (self.cancel or self._idle).wait(seconds):
            raise Cancelled("Cancelled")

    def get_json(self, path: str, params: dict[str, str | int]) -> Any:
        """GET with rate limiting and retries; the decoded JSON answer."""
        attempt = 0
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled("Cancelled")
            if self.bucket is not None and not self.bucket.acquire(self.cancel):
                raise Cancelled("Cancelled")
            attempt += 1
            self.requests += 1
            problem: str
            retry_after: float | None = None
            try:
                resp = self._http.get(path, params=params)
            except httpx.TransportError as exc:
                if self.cancel is not None and self.cancel.is_set():
                    raise Cancelled("Cancelled") from None  # the cancel ended the request
                problem = f"network error ({type(exc).__name__})"
            else:
                log.debug("GET %s -> %s", path, resp.status_code)
                if resp.status_code in (401, 403):
                    raise KeyRejected(KEY_REJECTED)
                if resp.status_code == 200:
                    try:
                        return resp.json()
                    except ValueError:
                        raise BadAnswer("Linkrunner answered something that is not JSON") from None
                if resp.status_code == 404:
                    raise NotFound(f"Linkrunner answered HTTP 404 {_short(resp)}".rstrip())
                if resp.status_code not in RETRY_STATUSES:
                    raise BadAnswer(
                        f"Linkrunner refused the request: HTTP {resp.status_code} {_short(resp)}"
                    )
                problem = f"HTTP {resp.status_code}"
                retry_after = _retry_after(resp)
            if attempt > self.retry.max_retries:
                raise LinkrunnerUnavailable(
                    f"Linkrunner did not answer after {attempt} tries (last: {problem}); "
                    "try again later"
                )
            self.retries += 1
            delay = self.retry.delay(attempt, retry_after, self._rng)
            log.info("Linkrunner %s; retrying in %.2fs (try %d)", problem, delay, attempt + 1)
            self._wait(delay)

    def attributed_users_page(
        self,
        page: int,
        *,
        display_id: str,
        limit: int = MAX_PAGE_SIZE,
        start: int | None = None,
        end: int | None = None,
        timezone: str = "UTC",
    ) -> Page:
        """One page (1-based) of one campaign's attributed users, optionally within
        [start, end] (epoch s). The page size is UNCONFIRMED for this endpoint (Linkrunner
        documents a default of 10 and a maximum of 1000 only for /campaigns)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if not display_id:
            raise ValueError("display_id is required (Linkrunner's docs mark it required)")
        params: dict[str, str | int] = {
            "display_id": display_id,
            "page": page,
            "limit": limit,
            "timezone": timezone,
        }
        if start is not None:
            params["start_timestamp"] = format_timestamp(start)
        if end is not None:
            params["end_timestamp"] = format_timestamp(end)
        return parse_page(page, limit, self.get_json(USERS_PATH, params))

    def iter_attributed_users(
        self,
        *,
        display_id: str,
        limit: int = MAX_PAGE_SIZE,
        start: int | None = None,
        end: int | None = None,
        timezone: str = "UTC",
        first_page: int = 1,
    ) -> Iterator[Page]:
        """One campaign's pages until an empty one, the last one the answer names, or (when
        the answer names no page count) a short one."""
        return self._pages(
            lambda n: self.attributed_users_page(
                n, display_id=display_id, limit=limit, start=start, end=end, timezone=timezone
            ),
            first_page,
        )

    def campaigns_page(
        self, page: int, *, limit: int = MAX_PAGE_SIZE, channel: str | None = None
    ) -> Page:
        """One page (1-based) of campaigns, all of them (`filter=ALL`) or one `channel`'s."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        params: dict[str, str | int] = {"page": page, "limit": limit, "filter": "ALL"}
        if channel:
            params["channel"] = channel
        return parse_page(page, limit, self.get_json(CAMPAIGNS_PATH, params), "campaigns")

    def iter_campaigns(
        self, *, limit: int = MAX_PAGE_SIZE, channel: str | None = None
    ) -> Iterator[Page]:
        """Every page of campaigns (the same stop rules as `iter_attributed_users`)."""
        return self._pages(lambda n: self.campaigns_page(n, limit=limit, channel=channel), 1)

    def _pages(self, fetch: Callable[[int], Page], first_page: int) -> Iterator[Page]:
        number = first_page
        previous: list[dict[str, Any]] | None = None
        while True:
            page = fetch(number)
            if page.records and page.records == previous:
                raise BadAnswer("Linkrunner sent the same page twice; paging is not working")
            yield page
            if not page.records:
                return
            if page.pages is not None:
                if number >= page.pages:
                    return
            elif len(page.records) < page.limit:
                return
            previous = page.records
            number += 1


def _short(resp: httpx.Response) -> str:
    """A short, key-free excerpt of an error answer."""
    try:
        body = resp.json()
        text = str(body.get("msg") or body.get("message") or body.get("error") or "")
    except (ValueError, AttributeError):
        text = resp.text
    return text[:200]
