"""A Linkrunner Data API emulator on 127.0.0.1 (demo and tests).

`GET /api/v1/campaigns` (query `page`, `limit` <= 1000, default 10, `filter`
ALL/ACTIVE/INACTIVE, `channel` GOOGLE/META/TIKTOK) lists campaigns, with the fields of
Airbyte's connector schema (display_id, name, created_at, update_at, google, meta, active,
link, attributed_users, ...). `GET /api/v1/attributed-users` with header `linkrunner-key`,
query `display_id` (REQUIRED, as Linkrunner's docs mark it), `page` (1-based), `limit`
(<= 1000, default 10), `start_timestamp`/`end_timestamp` (inclusive; ISO 8601,
`YYYY-MM-DD HH:MM:SS`, a date, or epoch seconds; naive values are read in `timezone`,
default UTC). Newest first. The envelope is an assumption (Linkrunner does not document
it precisely; the client accepts several):

    {"status": 200, "msg": "Attributed users",
     "data": {"users": [...], "pagination": {"page", "limit", "total", "pages"}}}

Two answer shapes (`shape=`): "rich" (the demo's) adds `clevertap_id`, `platform` and
`ad_channel` (the network) to each user; "documented" sends only the fields Airbyte's
schema lists (no CleverTap ID, platform, type or network; iOS devices carry `idfv`, some
Android ones `gaid`, the rest nothing that names the platform). Every served user came
through a campaign: with `display_id` required, organic installs are not listed.

Error answers are GUESSES (Linkrunner documents none for these cases): no `display_id`
-> 400 `{"status": 400, "msg": "display_id is required"}`; an unknown campaign -> 404
`{"status": 404, "msg": "Campaign not found"}`; 401 for a missing or wrong key, 400 for
bad paging, 429 (Retry-After: 1) above `rate_limit` requests in any one second. Control
endpoints (no key) under `/_emulator/`: `GET stats`, `GET users`, `POST users {"count",
"attributed_at"?}`, `POST trickle {"count", "every"}` (count 0 stops), `POST faults
{"status", "times"}` (status 0 drops the connection), `POST reset`.

Run standalone: `python -m lr_desktop.emulators.linkrunner --users 500 --trickle 5 --every 10`.
"""

from __future__ import annotations

import argparse
import collections
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lr_desktop.emulators.httpserver import HttpServer, Request, Response
from lr_desktop.emulators.linkrunner_api import CAMPAIGNS_PATH, USERS_PATH, DataApi
from lr_desktop.emulators.linkrunner_data import (
    ONE_CAMPAIGN,
    campaign_records,
    documented_view,
    generate_user,
    iso,
)

__all__ = [
    "CAMPAIGNS_PATH",
    "DEMO_KEY",
    "ONE_CAMPAIGN",
    "USERS_PATH",
    "Hold",
    "LinkrunnerEmulator",
    "generate_user",
    "iso",
]

DEMO_KEY = "demo-linkrunner-key"
SHAPES = ("rich", "documented")


def _epoch(iso_text: str) -> float:
    return datetime.fromisoformat(iso_text.replace("Z", "+00:00")).timestamp()


@dataclass
class Hold:
    """Requests for pages >= `page` (of campaign `display_id`, or of any) wait until
    `release()`; `reached` is set when one does."""

    page: int
    reached: threading.Event
    released: threading.Event
    display_id: str | None = None

    def release(self) -> None:
        self.released.set()


class LinkrunnerEmulator:
    """In-process emulator: `LinkrunnerEmulator(api_key=..., seed=..., users=...).start()`."""

    def __init__(
        self,
        api_key: str = DEMO_KEY,
        *,
        seed: int = 0,
        users: int = 0,
        days: int = 30,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int | None = 30,
        clock: Callable[[], float] = time.time,
        shape: str = "rich",
        one_campaign: bool = False,
    ) -> None:
        if shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}")
        self.api_key = api_key
        self.shape = shape
        self.one_campaign = one_campaign  # every user in ONE_CAMPAIGN (paging tests)
        self.rate_limit = rate_limit
        self.clock = clock
        self._seed = seed
        self._days = days
        self._initial = users
        self._lock = threading.Lock()
        self._server = HttpServer(self.handle, host=host, port=port)
        self.api = DataApi(self)  # the Data API's endpoints (linkrunner_api.py)
        self._trickle_stop = threading.Event()
        self._trickle: threading.Thread | None = None
        self._init_state()

    def _init_state(self) -> None:
        with self._lock:
            self._rng = random.Random(self._seed)
            self._users: list[dict[str, Any]] = []  # as served
            self._rich: list[dict[str, Any]] = []  # what Linkrunner knows (CleverTap IDs...)
            self._campaigns = campaign_records(self.clock() - self._days * 86400)
            self._campaign_faults: dict[str, list[int]] = {}
            self._times: list[float] = []  # attributed_at (epoch) per user, same order
            self._recent: collections.deque[float] = collections.deque()  # served, last 1 s
            self._window: collections.deque[float] = collections.deque()  # all, last 1 s
            self._faults: list[int] = []
            self._holds: list[Hold] = []
            self.counters: collections.Counter[str] = collections.Counter()
            self.max_requests_per_second = 0
        if self._initial:
            now = self.clock()
            span = self._days * 86400
            rng = random.Random(self._seed + 1)
            times = sorted(now - 1 - rng.random() * span for _ in range(self._initial))
            self._add(times)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> LinkrunnerEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self.stop_trickle()
        with self._lock:
            for hold in self._holds:
                hold.release()
        self._server.stop()

    def serve_forever(self, ready: Callable[[], None] | None = None) -> None:
        try:
            self._server.serve_forever(ready)
        finally:
            self.stop_trickle()

    def __enter__(self) -> LinkrunnerEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    # -- data ----------------------------------------------------------------------

    def _add(self, times: list[float]) -> list[dict[str, Any]]:
        with self._lock:
            added = []
            for t in times:
                user = generate_user(self._rng, len(self._users) + 1, t)
                if self.one_campaign:
                    user.update(
                        ad_channel="META",
                        campaign_display_id=ONE_CAMPAIGN,
                        campaign_name="Summer Sale",
                        link=f"https://app.lrnr.in/{ONE_CAMPAIGN}",
                    )
                self._rich.append(user)
                if self.shape == "documented":
                    user = documented_view(user, self._rng)
                self._users.append(user)
                self._times.append(float(int(t)))
                added.append(user)
            return added

    def add_users(self, n: int, *, attributed_at: float | None = None) -> list[dict[str, Any]]:
        """Attribute `n` more users now (or at `attributed_at`, e.g. to simulate late rows)."""
        t = self.clock() if attributed_at is None else attributed_at
        return self._add([t] * n)

    def add_records(self, records: list[dict[str, Any]], *, attributed_at: float) -> None:
        """Serve these records as they are (e.g. malformed ones) at `attributed_at`."""
        with self._lock:
            for rec in records:
                self._users.append(rec)
                self._rich.append(rec)
                self._times.append(float(int(attributed_at)))

    def users(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._users)

    def rich_users(self) -> list[dict[str, Any]]:
        """The users as the "rich" shape has them (CleverTap IDs, platforms, networks),
        whichever shape is served: what an ID mapping from the app's backend would know."""
        with self._lock:
            return list(self._rich)

    def campaigns(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{k: v for k, v in c.items() if k != "_channel"} for c in self._campaigns]

    def remove_campaign(self, display_id: str) -> None:
        """The campaign disappears: no longer listed, and its users' endpoint answers 404."""
        with self._lock:
            self._campaigns = [c for c in self._campaigns if c["display_id"] != display_id]

    def add_campaign(self, display_id: str, name: str, channel: str | None = None) -> None:
        """A campaign the generator never fills (add_records can)."""
        record = {**campaign_records(self.clock())[0], "display_id": display_id, "name": name}
        record.update(google=channel == "GOOGLE", meta=channel == "META", _channel=channel)
        with self._lock:
            self._campaigns.append(record)

    def fail_campaign(self, display_id: str, status: int, times: int = 1) -> None:
        """Answer the next `times` requests for this campaign's users with `status`."""
        with self._lock:
            self._campaign_faults.setdefault(display_id, []).extend([status] * times)

    def user_ids(self) -> set[str]:
        with self._lock:
            return {
                u["user_data"]["id"] for u in self._users if isinstance(u.get("user_data"), dict)
            }

    def start_trickle(self, count: int, every: float) -> None:
        """Attribute `count` new users every `every` seconds in a background thread."""
        self.stop_trickle()
        if count <= 0:
            return
        self._trickle_stop = stop = threading.Event()

        def run() -> None:
            while not stop.wait(every):
                self.add_users(count)

        self._trickle = threading.Thread(target=run, name="lr-emu-trickle", daemon=True)
        self._trickle.start()

    def stop_trickle(self) -> None:
        self._trickle_stop.set()
        if self._trickle is not None:
            self._trickle.join(5)
            self._trickle = None

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` data requests with `status` (0 = drop the connection)."""
        with self._lock:
            self._faults.extend([status] * times)

    def hold(self, page: int, display_id: str | None = None) -> Hold:
        """Make requests for pages >= `page` (of one campaign, or of any) wait (e.g. to
        kill a client mid-pull)."""
        h = Hold(page, threading.Event(), threading.Event(), display_id)
        with self._lock:
            self._holds.append(h)
        return h

    def reset(self) -> None:
        self.stop_trickle()
        with self._lock:
            for h in self._holds:
                h.release()
        self._init_state()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "users": len(self._users),
                "requests": self.counters["requests"],
                "pages_served": self.counters["pages"],
                "rate_limited": self.counters["rate_limited"],
                "unauthorised": self.counters["unauthorised"],
                "faults": self.counters["faults"],
                "max_requests_per_second": self.max_requests_per_second,
                "rate_limit": self.rate_limit,
            }

    # -- HTTP ------------------------------------------------------------------------

    async def handle(self, req: Request) -> Response:
        if req.path.startswith("/_emulator/"):
            return self._control(req)
        path = req.path.rstrip("/")
        if path not in (USERS_PATH, CAMPAIGNS_PATH):
            return Response(404, {"status": 404, "msg": "Not found"})
        if req.method != "GET":
            return Response(405, {"status": 405, "msg": "Method not allowed"})
        if path == CAMPAIGNS_PATH:
            return self.api.list_campaigns(req)
        return await self.api.attributed_users(req)

    def _control(self, req: Request) -> Response:
        what = req.path.removeprefix("/_emulator/").strip("/")
        try:
            body = req.json() if req.body else {}
        except ValueError:
            return Response(400, {"error": "body must be JSON"})
        if what == "stats" and req.method == "GET":
            return Response(200, self.stats())
        if what == "users" and req.method == "GET":
            return Response(200, {"users": self.users()})
        if what == "users" and req.method == "POST":
            at = body.get("attributed_at")
            added = self.add_users(
                int(body.get("count", 1)), attributed_at=_epoch(at) if at else None
            )
            return Response(200, {"added": len(added), "users": len(self._users)})
        if what == "trickle" and req.method == "POST":
            self.start_trickle(int(body.get("count", 0)), float(body.get("every", 10)))
            return Response(200, {"ok": True})
        if what == "faults" and req.method == "POST":
            self.fail_next(int(body.get("status", 503)), int(body.get("times", 1)))
            return Response(200, {"ok": True})
        if what == "reset" and req.method == "POST":
            self.reset()
            return Response(200, {"ok": True})
        return Response(404, {"error": f"unknown control endpoint {what!r}"})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Linkrunner Data API emulator on 127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--key", default=DEMO_KEY, help=f"API key it accepts (default {DEMO_KEY})")
    p.add_argument("--users", type=int, default=500, help="users attributed before start")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rate-limit", type=int, default=30, help="requests per second (0 = none)")
    p.add_argument("--trickle", type=int, default=0, help="new users every --every seconds")
    p.add_argument("--every", type=float, default=10.0)
    p.add_argument(
        "--shape",
        choices=SHAPES,
        default="rich",
        help="rich: users carry clevertap_id, platform and network; documented: only the "
        "fields Linkrunner's public sources show",
    )
    args = p.parse_args(argv)
    emu = LinkrunnerEmulator(
        args.key,
        seed=args.seed,
        users=args.users,
        port=args.port,
        rate_limit=args.rate_limit or None,
        shape=args.shape,
    )

    def ready() -> None:
        print(f"Linkrunner emulator listening on {emu.url}", flush=True)
        print(f"  {args.users} users; stats at {emu.url}/_emulator/stats", flush=True)
        if args.trickle:
            emu.start_trickle(args.trickle, args.every)

    emu.serve_forever(ready)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
