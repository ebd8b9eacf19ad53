"""The CleverTap emulator's read side: the Get Events API (`/1/events.json`, both the
POST form and the Node client's older `GET ?query=` form, cursor pages, batch-size cap,
cursor expiry) and a control hook that makes the stored events disagree with a ledger
(drop, duplicate, alter, add) for verify tests. `/1/profile.json` lives in clevertap.py.

Invented (UNCONFIRMED) details, all in `ReadSettings`: a cursor lives `cursor_ttl`
seconds (expired or unknown -> HTTP 400 `{"status":"fail","error":"Invalid or expired
cursor"}`); more than `max_concurrent` (3) read requests at once answer 429; a page
cursor can be read again while it lives (a retried GET answers the
same page); dates select on the event's ts in UTC; records carry `ts` as YYYYMMDDHHMMSS
in UTC (`ts_format="epoch"`: epoch seconds); the page's cursor key is `next_cursor`
(`page_cursor_key="cursor"` for the other spelling); the profile's identifier keys are
`objectId` and `platform`.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from lr_desktop.clevertap import rules
from lr_desktop.emulators.httpserver import DROP, Request, Response

if TYPE_CHECKING:
    from lr_desktop.emulators.clevertap import CleverTapEmulator

__all__ = ["MAX_BATCH_SIZE", "ReadSettings", "ReadsApi", "ReadsControl", "ts14"]

MAX_BATCH_SIZE = 5000  # the Get Events API's documented cap


@dataclass
class ReadSettings:
    max_batch_size: int = MAX_BATCH_SIZE
    cursor_ttl: float = 3600.0  # seconds; UNCONFIRMED
    expired_cursor_http_status: int = 400  # UNCONFIRMED
    ts_format: str = "ts14"  # "ts14" (the docs' example) | "epoch"
    page_cursor_key: str = "next_cursor"  # or "cursor" (both are read by CleverTap's Node client)
    max_concurrent: int = 3  # per account, more -> 429; UNCONFIRMED (an old errors page says 3)

    def update(self, data: Mapping[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown read settings: {', '.join(sorted(unknown))}")
        for key, value in data.items():
            setattr(self, key, value)


@dataclass
class _Cursor:
    account: str
    indexes: list[int]  # positions in the emulator's event list (a snapshot at query time)
    offset: int
    batch_size: int
    expires: float
    next_token: str = ""  # made once: a retried GET of this page answers the same cursor


def ts14(epoch: int) -> int:
    """Epoch seconds as the docs' 14-digit YYYYMMDDHHMMSS number (UTC)."""
    return int(datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d%H%M%S"))


def _day_start(value: Any) -> int:
    """A YYYYMMDD date as the epoch second its UTC day starts."""
    text = str(value)
    if not (len(text) == 8 and text.isdigit()):
        raise ValueError("from and to must be dates written YYYYMMDD")
    return int(datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC).timestamp())


class ReadsApi:
    """Serves /1/events.json for one emulator, over its stored events and lock."""

    def __init__(self, emu: CleverTapEmulator) -> None:
        self.emu = emu
        self.settings = ReadSettings()
        self._cursors: dict[str, _Cursor] = {}
        self.counts: Counter[str] = Counter()
        self._running: Counter[str] = Counter()  # account -> read requests in progress
        # tests: called with the number of page requests so far, before a page is answered
        self.page_hook: Callable[[int], None] | None = None

    # -- /1/events.json -----------------------------------------------------------------

    async def events_json(self, req: Request) -> Response:
        emu = self.emu
        emu._count("requests")
        self._count("events_requests")
        account = emu._header_account(req)
        if account is None:
            return emu._unauthorised()
        with emu._lock:
            running = self._running[account]
            if running >= self.settings.max_concurrent:
                self.counts["http_429"] += 1
                return Response(429, {"status": "fail", "error": "Too many concurrent requests"})
            self._running[account] = running + 1
            self.counts["max_concurrent"] = max(self.counts["max_concurrent"], running + 1)
        try:
            early, lost = await emu._faults_before()
            if early is not None:
                return early
            answer = self._answer(account, req)
            return DROP if lost else answer
        finally:
            with emu._lock:
                self._running[account] -= 1

    def _answer(self, account: str, req: Request) -> Response:
        cursor = req.arg("cursor")
        if req.method == "GET" and cursor is not None:
            return self._page(account, cursor)
        if req.method == "POST":
            try:
                query = req.json() if req.body else None
            except ValueError:
                return self._bad("Invalid JSON payload")
        elif req.method == "GET" and req.arg("query") is not None:
            try:
                query = json.loads(req.arg("query") or "")
            except ValueError:
                return self._bad("query must be JSON")
        else:
            return Response(405, {"status": "fail", "error": "Method not allowed", "code": 405})
        return self._start(account, query, req.arg("batch_size"))

    def _start(self, account: str, query: Any, batch_arg: str | None) -> Response:
        self._count("cursor_requests")
        try:
            batch = int(batch_arg) if batch_arg is not None else 10
        except ValueError:
            return self._bad("batch_size must be a number")
        if not 1 <= batch <= self.settings.max_batch_size:
            self._count("batch_size_refused")
            return self._bad(f"batch_size must be between 1 and {self.settings.max_batch_size}")
        if not isinstance(query, dict) or not isinstance(query.get("event_name"), str):
            return self._bad("event_name is required")
        try:
            low, high = _day_start(query.get("from")), _day_start(query.get("to")) + 86400
        except ValueError as exc:
            return self._bad(str(exc))
        name = rules.normalise_event_name(query["event_name"])
        names: dict[str, bool] = {}  # stored name -> matches (normalising once per name)
        with self.emu._lock:
            for _a, _o, n, _ts, _d in self.emu._events:
                if n not in names:
                    names[n] = rules.normalise_event_name(n) == name
            indexes = [
                i
                for i, (a, _o, n, ts, _d) in enumerate(self.emu._events)
                if a == account and names[n] and low <= ts < high
            ]
            token = self._new_cursor(_Cursor(account, indexes, 0, batch, 0.0))
        return Response(200, {"status": "success", "cursor": token})

    def _new_cursor(self, cur: _Cursor) -> str:
        cur.expires = time.monotonic() + self.settings.cursor_ttl
        token = secrets.token_urlsafe(16)
        self._cursors[token] = cur
        return token

    def _page(self, account: str, token: str) -> Response:
        self._count("page_requests")
        if self.page_hook is not None:
            self.page_hook(self.counts["page_requests"])
        with self.emu._lock:
            cur = self._cursors.get(token)
            if cur is None or cur.account != account or cur.expires < time.monotonic():
                self._cursors.pop(token, None)
                self.counts["cursor_refused"] += 1  # the lock is held: not _count
                status = self.settings.expired_cursor_http_status
                return Response(
                    status, {"status": "fail", "error": "Invalid or expired cursor", "code": status}
                )
            end = cur.offset + cur.batch_size
            events = self.emu._events
            records = [  # an index past the end: the emulator was reset since the query
                self._record(events[i]) for i in cur.indexes[cur.offset : end] if i < len(events)
            ]
            body: dict[str, Any] = {"status": "success", "records": records}
            if end < len(cur.indexes):
                if cur.next_token not in self._cursors:
                    nxt = _Cursor(cur.account, cur.indexes, end, cur.batch_size, 0.0)
                    cur.next_token = self._new_cursor(nxt)
                body[self.settings.page_cursor_key] = cur.next_token
        self._count("records_sent", len(records))
        return Response(200, body)

    def _record(self, event: tuple[str, str, str, int, dict[str, Any]]) -> dict[str, Any]:
        account, oid, _name, ts, data = event
        prof = self.emu._profiles.get(account, {}).get(oid)
        profile: dict[str, Any] = {"objectId": oid, "profileData": dict((prof and prof.data) or {})}
        if "platform" in data:
            profile["platform"] = data["platform"]
        return {
            "profile": profile,
            "ts": ts if self.settings.ts_format == "epoch" else ts14(ts),
            "event_props": dict(data),
            "session_props": {},
        }

    def _bad(self, error: str) -> Response:
        self.emu._count("http_400")
        return Response(400, {"status": "fail", "error": error, "code": 400})

    def _count(self, name: str, n: int = 1) -> None:
        with self.emu._lock:
            self.counts[name] += n

    # -- control: /_emulator/reads/... --------------------------------------------------

    def control(self, what: str, write: bool, body: dict[str, Any]) -> Response:
        if what == "config":
            if write:
                with self.emu._lock:
                    self.settings.update(body)
            return Response(200, asdict(self.settings))
        if what == "stats":
            with self.emu._lock:
                return Response(200, dict(self.counts))
        if what == "expire" and write:
            with self.emu._lock:
                n = len(self._cursors)
                self._cursors.clear()
            return Response(200, {"expired": n})
        if what == "scenario" and write:
            return Response(200, self.scenario(**body))
        return Response(404, {"status": "fail", "error": f"unknown reads endpoint {what}"})

    def scenario(
        self,
        drop: list[str] | None = None,
        duplicate: Mapping[str, int] | None = None,
        alter: Mapping[str, Mapping[str, Any]] | None = None,
        add: list[Mapping[str, Any]] | None = None,
        account: str | None = None,
        by: str = "lr_event_id",
        event_name: str | None = None,
    ) -> dict[str, int]:
        """Make the stored events disagree with a ledger, by lr_event_id (or, `by=
        "objectId"`, by CleverTap ID: attribution installs' "UTM Visited" events carry no
        lr_event_id): `drop` every copy, `duplicate` {id: extra copies}, `alter` {id:
        {evtData key: value, "ts": n}}, `add` events as uploaded ({"objectId","evtName",
        "ts","evtData"}). `event_name`: only events of that name are touched. Profile
        event counts follow."""
        if by not in ("lr_event_id", "objectId"):
            raise ValueError("by must be lr_event_id or objectId")
        drop_ids, dup, changes = set(drop or ()), dict(duplicate or {}), dict(alter or {})
        done: Counter[str] = Counter()
        emu = self.emu
        with emu._lock:
            acc = account or next(iter(emu._accounts), "")
            kept: list[tuple[str, str, str, int, dict[str, Any]]] = []
            for ev in emu._events:
                a, oid, name, ts, data = ev
                eid = oid if by == "objectId" else data.get("lr_event_id")
                if event_name is not None and name != event_name:
                    eid = None
                if eid in drop_ids:
                    done["dropped"] += 1
                    continue
                if eid in changes:
                    change = dict(changes[eid])
                    ts = int(change.pop("ts", ts))
                    ev = (a, oid, name, ts, {**data, **change})
                    done["altered"] += 1
                kept.append(ev)
                for _ in range(int(dup.get(eid, 0))):
                    kept.append(ev)
                    done["duplicated"] += 1
            for rec in add or ():
                kept.append(
                    (acc, str(rec["objectId"]), str(rec["evtName"]), int(rec["ts"]),
                     dict(rec.get("evtData") or {}))
                )  # fmt: skip
                done["added"] += 1
            emu._events[:] = kept
            self._recount(kept)
        return dict(done)

    def _recount(self, events: list[tuple[str, str, str, int, dict[str, Any]]]) -> None:
        """Rebuild every profile's per-event counts from the stored events (lock held)."""
        for by_id in self.emu._profiles.values():
            for prof in by_id.values():
                prof.events.clear()
        for a, oid, name, ts, _data in events:
            self.emu._get_profile(a, oid).add_event(name, ts)


class ReadsControl:
    """Drive the read side of an emulator (in this or another process) over HTTP."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/") + "/_emulator/reads", timeout=timeout)

    def _post(self, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        resp = self._http.post(path, json=dict(body or {}))
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def configure(self, **settings: Any) -> dict[str, Any]:
        return self._post("/config", settings)

    def stats(self) -> dict[str, int]:
        resp = self._http.get("/stats")
        resp.raise_for_status()
        data: dict[str, int] = resp.json()
        return data

    def expire_cursors(self) -> int:
        return int(self._post("/expire")["expired"])

    def scenario(self, **changes: Any) -> dict[str, int]:
        return self._post("/scenario", changes)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ReadsControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
