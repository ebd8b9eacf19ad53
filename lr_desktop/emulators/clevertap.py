"""A CleverTap server emulator following /work/shared/docs/clevertap-api.md.

Serves `POST /1/upload`, `GET|POST /attribution`, `GET /1/profile.json`, `GET /v1/connect`,
`/1/events.json` (the Get Events API, in clevertap_reads.py), plus control endpoints under
`/_emulator/` (no credentials; loopback only; clevertap_control.py). Any other path answers HTTP 200 with an empty
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
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from lr_desktop.clevertap import rules
from lr_desktop.emulators.clevertap_control import control
from lr_desktop.emulators.clevertap_reads import ReadsApi
from lr_desktop.emulators.clevertap_settings import ERROR_TEXT, Faults, Settings
from lr_desktop.emulators.clevertap_upload import UploadApi
from lr_desktop.emulators.copies import CopyCounter
from lr_desktop.emulators.httpserver import DROP, HttpServer, Request, Response

__all__ = ["DEMO_ACCOUNT", "CleverTapEmulator", "Faults", "Settings"]

# The documented demo account (fake credentials; used by `lr-desktop emulator` by default).
DEMO_ACCOUNT: tuple[str, str, str] = ("DEMO-000-0001", "demo-passcode", "demo-token")

CODE_PROFILE_NOT_FOUND = 404  # invented: the real code is UNCONFIRMED
UNAUTHORISED = {"status": "fail", "error": "Account ID is not valid", "code": 401}
# the attribution partner API's own 401 body (generic-attribution-partner doc)
ATTRIBUTION_UNAUTHORISED = {"status": "fail", "error": "Invalid Account Info", "code": 401}
_UTM_KEYS = ("utm_source", "utm_campaign", "utm_medium")


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
        self.uploads = UploadApi(self)  # /1/upload (clevertap_upload.py)

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
            return control(self, req)
        if path == "/1/upload":
            if req.method != "POST":
                return _fail(405, "Method not allowed")
            return await self.uploads.upload(req)
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
            return _fail(status, ERROR_TEXT.get(status, "Server error")), False
        if lost:
            self._count("faults_lost_answer")
        return None, lost

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
