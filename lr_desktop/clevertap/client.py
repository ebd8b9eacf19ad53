"""CleverTap HTTP client (async httpx): one request at a time, classified.

Retries, backoff and state belong to the sync engine; this module only sends and
says what the answer means. Nothing here logs or returns a credential.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

import httpx

from lr_desktop import __version__
from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.clevertap.payloads import (
    RecordBatch,
    positions_by_event_id,
    redact_url,
    upload_body,
)
from lr_desktop.clevertap.rules import RETRYABLE_RECORD_CODES
from lr_desktop.netpolicy import client_options


class _RedactFilter(logging.Filter):
    """httpx logs request URLs at INFO; attribution URLs carry credentials."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = redact_url(record.getMessage())
            record.args = None
        elif isinstance(record.msg, str):
            record.msg = redact_url(record.msg)
        return True


for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_RedactFilter())


class Verdict(StrEnum):
    OK = "ok"  # 200: look at per-record failures
    RETRY = "retry"  # 429, 5xx, network error, timeout
    STOP = "stop"  # 400, 401, 403: never retried; the run stops, events stay queued


CREDENTIALS_MESSAGE = (
    "CleverTap answered 401: credentials or region wrong. Check the Project ID and "
    "Passcode, and that the Region matches your CleverTap account (a wrong region answers 401 too)."
)


ATTRIBUTION_MIN_TIMEOUT = 65.0  # CleverTap's partner endpoint may take up to 60 s to answer


def attribution_credentials_message(status: int) -> str:
    """The partner doc says authorisation errors "throw HTTP 403" and lists a 401 body:
    on this endpoint both mean credentials or region wrong."""
    return (
        f"CleverTap answered {status} to the attribution partner API: credentials or region "
        "wrong. Check the Project ID, Project Token and Passcode, and that the Region matches "
        "your CleverTap account (a wrong region is refused the same way)."
    )


def stop_message(status: int, mode: str, body: str) -> str:
    if status == 401:
        return CREDENTIALS_MESSAGE
    if status == 403:
        return (
            "CleverTap answered 403: this account is not allowed to use this API. "
            "Check the account's API access, or switch the delivery mode."
        )
    if mode == "attribution":
        return (
            "CleverTap answered 400 to the attribution partner API: the partner name is "
            "probably not whitelisted for your account. Ask CleverTap to whitelist it, or "
            f"use the Upload Events API mode. ({body[:200]})"
        )
    return f"CleverTap refused the request (400): {body[:200]}"


@dataclass
class RecordFailure:
    index: int  # 0-based position in the request
    code: int | None
    message: str

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_RECORD_CODES


@dataclass
class Answer:
    verdict: Verdict
    http_status: int | None
    message: str = ""
    failures: list[RecordFailure] = field(default_factory=list)
    processed: int | None = None
    maybe_processed: bool = (
        False  # the request may have reached CleverTap (read timeout, dropped answer)
    )
    # `unprocessed` entries that name no record of the request (kept as CleverTap sent them)
    unmatched: list[Any] = field(default_factory=list)


def _record_index(
    item: dict[str, Any], sent: Sequence[dict[str, Any]], by_event: dict[str, int]
) -> int | None:
    """Map an `unprocessed` entry back to the request: by the echoed record's
    lr_event_id first, then by the 1-based "record number" in the message."""
    rec = item.get("record")
    if isinstance(rec, str):
        try:
            rec = json.loads(rec)
        except ValueError:
            rec = None
    if isinstance(rec, dict):
        data = rec.get("evtData")
        if isinstance(data, dict) and data.get("lr_event_id") in by_event:
            return by_event[data["lr_event_id"]]
        if rec.get("type") == "profile":
            obj = rec.get("objectId")
            for i, s in enumerate(sent):
                if s.get("objectId") == obj and s.get("type") == "profile":
                    return i
    number = record_number(str(item.get("error", "")))
    if number is not None and 1 <= number <= len(sent):
        return number - 1
    return None


_RECORD_NUMBER = re.compile(r"record number\s*:?\s*(\d+)", re.IGNORECASE)


def record_number(text: str) -> int | None:
    """The 1-based number right after the last "record number" in CleverTap's message,
    and nothing else ("... Skipped record number : 3, code 526" -> 3)."""
    found = _RECORD_NUMBER.findall(text)
    return int(found[-1]) if found else None


NOT_A_VERDICT = (
    " The request had been sent, so CleverTap may have processed it: its users are "
    "flagged as possibly duplicated."
)


def _understood(doc: Any) -> bool:
    """A JSON answer shaped like CleverTap's upload verdict."""
    if not isinstance(doc, dict):
        return False
    processed, unprocessed = doc.get("processed"), doc.get("unprocessed", [])
    return (
        doc.get("status") in ("success", "partial", "fail")
        and (processed is None or (isinstance(processed, int) and not isinstance(processed, bool)))
        and isinstance(unprocessed, list)
        and ("processed" in doc or "unprocessed" in doc)
    )


def parse_upload_answer(status: int, body: bytes, sent: Sequence[dict[str, Any]]) -> Answer:
    """What an upload answer means. Only a CleverTap verdict (a 200 whose JSON is an
    upload answer, a 429, a 400/401/403) says whether the batch was processed; anything
    else came after the body was sent, so the batch may have been processed."""
    text = body.decode("utf-8", "replace")
    if status == 200:
        try:
            doc = json.loads(text)
        except ValueError:  # e.g. a proxy's HTML error page with status 200
            doc = None
        if not _understood(doc):
            return Answer(
                Verdict.RETRY,
                status,
                f"CleverTap sent an unreadable answer: {text[:120]!r}.{NOT_A_VERDICT}",
                maybe_processed=True,
            )
        failures: list[RecordFailure] = []
        unmapped: list[Any] = []
        by_event: dict[str, int] | None = None  # built only when something was unprocessed
        for item in doc.get("unprocessed") or []:  # read on EVERY 200, whatever `status` says
            if not isinstance(item, dict):
                unmapped.append(item)
                continue
            if by_event is None:
                by_event = (
                    sent.event_positions()
                    if isinstance(sent, RecordBatch)
                    else positions_by_event_id(sent)
                )
            idx = _record_index(item, sent, by_event)
            code = item.get("code")
            code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
            msg = str(item.get("error") or "rejected by CleverTap")
            if idx is None:
                unmapped.append(item)
            else:
                failures.append(RecordFailure(idx, code, msg))
        if doc.get("status") == "fail" and not doc.get("processed") and not doc.get("unprocessed"):
            # The whole request refused inside a 200: final, like RudderStack treats it.
            err = str(doc.get("error") or "no reason given")
            return Answer(
                Verdict.STOP,
                status,
                f"CleverTap refused the whole request (HTTP 200, status fail, nothing "
                f"processed): {err[:200]}. Nothing was retried.",
            )
        ans = Answer(Verdict.OK, status, "", failures, doc.get("processed"))
        if unmapped:
            ans.unmatched = unmapped
            ans.message = "; ".join(
                str(u.get("error") if isinstance(u, dict) else u) for u in unmapped[:3]
            )
        return ans
    if status in (400, 401, 403):
        return Answer(Verdict.STOP, status, stop_message(status, "upload", text))
    if status == 429:
        return Answer(Verdict.RETRY, status, "CleverTap is busy (429 too many concurrent requests)")
    if status >= 500:  # a gateway's 502/504 may come after CleverTap processed the batch
        return Answer(
            Verdict.RETRY, status, f"CleverTap server error {status}", maybe_processed=True
        )
    # 404, 405, 413, a redirect...: not server trouble, never retried; show what came back
    return Answer(
        Verdict.STOP,
        status,
        f"Unexpected answer {status} from CleverTap, the run stopped: {text[:200]!r}. "
        "Check the region and endpoint." + NOT_A_VERDICT,
        maybe_processed=True,
    )


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def network_failure(exc: BaseException) -> Answer:
    """A retryable answer for a transport error; flags whether CleverTap may have processed it."""
    return Answer(
        Verdict.RETRY,
        None,
        network_error_message(exc),
        maybe_processed=not isinstance(exc, _NOT_SENT),
    )


def network_error_message(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"No answer from CleverTap in time ({type(exc).__name__})"
    detail = redact_url(str(exc))[:160]
    return (
        f"Network error talking to CleverTap: {type(exc).__name__}{': ' + detail if detail else ''}"
    )


class CleverTapClient:
    """Thin async client for one configuration. Use `async with`."""

    def __init__(self, cfg: CleverTapConfig, *, max_connections: int | None = None) -> None:
        self.cfg = cfg
        self._base = cfg.base_url
        limits = httpx.Limits(
            max_connections=max_connections or cfg.concurrency,
            max_keepalive_connections=max_connections or cfg.concurrency,
        )
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(cfg.timeout),
            limits=limits,
            headers={"User-Agent": f"lr-desktop/{__version__}"},
            follow_redirects=False,
            verify=True,  # never turned off; the loopback emulator is plain http
            **client_options(self._base),  # no proxy for loopback; https only elsewhere
        )
        self._attribution_method = "POST" if cfg.attribution_method.upper() == "POST" else "GET"
        # a shorter wait turns CleverTap's slow answers into retries, and retries into copies
        self._attribution_timeout = httpx.Timeout(
            max(cfg.timeout, ATTRIBUTION_MIN_TIMEOUT)
        ).as_dict()
        self._auth = {
            "X-CleverTap-Account-Id": cfg.project_id,
            "X-CleverTap-Passcode": cfg.secrets.passcode or "",
        }

    async def __aenter__(self) -> CleverTapClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def upload(self, records: Sequence[dict[str, Any]], body: bytes | None = None) -> Answer:
        """POST /1/upload with up to 1000 records (`body`: their request body, if built)."""
        if body is None:
            body = upload_body(records)
        try:
            resp = await self._http.post(
                f"{self._base}/1/upload",
                content=body,
                headers={**self._auth, "Content-Type": "application/json; charset=utf-8"},
            )
        except (httpx.HTTPError, OSError) as exc:
            return network_failure(exc)
        return parse_upload_answer(resp.status_code, resp.content, records)

    async def attribution(self, params: dict[str, str]) -> Answer:
        """One install through the attribution partner endpoint.

        The query is encoded here once, as a plain string, and the request is built
        here with the client's headers and handed to `send` (which adds the client's
        timeout): the request `get` would build, for ~5% less CPU per request (one GET
        per install makes httpx's own work most of attribution mode's). Unlike `get`
        it sends no cookies back; CleverTap's API uses none."""
        url = f"{self._base}/attribution?{urlencode(params)}"
        request = httpx.Request(
            self._attribution_method,
            url,
            headers=self._http.headers,
            extensions={"timeout": self._attribution_timeout},
        )
        try:
            resp = await self._http.send(request)
        except (httpx.HTTPError, OSError) as exc:
            return network_failure(exc)
        status = resp.status_code
        if 200 <= status < 300:
            return Answer(Verdict.OK, status)
        text = redact_url(resp.text)
        if status in (401, 403):
            return Answer(Verdict.STOP, status, attribution_credentials_message(status))
        if status == 400:
            return Answer(Verdict.STOP, status, stop_message(status, "attribution", text))
        if status == 429:
            return Answer(Verdict.RETRY, status, "CleverTap is busy (429)")
        return Answer(Verdict.RETRY, status, f"CleverTap server error {status}")

    async def get(self, path: str, params: dict[str, str]) -> httpx.Response:
        """A read with the account headers (raises httpx.HTTPError or OSError)."""
        return await self._http.get(f"{self._base}{path}", params=params, headers=self._auth)

    async def profile(self, object_id: str) -> tuple[int | None, dict[str, Any] | str]:
        """GET /1/profile.json (read API): (HTTP status, parsed body or error text)."""
        try:
            resp = await self._http.get(
                f"{self._base}/1/profile.json", params={"objectId": object_id}, headers=self._auth
            )
        except (httpx.HTTPError, OSError) as exc:
            return None, network_error_message(exc)
        try:
            return resp.status_code, resp.json()
        except ValueError:
            return resp.status_code, resp.text[:200]
