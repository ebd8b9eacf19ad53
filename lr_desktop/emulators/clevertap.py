"""A CleverTap server emulator following /work/shared/docs/clevertap-api.md.

Serves `POST /1/upload`, `GET|POST /attribution`, `GET /1/profile.json`, `GET /v1/connect`,
`/1/events.json` (the Get Events API, in clevertap_reads.py), plus control endpoints under
`/_emulator/` (no credentials; loopback only). Any other path answers HTTP 200 with an empty
body, as CleverTap's hosts do. Everything the docs mark
UNCONFIRMED is a field of `Settings`, changeable at runtime. Faults (`Faults`) use a
seeded RNG so runs are reproducible.

Invented (UNCONFIRMED) details: an unknown profile answers HTTP 200 with
`{"status": "fail", "error": "Profile not found", "code": 404}`; whole-request error
texts for 400 answers; 528 once an account has `max_event_names` distinct event names;
`/v1/connect` answers `{"status": "success"}` to good credentials and the upload API's 401
body to bad ones (its real bodies are UNCONFIRMED).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import parse_qs

from lr_desktop.clevertap import rules
from lr_desktop.emulators.clevertap_reads import ReadsApi
from lr_desktop.emulators.copies import CopyCounter
from lr_desktop.emulators.httpserver import DROP, HttpServer, Request, Response

__all__ = [
    "DEMO_ACCOUNT",
    "CleverTapEmulator",
    "EmulatorControl",
    "EmulatorProcess",
    "Faults",
    "Settings",
    "run_in_subprocess",
]

# The documented demo account (fake credentials; used by `lr-desktop emulator` by default).
DEMO_ACCOUNT: tuple[str, str, str] = ("DEMO-000-0001", "demo-passcode", "demo-token")

CODE_PROFILE_NOT_FOUND = 404  # invented: the real code is UNCONFIRMED
UNAUTHORISED = {"status": "fail", "error": "Account ID is not valid", "code": 401}
# the attribution partner API's own 401 body (generic-attribution-partner doc)
ATTRIBUTION_UNAUTHORISED = {"status": "fail", "error": "Invalid Account Info", "code": 401}
_ERROR_TEXT = {
    429: "Too many concurrent requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}
_BAD_OBJECT_ID = re.compile(r"[\s\x00-\x1f\x7f]")
_UTM_KEYS = ("utm_source", "utm_campaign", "utm_medium")


@dataclass
class Faults:
    """Injected trouble for /1/upload, /attribution and /1/profile.json (never /_emulator/)."""

    error_rate: float = 0.0  # answer one of error_statuses instead of processing
    error_statuses: tuple[int, ...] = (503,)  # e.g. (429, 500, 503)
    drop_rate: float = 0.0  # close the connection without answering, nothing processed
    lost_answer_rate: float = 0.0  # process the request, then close without answering
    latency: float = 0.0  # seconds added to every request (held "in progress")
    jitter: float = 0.0  # plus uniform(0, jitter) seconds
    slow_rate: float = 0.0  # this share of requests waits slow_seconds more
    slow_seconds: float = 30.0
    seed: int | None = 0  # RNG seed; None = unseeded

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        if "error_statuses" in values:
            values["error_statuses"] = tuple(int(s) for s in values["error_statuses"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["error_statuses"] = list(self.error_statuses)
        return d


@dataclass
class Settings:
    """Server behaviour; the UNCONFIRMED parts of clevertap-api.md live here."""

    max_concurrent: int = rules.MAX_CONCURRENT_REQUESTS  # per account, /1/upload
    max_records: int = rules.MAX_RECORDS_PER_REQUEST
    max_event_names: int = 512  # distinct event names per account; more -> 528
    partners: set[str] = field(default_factory=lambda: {"linkrunner"})
    accept_organic_attribution: bool = True
    record_as_string: bool = False  # `unprocessed[].record` as a JSON string
    always_success_status: bool = False  # "status": "success" even with rejects
    reject_object_ids: set[str] = field(default_factory=set)  # -> 526
    misc_error_object_ids: set[str] = field(default_factory=set)  # -> 555
    honour_dry_run: bool = True  # ?dryRun=1 validates without storing (UNCONFIRMED)
    profile_not_found_http_status: int = 200  # UNCONFIRMED
    max_stored_events: int = 2_000_000  # beyond this events are counted, not kept

    _SETS = ("partners", "reject_object_ids", "misc_error_object_ids")

    def update(self, data: Mapping[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        for key, value in data.items():
            setattr(self, key, set(value) if key in self._SETS else value)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in self._SETS:
            d[key] = sorted(d[key])
        return d


@dataclass(slots=True)
class _Profile:
    data: dict[str, Any] | None = None  # lazily created: most profiles only have events
    events: dict[str, list[int]] = field(default_factory=dict)  # name -> [count, first, last]

    def add_event(self, name: str, ts: int) -> None:
        seen = self.events.get(name)
        if seen is None:
            self.events[name] = [1, ts, ts]
        else:
            seen[0] += 1
            seen[1] = min(seen[1], ts)
            seen[2] = max(seen[2], ts)


def _fail(status: int, error: str) -> Response:
    return Response(status, {"status": "fail", "error": error, "code": status})


class CleverTapEmulator:
    """In-process CleverTap emulator. `accounts` maps Project ID -> (passcode, token)."""

    def __init__(
        self,
        accounts: Mapping[str, tuple[str, str] | tuple[str] | str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        **settings: Any,
    ) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, tuple[str, str]] = {}
        for project_id, creds in (accounts or {}).items():
            if isinstance(creds, str):
                creds = (creds,)
            self.add_account(project_id, creds[0], creds[1] if len(creds) > 1 else "")
        self.settings = Settings()
        self.settings.update(settings)
        self._faults = faults or Faults()
        self._rng = random.Random(self._faults.seed)
        self._server = HttpServer(self.handle, host, port)
        self._in_progress: Counter[str] = Counter()
        self._init_state()
        self.reads = ReadsApi(self)  # /1/events.json (clevertap_reads.py)

    def _init_state(self) -> None:
        self._events: list[tuple[str, str, str, int, dict[str, Any]]] = []
        self._profiles: dict[str, dict[str, _Profile]] = {}  # account -> objectId -> profile
        self._installs: list[dict[str, Any]] = []
        self._event_ids: dict[str, set[Any]] = {}  # account -> lr_event_ids seen
        self._install_keys: set[tuple[Any, ...]] = set()
        self._copies = CopyCounter()  # upload install events per lr_event_id and per user
        self._event_names: dict[str, set[str]] = {}
        self._counts: Counter[str] = Counter()
        self._codes: Counter[int] = Counter()
        self._max_concurrent = 0

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> CleverTapEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def serve_forever(self, ready: Callable[[], None] | None = None) -> None:
        """Foreground until Ctrl+C / SIGTERM; `ready()` runs once listening."""
        self._server.serve_forever(ready)

    def __enter__(self) -> CleverTapEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    # -- Python API ---------------------------------------------------------------------

    def add_account(self, project_id: str, passcode: str, token: str = "") -> None:
        with self._lock:
            self._accounts[project_id] = (passcode, token)

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)

    def reset(self) -> None:
        """Forget stored data and counters (keeps accounts, settings and faults)."""
        with self._lock:
            self._init_state()
            self._rng = random.Random(self._faults.seed)

    def events(
        self, object_id: str | None = None, *, name: str | None = None, account: str | None = None
    ) -> list[dict[str, Any]]:
        """Accepted events in arrival order (attribution installs appear as "UTM Visited")."""
        with self._lock:
            rows = list(self._events)
        return [
            {"account": a, "objectId": o, "evtName": n, "ts": ts, "evtData": d}
            for a, o, n, ts, d in rows
            if (object_id is None or o == object_id)
            and (name is None or n == name)
            and (account is None or a == account)
        ]

    def profile(self, object_id: str, account: str | None = None) -> dict[str, Any] | None:
        """The /1/profile.json `record` for this objectId, or None."""
        with self._lock:
            for a, by_id in self._profiles.items():
                prof = by_id.get(object_id)
                if prof is not None and (account is None or a == account):
                    return self._profile_record(object_id, prof)
        return None

    def profiles(self, account: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"account": a, **self._profile_record(o, p)}
                for a, by_id in self._profiles.items()
                if account is None or a == account
                for o, p in by_id.items()
            ]

    def installs(self, account: str | None = None) -> list[dict[str, Any]]:
        """Attribution installs that were stored."""
        with self._lock:
            return [dict(i) for i in self._installs if account is None or i["account"] == account]

    def copies(self, *, full: bool = False) -> dict[str, Any]:
        """Install event copies per lr_event_id and per user (see `emulators.copies`)."""
        with self._lock:
            return self._copies.report(full=full)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {
                k: self._counts.get(k, 0)
                for k in (
                    "requests",
                    "upload_requests",
                    "attribution_requests",
                    "attribution_posts",
                    "profile_requests",
                    "connect_requests",
                    "records_processed",
                    "records_rejected",
                    "http_400",
                    "http_401",
                    "http_429",
                    "faults_error",
                    "faults_drop",
                    "faults_lost_answer",
                    "faults_slow",
                    "duplicates",
                    "events_not_kept",
                    "attribution_stored",
                    "attribution_dropped",
                    "attribution_organic_ignored",
                    "attribution_duplicates",
                )
            }
            out["rejected_by_code"] = dict(sorted(self._codes.items()))
            out["max_concurrent"] = self._max_concurrent
            out["in_progress"] = sum(self._in_progress.values())
            out["events_stored"] = len(self._events)
            out["profiles"] = sum(len(by_id) for by_id in self._profiles.values())
        return out

    def state(
        self, object_id: str | None = None, account: str | None = None, limit: int | None = None
    ) -> dict[str, Any]:
        events = self.events(object_id, account=account)
        profiles = [
            p for p in self.profiles(account) if object_id is None or p["objectId"] == object_id
        ]
        if limit is not None:
            events, profiles = events[-limit:], profiles[-limit:]
        return {"events": events, "profiles": profiles, "installs": self.installs(account)}

    # -- HTTP ---------------------------------------------------------------------------

    async def handle(self, req: Request) -> Response:
        path = req.path
        if path.startswith("/_emulator/"):
            return self._control(req)
        if path == "/1/upload":
            if req.method != "POST":
                return _fail(405, "Method not allowed")
            return await self._upload(req)
        if path == "/attribution":
            if req.method not in ("GET", "POST"):
                return _fail(405, "Method not allowed")
            return await self._attribution(req)
        if path == "/1/profile.json":
            if req.method != "GET":
                return _fail(405, "Method not allowed")
            return await self._profile_json(req)
        if path == "/1/events.json":
            return await self.reads.events_json(req)
        if path == "/v1/connect" and req.method == "GET":
            self._count("requests", "connect_requests")
            if self._header_account(req) is None:
                return self._unauthorised()
            return Response(200, {"status": "success"})
        return Response(200, b"")  # CleverTap's hosts answer 200, empty, on arbitrary paths

    def _count(self, *names: str) -> None:
        with self._lock:
            for n in names:
                self._counts[n] += 1

    def _header_account(self, req: Request) -> str | None:
        account = req.headers.get("x-clevertap-account-id", "")
        passcode = req.headers.get("x-clevertap-passcode")
        creds = self._accounts.get(account)
        if creds is None or passcode != creds[0]:
            return None
        return account

    def _unauthorised(self) -> Response:
        self._count("http_401")
        return Response(401, dict(UNAUTHORISED))

    def _bad(self, error: str) -> Response:
        self._count("http_400")
        return _fail(400, error)

    async def _faults_before(self) -> tuple[Response | None, bool]:
        """Apply latency/slow/drop/error. Returns (early answer or None, lose-the-answer)."""
        with self._lock:
            f, rng = self._faults, self._rng
            delay = f.latency + (rng.uniform(0, f.jitter) if f.jitter > 0 else 0.0)
            slow = f.slow_rate > 0 and rng.random() < f.slow_rate
            drop = f.drop_rate > 0 and rng.random() < f.drop_rate
            error = f.error_rate > 0 and rng.random() < f.error_rate
            status = rng.choice(f.error_statuses) if error and f.error_statuses else 503
            lost = f.lost_answer_rate > 0 and rng.random() < f.lost_answer_rate
            if slow:
                delay += f.slow_seconds
                self._counts["faults_slow"] += 1
        if delay > 0:
            await asyncio.sleep(delay)
        if drop:
            self._count("faults_drop")
            return DROP, False
        if error:
            self._count("faults_error")
            return _fail(status, _ERROR_TEXT.get(status, "Server error")), False
        if lost:
            self._count("faults_lost_answer")
        return None, lost

    # -- /1/upload ----------------------------------------------------------------------

    async def _upload(self, req: Request) -> Response:
        self._count("requests", "upload_requests")
        account = self._header_account(req)
        if account is None:
            return self._unauthorised()
        with self._lock:
            running = self._in_progress[account]
            if running >= self.settings.max_concurrent:
                self._counts["http_429"] += 1
                return _fail(429, "Too many concurrent requests")
            self._in_progress[account] = running + 1
            self._max_concurrent = max(self._max_concurrent, running + 1)
        try:
            early, lost = await self._faults_before()
            if early is not None:
                return early
            answer = self._process_upload(account, req)
            return DROP if lost else answer
        finally:
            with self._lock:
                self._in_progress[account] -= 1
                if not self._in_progress[account]:
                    del self._in_progress[account]

    def _process_upload(self, account: str, req: Request) -> Response:
        try:
            doc = req.json()
        except ValueError:
            return self._bad("Invalid JSON payload")
        if not isinstance(doc, dict) or not isinstance(doc.get("d"), list):
            return self._bad('Payload must be an object of the form {"d": [...]}')
        records: list[Any] = doc["d"]
        s = self.settings
        if len(records) > s.max_records:
            return self._bad(f"Too many records: at most {s.max_records} per request")
        dry_run = s.honour_dry_run and req.arg("dryRun") in ("1", "true")
        now = int(time.time())
        unprocessed: list[dict[str, Any]] = []
        processed = 0
        with self._lock:
            for number, rec in enumerate(records, 1):
                problem = self._record_problem(account, rec)
                if problem is not None:
                    code, reason = problem
                    self._codes[code] += 1
                    unprocessed.append(
                        {
                            "status": "fail",
                            "code": code,
                            "error": f"{reason}. Skipped record number : {number}",
                            "record": json.dumps(rec, separators=(",", ":"))
                            if s.record_as_string
                            else rec,
                        }
                    )
                    continue
                processed += 1
                if not dry_run:
                    self._store(account, rec, now)
            self._counts["records_processed"] += processed
            self._counts["records_rejected"] += len(unprocessed)
        if not unprocessed or s.always_success_status:
            status = "success"
        else:
            status = "partial" if processed else "fail"
        return Response(200, {"status": status, "processed": processed, "unprocessed": unprocessed})

    def _record_problem(self, account: str, rec: Any) -> tuple[int, str] | None:
        """Called with the lock held."""
        if not isinstance(rec, dict):
            return rules.CODE_INVALID_STRUCTURE, "record must be an object"
        kind = rec.get("type")
        try:
            if kind == "event":
                if not isinstance(rec.get("evtName", ""), str):
                    return rules.CODE_INVALID_STRUCTURE, "event name must be a string"
                problem = rules.event_record_problem(rec)
            elif kind == "profile":
                problem = rules.profile_record_problem(rec)
            else:
                return rules.CODE_NOT_EVENT_OR_PROFILE, "record is neither an event nor a profile"
        except (TypeError, AttributeError):
            return rules.CODE_INVALID_STRUCTURE, "invalid record structure"
        if problem is not None:
            return problem
        oid: str = rec["objectId"]
        s = self.settings
        if _BAD_OBJECT_ID.search(oid) or oid in s.reject_object_ids:
            return rules.CODE_INVALID_OBJECT_ID, "invalid objectId"
        if oid in s.misc_error_object_ids:
            return rules.CODE_SERVER_MISC, "miscellaneous server error"
        if kind == "event":
            names = self._event_names.setdefault(account, set())
            key = rules.normalise_event_name(rec["evtName"])
            if key not in names:
                if len(names) >= s.max_event_names:
                    return rules.CODE_DISCARDED_NAME, "event name discarded: too many event names"
                names.add(key)
        return None

    def _store(self, account: str, rec: dict[str, Any], now: int) -> None:
        """Called with the lock held."""
        oid = rec["objectId"]
        ts = rec.get("ts", now)
        prof = self._get_profile(account, oid)
        if rec["type"] == "profile":
            if prof.data is None:
                prof.data = {}
            prof.data.update(rec.get("profileData") or {})
            return
        data = rec.get("evtData") or {}
        self._add_event(account, oid, rec["evtName"], ts, data, prof)
        self._copies.add(oid, data)
        event_id = data.get("lr_event_id")
        if event_id is not None:
            seen = self._event_ids.setdefault(account, set())
            if event_id in seen:
                self._counts["duplicates"] += 1
            else:
                seen.add(event_id)

    def _get_profile(self, account: str, oid: str) -> _Profile:
        by_id = self._profiles.setdefault(account, {})
        prof = by_id.get(oid)
        if prof is None:
            prof = by_id[oid] = _Profile()
        return prof

    def _add_event(
        self, account: str, oid: str, name: str, ts: int, data: dict[str, Any], prof: _Profile
    ) -> None:
        prof.add_event(name, ts)
        if len(self._events) < self.settings.max_stored_events:
            self._events.append((account, oid, name, ts, data))
        else:
            self._counts["events_not_kept"] += 1

    # -- /attribution -------------------------------------------------------------------

    async def _attribution(self, req: Request) -> Response:
        self._count("requests", "attribution_requests")
        if req.method == "POST":
            self._count("attribution_posts")  # the method is configurable (UNCONFIRMED)
        query = dict(req.query)
        ctype = req.headers.get("content-type", "")
        if req.method == "POST" and req.body and "application/x-www-form-urlencoded" in ctype:
            for k, v in parse_qs(
                req.body.decode("utf-8", "replace"), keep_blank_values=True
            ).items():
                query.setdefault(k, v)

        def arg(name: str) -> str:
            values = query.get(name)
            return values[0] if values else ""

        account = arg("account_id")
        creds = self._accounts.get(account)
        if creds is None or creds != (arg("account_passcode"), arg("account_token")):
            self._count("http_401")
            return Response(401, dict(ATTRIBUTION_UNAUTHORISED))
        early, lost = await self._faults_before()
        if early is not None:
            return early
        answer = self._process_attribution(account, arg)
        return DROP if lost else answer

    def _process_attribution(self, account: str, arg: Any) -> Response:
        s = self.settings
        if arg("partner_name") not in s.partners:
            return self._bad("Partner is not whitelisted")
        event_type = arg("event_type")
        if event_type not in ("organic_install", "inorganic_install"):
            return self._bad("event_type must be organic_install or inorganic_install")
        utm = {k: arg(k) for k in _UTM_KEYS if arg(k)}
        if not utm:
            return self._bad("At least one utm parameter is required")
        raw_ts = arg("timestamp")
        if raw_ts:
            if not raw_ts.isdigit() or rules.timestamp_problem(int(raw_ts)) is not None:
                return self._bad("timestamp must be epoch seconds")
            ts = int(raw_ts)
        else:
            ts = int(time.time())
        device = arg("device_identifier").strip()
        ok = Response(200, {"status": "success"})
        if not device:
            self._count("attribution_dropped")
            return ok
        if event_type == "organic_install" and not s.accept_organic_attribution:
            self._count("attribution_organic_ignored")
            return ok
        install = {
            "account": account,
            "device_identifier": device,
            "event_type": event_type,
            "timestamp": ts,
            "platform": arg("platform"),
            "partner_name": arg("partner_name"),
            **{k: arg(k) for k in _UTM_KEYS},
        }
        data = {**utm, "event_type": event_type, "partner_name": install["partner_name"]}
        if install["platform"]:
            data["platform"] = install["platform"]
        with self._lock:
            key = (account, device, event_type, ts, *utm.values())
            if key in self._install_keys:
                self._counts["attribution_duplicates"] += 1
            self._install_keys.add(key)
            self._installs.append(install)
            self._counts["attribution_stored"] += 1
            prof = self._get_profile(account, device)
            self._add_event(account, device, "UTM Visited", ts, data, prof)
        return ok

    # -- /1/profile.json ----------------------------------------------------------------

    async def _profile_json(self, req: Request) -> Response:
        self._count("requests", "profile_requests")
        account = self._header_account(req)
        if account is None:
            return self._unauthorised()
        early, lost = await self._faults_before()
        if early is not None:
            return early
        object_id = req.arg("objectId") or ""
        with self._lock:
            prof = self._profiles.get(account, {}).get(object_id)
            record = self._profile_record(object_id, prof) if prof else None
        if record is None:
            answer = Response(
                self.settings.profile_not_found_http_status,
                {"status": "fail", "error": "Profile not found", "code": CODE_PROFILE_NOT_FOUND},
            )
        else:
            answer = Response(200, {"status": "success", "record": record})
        return DROP if lost else answer

    @staticmethod
    def _profile_record(object_id: str, prof: _Profile) -> dict[str, Any]:
        return {
            "objectId": object_id,
            "profileData": dict(prof.data or {}),
            "events": {
                name: {"count": c, "first_seen": first, "last_seen": last}
                for name, (c, first, last) in prof.events.items()
            },
        }

    # -- /_emulator/ --------------------------------------------------------------------

    def _control(self, req: Request) -> Response:
        what = req.path[len("/_emulator/") :].strip("/")
        write = req.method in ("POST", "PUT")
        try:
            body = req.json() if write and req.body else {}
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            if what.startswith("reads/"):
                return self.reads.control(what[len("reads/") :], write, body)
            if what == "health":
                return Response(200, {"status": "ok"})
            if what == "stats":
                return Response(200, self.stats())
            if what == "copies":
                return Response(200, self.copies(full=req.arg("full") in ("1", "true")))
            if what == "state":
                limit = req.arg("limit")
                return Response(
                    200,
                    self.state(
                        req.arg("object_id"), req.arg("account"), int(limit) if limit else None
                    ),
                )
            if what == "faults":
                if write:
                    self.faults = Faults.from_dict(body)
                return Response(200, self.faults.to_dict())
            if what == "config":
                if write:
                    with self._lock:
                        self.settings.update(body)
                return Response(200, self.settings.to_dict())
            if what == "reset" and write:
                self.reset()
                return Response(200, {"status": "ok"})
            if what == "accounts" and write:
                self.add_account(
                    str(body["project_id"]), str(body["passcode"]), str(body.get("token", ""))
                )
                return Response(200, {"status": "ok"})
        except (ValueError, KeyError, TypeError) as exc:
            return _fail(400, f"bad control request: {exc}")
        return _fail(404, f"unknown control endpoint {req.method} {req.path}")


class EmulatorControl:
    """Drive an emulator in another process through its /_emulator/ endpoints."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        import httpx

        self._http = httpx.Client(base_url=url.rstrip("/") + "/_emulator", timeout=timeout)

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        resp = self._http.get(path, params={k: v for k, v in params.items() if v is not None})
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def _post(self, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        resp = self._http.post(path, json=dict(body or {}))
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def stats(self) -> dict[str, Any]:
        return self._get("/stats")

    def state(self, object_id: str | None = None, limit: int | None = None) -> dict[str, Any]:
        return self._get("/state", object_id=object_id, limit=limit)

    def copies(self, full: bool = False) -> dict[str, Any]:
        return self._get("/copies", full=1 if full else None)

    def set_faults(self, faults: Faults | Mapping[str, Any]) -> dict[str, Any]:
        return self._post("/faults", faults.to_dict() if isinstance(faults, Faults) else faults)

    def configure(self, **settings: Any) -> dict[str, Any]:
        body = {k: sorted(v) if isinstance(v, set | frozenset) else v for k, v in settings.items()}
        return self._post("/config", body)

    def reset(self) -> None:
        self._post("/reset")

    def add_account(self, project_id: str, passcode: str, token: str = "") -> None:
        self._post("/accounts", {"project_id": project_id, "passcode": passcode, "token": token})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EmulatorProcess:
    """An emulator started with `lr-desktop emulator` in a child process."""

    def __init__(self, proc: subprocess.Popen[str], url: str, reader: threading.Thread) -> None:
        self.proc = proc
        self.url = url
        self.control = EmulatorControl(url)
        self._reader = reader

    def stop(self) -> None:
        self.control.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(10)
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_subprocess(
    accounts: Iterable[tuple[str, str, str]] = (DEMO_ACCOUNT,),
    extra_args: Iterable[str] = (),
    timeout: float = 30.0,
) -> EmulatorProcess:
    """Start `python -m lr_desktop emulator --port 0` and wait for its URL (own GIL: for
    benchmarks). Set faults/settings afterwards through `.control`."""
    cmd = [sys.executable, "-u", "-m", "lr_desktop", "emulator", "--port", "0"]
    for acc in accounts:
        cmd += ["--account", ":".join(acc)]
    cmd += list(extra_args)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    found: list[str] = []
    ready = threading.Event()
    assert proc.stdout is not None
    stdout = proc.stdout

    def read_output() -> None:  # keeps draining so the child never blocks on a full pipe
        for line in stdout:
            m = None if found else re.search(r"http://127\.0\.0\.1:\d+", line)
            if m:
                found.append(m.group(0))
                ready.set()
        ready.set()

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    ready.wait(timeout)
    if not found:
        proc.kill()
        proc.wait(10)
        reader.join(10)
        raise RuntimeError("the emulator process did not report its URL")
    return EmulatorProcess(proc, found[0], reader)
