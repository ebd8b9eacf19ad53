"""CleverTap's read APIs (Get Events, Get Profile) for verify: cursor pages, retries.

Built on `CleverTapClient` so the HTTP client is constructed in one place (timeouts,
TLS, headers). Read concurrency is not documented by CleverTap (an old errors page
mentions 3 concurrent requests for all APIs): a semaphore keeps it low (default 2).
Retries 429, 5xx and network errors with exponential backoff and jitter; anything
else, or retries running out, raises `ReadApiError` with words for the marketer.
"""

from __future__ import annotations

import asyncio
import calendar
import functools
import json
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from lr_desktop.clevertap.client import (
    CREDENTIALS_MESSAGE,
    CleverTapClient,
    network_error_message,
)
from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.errors import UserFixableError

__all__ = [
    "DEFAULT_READ_CONCURRENCY",
    "MAX_BATCH_SIZE",
    "CleverTapReader",
    "CursorRefused",
    "EventsPage",
    "ReadApiError",
    "parse_ts",
]

MAX_BATCH_SIZE = 5000
DEFAULT_READ_CONCURRENCY = 2
MAX_READ_CONCURRENCY = 3


class ReadApiError(UserFixableError):
    """The read API could not be used; the message says why and what to do."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class CursorRefused(ReadApiError):
    """A page cursor was refused (expired or unknown): the query must be started again."""


@dataclass(frozen=True)
class EventsPage:
    records: list[dict[str, Any]]
    next_cursor: str | None  # None: the last page
    body: str = ""  # the answer as sent (SQLite stores the records straight from it)


def record_profile(record: dict[str, Any]) -> str | None:
    """A Get Events record's CleverTap ID (which identifier keys CleverTap sends is
    UNCONFIRMED: objectId, the emulator's and the Node client's, or identity)."""
    profile = record.get("profile")
    if not isinstance(profile, dict):
        return None
    oid = profile.get("objectId") or profile.get("objectID") or profile.get("identity")
    return None if oid is None else str(oid)


@functools.lru_cache(maxsize=4096)
def _day_epoch(day: int) -> int | None:
    """Epoch seconds of YYYYMMDD's midnight UTC, None if there is no such day."""
    try:
        return calendar.timegm(datetime(day // 10000, day // 100 % 100, day % 100).timetuple())
    except ValueError:
        return None


def parse_ts(value: Any) -> int | None:
    """An event's `ts` as epoch seconds: the docs' 14-digit YYYYMMDDHHMMSS (read as UTC,
    an assumption: CleverTap does not say which zone) or epoch seconds."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    if 10_000_000_000_000 <= n <= 99_999_999_999_999:
        # arithmetic and a cache of days, not strptime: this runs once per record (a
        # check of a million users sees a few hundred days; strptime is 20x slower)
        day, clock = divmod(n, 1_000_000)
        hours, rest = divmod(clock, 10_000)
        minutes, seconds = divmod(rest, 100)
        midnight = _day_epoch(day)
        if midnight is None or hours > 23 or minutes > 59 or seconds > 59:
            return None
        return midnight + hours * 3600 + minutes * 60 + seconds
    return n


def _fail_text(resp: httpx.Response) -> str:
    try:
        doc = resp.json()
    except ValueError:
        return resp.text[:160]
    if isinstance(doc, dict) and doc.get("error"):
        return str(doc["error"])[:160]
    return resp.text[:160]


class CleverTapReader(CleverTapClient):
    """Async reader for one configuration. Use `async with`."""

    def __init__(
        self,
        cfg: CleverTapConfig,
        *,
        concurrency: int = DEFAULT_READ_CONCURRENCY,
        legacy_query: bool = False,
    ) -> None:
        if not 1 <= concurrency <= MAX_READ_CONCURRENCY:
            raise ValueError(f"read concurrency must be 1 to {MAX_READ_CONCURRENCY}")
        super().__init__(cfg, max_connections=concurrency)
        self._slots = asyncio.Semaphore(concurrency)
        self.legacy_query = legacy_query  # GET ?query= (CleverTap's Node client) instead of POST
        self.calls = 0  # HTTP requests sent, retries included
        self.retries = 0

    async def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One read with retries on 429/5xx/network errors; other answers are returned."""
        cfg = self.cfg
        attempt = 0
        while True:
            problem: str
            async with self._slots:
                self.calls += 1
                try:
                    resp = await self._http.request(
                        method, f"{self._base}{path}", headers=self._auth, **kw
                    )
                except (httpx.HTTPError, OSError) as exc:
                    problem, status = network_error_message(exc), None
                else:
                    status = resp.status_code
                    if status != 429 and status < 500:
                        return resp
                    problem = (
                        "CleverTap is busy (429 too many concurrent requests)"
                        if status == 429
                        else f"CleverTap server error {status}"
                    )
            if attempt >= cfg.max_retries:
                raise ReadApiError(
                    f"CleverTap's read API did not answer after {attempt + 1} tries: {problem}. "
                    "Nothing was changed; run the check again later (it resumes where it stopped).",
                    status,
                )
            delay = min(cfg.backoff_cap, cfg.backoff_base * 2**attempt)
            await asyncio.sleep(delay * (0.5 + random.random() / 2))
            attempt += 1
            self.retries += 1

    def _refused(self, resp: httpx.Response, what: str) -> ReadApiError:
        status = resp.status_code
        if status == 401:
            return ReadApiError(CREDENTIALS_MESSAGE, status)
        if status == 403:
            return ReadApiError(
                "CleverTap answered 403: this passcode may not use the read APIs "
                "(Get Events / Get Profile). Ask the account admin for API read access.",
                status,
            )
        return ReadApiError(f"CleverTap refused {what} ({status}): {_fail_text(resp)}", status)

    async def start_events(
        self, event_name: str, from_day: int, to_day: int, batch_size: int = MAX_BATCH_SIZE
    ) -> str:
        """Step 1 of the Get Events API: a cursor for one event name and YYYYMMDD range."""
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be 1 to {MAX_BATCH_SIZE}")
        query = {"event_name": event_name, "from": from_day, "to": to_day}
        if self.legacy_query:
            params = {"batch_size": batch_size, "query": json.dumps(query)}
            resp = await self._request("GET", "/1/events.json", params=params)
        else:
            resp = await self._request(
                "POST", "/1/events.json", params={"batch_size": batch_size}, json=query
            )
        doc = self._json(resp, "the events query")
        cursor = doc.get("cursor") or doc.get("next_cursor")
        if not isinstance(cursor, str) or not cursor:
            raise ReadApiError(f"CleverTap answered the events query without a cursor: {doc}"[:200])
        return cursor

    async def page(self, cursor: str) -> EventsPage:
        """Step 2: one page of records; `next_cursor` (or `cursor`) None on the last."""
        resp = await self._request("GET", "/1/events.json", params={"cursor": cursor})
        if resp.status_code in (400, 404, 410):
            raise CursorRefused(
                f"CleverTap refused a page cursor ({resp.status_code}: {_fail_text(resp)})",
                resp.status_code,
            )
        doc = self._json(resp, "a page of events")
        records = doc.get("records")
        if not isinstance(records, list):
            raise ReadApiError("CleverTap sent a page of events without records")
        nxt = doc.get("next_cursor") or doc.get("cursor")
        return EventsPage(
            [r for r in records if isinstance(r, dict)],
            nxt if isinstance(nxt, str) and nxt else None,
            resp.text,
        )

    async def profile_events(self, object_id: str) -> dict[str, dict[str, Any]] | None:
        """Get Profile API: {event name: {count, first_seen, last_seen}}, None if CleverTap
        does not know the profile (its answer for that is UNCONFIRMED: any "fail" body)."""
        resp = await self._request("GET", "/1/profile.json", params={"objectId": object_id})
        if resp.status_code in (401, 403):
            raise self._refused(resp, "the profile read")
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or doc.get("status") != "success":
            if resp.status_code in (200, 404):
                return None
            raise self._refused(resp, "the profile read")
        record = doc.get("record") or {}
        events = record.get("events") if isinstance(record, dict) else None
        return events if isinstance(events, dict) else {}

    def _json(self, resp: httpx.Response, what: str) -> dict[str, Any]:
        if resp.status_code != 200:
            raise self._refused(resp, what)
        try:
            doc = resp.json()
        except ValueError:
            raise ReadApiError(f"CleverTap sent an unreadable answer to {what}") from None
        if not isinstance(doc, dict) or doc.get("status") == "fail":
            raise ReadApiError(
                f"CleverTap refused {what}: {doc.get('error') if isinstance(doc, dict) else doc}"
            )
        return doc
