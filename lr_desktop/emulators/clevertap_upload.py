"""The CleverTap emulator's `POST /1/upload`: at most `max_concurrent` requests per
account at once (more answer 429), at most `max_records` records each, every record checked
as clevertap-api.md describes (rejects answer in `unprocessed`, named by record number)."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from lr_desktop.clevertap import rules
from lr_desktop.emulators.clevertap_settings import ERROR_TEXT
from lr_desktop.emulators.httpserver import DROP, Request, Response

if TYPE_CHECKING:
    from lr_desktop.emulators.clevertap import CleverTapEmulator

__all__ = ["UploadApi"]

_BAD_OBJECT_ID = re.compile(r"[\s\x00-\x1f\x7f]")


class UploadApi:
    """Works on the emulator's own state, with its lock (as `ReadsApi` does)."""

    def __init__(self, emu: CleverTapEmulator) -> None:
        self.emu = emu

    async def upload(self, req: Request) -> Response:
        emu = self.emu
        emu._count("requests", "upload_requests")
        account = emu._header_account(req)
        if account is None:
            return emu._unauthorised()
        with emu._lock:
            running = emu._in_progress[account]
            if running >= emu.settings.max_concurrent:
                emu._counts["http_429"] += 1
                return Response(429, {"status": "fail", "error": ERROR_TEXT[429], "code": 429})
            emu._in_progress[account] = running + 1
            emu._max_concurrent = max(emu._max_concurrent, running + 1)
        try:
            early, lost = await emu._faults_before()
            if early is not None:
                return early
            answer = self._process(account, req)
            return DROP if lost else answer
        finally:
            with emu._lock:
                emu._in_progress[account] -= 1
                if not emu._in_progress[account]:
                    del emu._in_progress[account]

    def _process(self, account: str, req: Request) -> Response:
        emu = self.emu
        try:
            doc = req.json()
        except ValueError:
            return emu._bad("Invalid JSON payload")
        if not isinstance(doc, dict) or not isinstance(doc.get("d"), list):
            return emu._bad('Payload must be an object of the form {"d": [...]}')
        records: list[Any] = doc["d"]
        s = emu.settings
        if len(records) > s.max_records:
            return emu._bad(f"Too many records: at most {s.max_records} per request")
        dry_run = s.honour_dry_run and req.arg("dryRun") in ("1", "true")
        now = int(time.time())
        unprocessed: list[dict[str, Any]] = []
        processed = 0
        with emu._lock:
            for number, rec in enumerate(records, 1):
                problem = self._record_problem(account, rec)
                if problem is not None:
                    code, reason = problem
                    emu._codes[code] += 1
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
            emu._counts["records_processed"] += processed
            emu._counts["records_rejected"] += len(unprocessed)
        if not unprocessed or s.always_success_status:
            status = "success"
        else:
            status = "partial" if processed else "fail"
        return Response(200, {"status": status, "processed": processed, "unprocessed": unprocessed})

    def _record_problem(self, account: str, rec: Any) -> tuple[int, str] | None:
        """Called with the lock held."""
        emu = self.emu
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
        s = emu.settings
        if _BAD_OBJECT_ID.search(oid) or oid in s.reject_object_ids:
            return rules.CODE_INVALID_OBJECT_ID, "invalid objectId"
        if oid in s.misc_error_object_ids:
            return rules.CODE_SERVER_MISC, "miscellaneous server error"
        if kind == "event":
            names = emu._event_names.setdefault(account, set())
            key = rules.normalise_event_name(rec["evtName"])
            if key not in names:
                if len(names) >= s.max_event_names:
                    return rules.CODE_DISCARDED_NAME, "event name discarded: too many event names"
                names.add(key)
        return None

    def _store(self, account: str, rec: dict[str, Any], now: int) -> None:
        """Called with the lock held."""
        emu = self.emu
        oid = rec["objectId"]
        ts = rec.get("ts", now)
        prof = emu._get_profile(account, oid)
        if rec["type"] == "profile":
            if prof.data is None:
                prof.data = {}
            prof.data.update(rec.get("profileData") or {})
            return
        data = rec.get("evtData") or {}
        emu._add_event(account, oid, rec["evtName"], ts, data, prof)
        emu._copies.add(oid, data)
        event_id = data.get("lr_event_id")
        if event_id is not None:
            seen = emu._event_ids.setdefault(account, set())
            if event_id in seen:
                emu._counts["duplicates"] += 1
            else:
                seen.add(event_id)
