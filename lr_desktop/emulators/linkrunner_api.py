"""The Linkrunner emulator's Data API endpoints (`GET /api/v1/campaigns`,
`GET /api/v1/attributed-users`): key check, per-second rate limit, injected faults,
paging and the time window; see linkrunner.py for what they answer."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lr_desktop.emulators.httpserver import DROP, Request, Response
from lr_desktop.emulators.linkrunner_data import paged, select_campaigns

if TYPE_CHECKING:
    from lr_desktop.emulators.linkrunner import LinkrunnerEmulator

__all__ = ["CAMPAIGNS_PATH", "DEFAULT_LIMIT", "MAX_LIMIT", "USERS_PATH", "DataApi"]

USERS_PATH = "/api/v1/attributed-users"
CAMPAIGNS_PATH = "/api/v1/campaigns"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 10  # Linkrunner's documented default page size


def _parse_time(text: str, tz: str) -> float:
    text = text.strip()
    if text.isdigit():
        return float(text)
    value = text.replace("Z", "+00:00").replace(" ", "T", 1)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.timestamp()


class DataApi:
    """Works on the emulator's own state, with its lock."""

    def __init__(self, emu: LinkrunnerEmulator) -> None:
        self.emu = emu

    def _authorised(self, req: Request) -> bool:
        emu = self.emu
        if req.headers.get("linkrunner-key") == emu.api_key:
            return True
        with emu._lock:
            emu.counters["requests"] += 1
            emu.counters["unauthorised"] += 1
        return False

    def _gate(self, req: Request) -> Response | None:
        """The key, the rate limit and injected faults: an early answer, or None."""
        if not self._authorised(req):
            return Response(401, {"status": 401, "msg": "Invalid API key"})
        early, fault = self._admit()
        if early is not None:
            return early
        if fault is not None:
            return DROP if fault == 0 else Response(fault, {"status": fault, "msg": "Injected"})
        return None

    def list_campaigns(self, req: Request) -> Response:
        emu = self.emu
        if (early := self._gate(req)) is not None:
            return early
        try:
            page = int(req.arg("page", "1") or 1)
            limit = int(req.arg("limit", str(DEFAULT_LIMIT)) or DEFAULT_LIMIT)
        except ValueError as exc:
            return Response(400, {"status": 400, "msg": f"Bad query: {exc}"})
        if page < 1 or not 1 <= limit <= MAX_LIMIT:
            return Response(400, {"status": 400, "msg": f"page >= 1 and 1 <= limit <= {MAX_LIMIT}"})
        with emu._lock:
            emu.counters["campaign_pages"] += 1
            counts: Counter[Any] = Counter(u.get("campaign_display_id") for u in emu._users)
            listed = select_campaigns(
                emu._campaigns, counts, req.arg("filter") or "ALL", req.arg("channel") or ""
            )
        return Response(200, paged("Campaigns", "campaigns", listed, page, limit))

    def _admit(self) -> tuple[Response | None, int | None]:
        """Count the request; an early answer (401/429/fault) or the fault to apply."""
        emu = self.emu
        now = time.monotonic()
        with emu._lock:
            emu.counters["requests"] += 1
            emu._window.append(now)
            while emu._window and emu._window[0] <= now - 1.0:
                emu._window.popleft()
            emu.max_requests_per_second = max(emu.max_requests_per_second, len(emu._window))
            while emu._recent and emu._recent[0] <= now - 1.0:
                emu._recent.popleft()
            if emu.rate_limit is not None and len(emu._recent) >= emu.rate_limit:
                emu.counters["rate_limited"] += 1
                return Response(
                    429, {"status": 429, "msg": "Too many requests"}, {"Retry-After": "1"}
                ), None
            emu._recent.append(now)
            if emu._faults:
                emu.counters["faults"] += 1
                return None, emu._faults.pop(0)
        return None, None

    async def attributed_users(self, req: Request) -> Response:
        emu = self.emu
        if (early := self._gate(req)) is not None:
            return early
        try:
            page = int(req.arg("page", "1") or 1)
            limit = int(req.arg("limit", str(DEFAULT_LIMIT)) or DEFAULT_LIMIT)
            tz = req.arg("timezone") or "UTC"
            start = req.arg("start_timestamp")
            end = req.arg("end_timestamp")
            lo = _parse_time(start, tz) if start else None
            hi = _parse_time(end, tz) if end else None
        except (ValueError, ZoneInfoNotFoundError) as exc:
            return Response(400, {"status": 400, "msg": f"Bad query: {exc}"})
        if page < 1 or not 1 <= limit <= MAX_LIMIT:
            return Response(400, {"status": 400, "msg": f"page >= 1 and 1 <= limit <= {MAX_LIMIT}"})
        display_id = (req.arg("display_id") or "").strip()
        if not display_id:  # a guess at the real answer: the docs only mark it required
            return Response(400, {"status": 400, "msg": "display_id is required"})
        with emu._lock:
            known = any(c["display_id"] == display_id for c in emu._campaigns)
            faults = emu._campaign_faults.get(display_id)
            fault = faults.pop(0) if faults else None
        if not known:
            return Response(404, {"status": 404, "msg": "Campaign not found"})
        if fault is not None:
            return DROP if fault == 0 else Response(fault, {"status": fault, "msg": "Injected"})
        await self._wait_holds(page, display_id)
        with emu._lock:
            chosen = [
                (t, i, u)
                for i, (t, u) in enumerate(zip(emu._times, emu._users, strict=True))
                if (lo is None or t >= lo)
                and (hi is None or t <= hi)
                and u.get("campaign_display_id") == display_id
            ]
            emu.counters["pages"] += 1
        chosen.sort(key=lambda x: (-x[0], -x[1]))  # newest first
        rows = [u for _t, _i, u in chosen]
        return Response(200, paged("Attributed users", "users", rows, page, limit))

    async def _wait_holds(self, page: int, display_id: str) -> None:
        emu = self.emu
        with emu._lock:
            holds = [
                h
                for h in emu._holds
                if page >= h.page and h.display_id in (None, display_id) and not h.released.is_set()
            ]
        for h in holds:
            h.reached.set()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, h.released.wait, 60)
