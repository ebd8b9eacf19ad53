"""Check before re-sending: ask CleverTap whether a "maybe processed" event landed
before sending it again.

An event is "maybe processed" when its request may have reached CleverTap but no verdict
came back (a lost or unreadable answer, a timeout, a 5xx, a crash in flight). CleverTap
keeps every copy and deletes none, so instead of re-sending blindly the engine looks the
events up by `lr_event_id` with the Get Events API over their dates (the day before and
after too: CleverTap selects dates in the account's time zone). Found ones are delivered
("CleverTap confirmed"); only the missing ones are sent again. When the read API itself
fails the old behaviour holds: re-send and flag "possibly duplicated".

Attribution mode: CleverTap keeps those installs as "UTM Visited" events without
`lr_event_id`, so they are matched by CleverTap ID, a timestamp within
`attribution_match_seconds` and the utm fields (`verify.attribution`: how exact that
is). Only a copy whose fields all agree confirms an install; another partner's "UTM
Visited" never does. (The profile's "UTM Visited" count would be one read, but a
profile can hold other "UTM Visited" events: the record match is the exact route.)

Costs and limits: one query plus one request per page of up to 5000 events for each
event name and stretch of dates, so a check downloads every install event of those days
(not only the few asked about), at most MAX_PAGES pages: beyond that the old behaviour. After an answer that never came (a timeout, a dropped
connection) the request may still be running at CleverTap: the check waits
`precheck_settle` seconds first. CleverTap documents no indexing delay for the Get
Events API: if one exists, an event that landed could look missing and be sent twice.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.clevertap.payloads import event_record
from lr_desktop.clevertap.reads import (
    CleverTapReader,
    CursorRefused,
    ReadApiError,
    parse_ts,
    record_profile,
)
from lr_desktop.verify.attribution import (
    UTM_VISITED,
    Install,
    count_copies,
    expected_fields,
)

if TYPE_CHECKING:
    from lr_desktop.sync.ledger import Due, SyncStore
    from lr_desktop.sync.types import SyncSummary

__all__ = ["CONFIRMED", "Precheck", "settle_flagged"]

MAX_PAGES = 20  # 100,000 events per check: beyond that, re-send and flag as before
READ_RETRIES = 5  # a check is a shortcut: when reads keep failing, fall back soon
SPAN_DAYS = 29  # + a day each side: one Get Events query covers at most 31 days
CONFIRMED = "Checked before re-sending: CleverTap confirmed it holds this event; not sent again"
SEVERAL = "Checked before re-sending: CleverTap already holds several copies; not sent again"
ABSENT = "Checked before re-sending: not in CleverTap; sent again"
CHUNK = 1000


def _ranges(stamps: Sequence[int]) -> list[tuple[int, int]]:
    """YYYYMMDD (from, to) ranges covering these timestamps' days, a day wider each side."""
    days = sorted({datetime.fromtimestamp(int(t), UTC).date() for t in stamps})
    spans: list[tuple[date, date]] = []
    start = end = days[0]
    for d in days[1:]:
        if (d - start).days > SPAN_DAYS:
            spans.append((start, end))
            start = d
        end = d
    spans.append((start, end))
    one = timedelta(days=1)
    return [
        (int((a - one).strftime("%Y%m%d")), int((b + one).strftime("%Y%m%d"))) for a, b in spans
    ]


class Precheck:
    """The engine's read side for one run. Use `async with`; the reader opens on first use."""

    def __init__(self, cfg: CleverTapConfig) -> None:
        self.enabled = cfg.precheck
        self.attribution = cfg.mode == "attribution"
        self.cfg = replace(cfg, max_retries=min(cfg.max_retries, READ_RETRIES))
        self._reader: CleverTapReader | None = None
        self.failure: str | None = None  # the last read failure, in words

    async def __aenter__(self) -> Precheck:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            await self._reader.aclose()

    async def _open(self) -> CleverTapReader:
        reader = self._reader
        if reader is None:
            reader = CleverTapReader(self.cfg, concurrency=self.cfg.read_concurrency)
            await reader.__aenter__()  # returns the reader itself, typed as its base class
            self._reader = reader
        return reader

    async def landed(self, records: Sequence[dict[str, Any]]) -> Counter[str] | None:
        """How many copies CleverTap holds of each of these records, by `lr_event_id`
        (absent: none); None: not checked (the read API failed, or checking is off)."""
        if not self.enabled or not records:
            return None
        wanted: dict[str, list[int]] = {}
        for rec in records:
            wanted.setdefault(rec["evtName"], []).append(int(rec["ts"]))
        ids = {str(rec["evtData"]["lr_event_id"]) for rec in records}

        def ours(rec: dict[str, Any]) -> str | None:
            props = rec.get("event_props")
            eid = str(props.get("lr_event_id")) if isinstance(props, dict) else None
            return eid if eid in ids else None

        found: Counter[str] = Counter()
        try:
            reader = await self._open()
            for name, stamps in wanted.items():
                for lo, hi in _ranges(stamps):
                    kept = await self._scan(reader, name, lo, hi, ours)
                    found.update(eid for r in kept if (eid := ours(r)) is not None)
        except ReadApiError as exc:
            self.failure = str(exc)
            return None
        self.failure = None
        return found

    async def landed_installs(self, rows: Sequence[dict[str, Any]]) -> list[int] | None:
        """Attribution mode: how many exact "UTM Visited" copies CleverTap holds of each
        of these installs (rows of `installs`); None: not checked."""
        if not self.enabled or not rows:
            return None
        tol = self.cfg.attribution_match_seconds
        installs: dict[str, list[Install]] = {}
        for i, row in enumerate(rows):
            inst = Install(i, int(row["installed_at"]), expected_fields(row, self.cfg))
            installs.setdefault(str(row["clevertap_id"]), []).append(inst)
        found: Counter[int] = Counter()
        try:
            reader = await self._open()
            for lo, hi in _ranges([int(r["installed_at"]) for r in rows]):
                records = await self._scan(
                    reader, UTM_VISITED, lo, hi, lambda rec: record_profile(rec) in installs
                )
                found.update(
                    count_copies(
                        ((record_profile(r), parse_ts(r.get("ts")), _props(r)) for r in records),
                        installs,
                        tol,
                        self.cfg,
                    )
                )
        except ReadApiError as exc:
            self.failure = str(exc)
            return None
        self.failure = None
        return [found[i] for i in range(len(rows))]

    async def copies(self, items: Sequence[dict[str, Any]]) -> list[int] | None:
        """Copies CleverTap holds of each item: Upload API event records (upload mode)
        or install rows (attribution mode); None: not checked."""
        if self.attribution:
            return await self.landed_installs(items)
        held = await self.landed(items)
        return None if held is None else [held[_event_id(r) or ""] for r in items]

    async def _scan(
        self,
        reader: CleverTapReader,
        name: str,
        lo: int,
        hi: int,
        keep: Callable[[dict[str, Any]], object],
    ) -> list[dict[str, Any]]:
        """Every record `keep` keeps in one query (all pages: a second copy matters)."""
        for restart in range(2):
            kept: list[dict[str, Any]] = []
            try:
                cursor: str | None = await reader.start_events(name, lo, hi)
                pages = 0
                while cursor:
                    pages += 1
                    if pages > MAX_PAGES:  # a busy day: the check would cost more than it saves
                        raise ReadApiError(
                            f"the check would download more than {MAX_PAGES} pages of events"
                        )
                    page = await reader.page(cursor)
                    kept += [rec for rec in page.records if keep(rec)]
                    cursor = page.next_cursor
                return kept
            except CursorRefused:
                if restart:
                    raise
        raise AssertionError("unreachable")

    async def before_resend(
        self,
        records: Sequence[dict[str, Any]],
        pending: list[int],
        maybe_dup: set[int],
        accepted: list[int],
        answered_at: float,
        no_answer: bool,
        halted: Callable[[], bool],
    ) -> list[int]:
        """Inside a run, before the engine sends `pending` again: the maybe-processed
        ones CleverTap holds move to `accepted` (out of `maybe_dup` when it holds exactly
        one copy; flagged when more), the ones it does not hold lose their flag. Returns
        what still has to be sent."""
        doubt = [i for i in pending if i in maybe_dup and self._checkable(records[i])]
        if not self.enabled or not doubt:
            return pending
        if no_answer:  # the request may still be running at CleverTap: let it finish
            deadline = answered_at + self.cfg.precheck_settle
            while (left := deadline - time.monotonic()) > 0 and not halted():
                await asyncio.sleep(min(left, 0.05))
        if halted():
            return pending
        held = await self.copies([records[i] for i in doubt])
        if held is None:
            return pending
        there = {i for i, n in zip(doubt, held, strict=True) if n}
        maybe_dup.difference_update(i for i, n in zip(doubt, held, strict=True) if n < 2)
        accepted.extend(sorted(there))
        return [i for i in pending if i not in there]

    def _checkable(self, item: dict[str, Any]) -> bool:
        """An install (not a profile upsert: re-sending one is harmless)."""
        return self.attribution or _event_id(item) is not None


def _props(record: dict[str, Any]) -> dict[str, Any]:
    props = record.get("event_props")
    return props if isinstance(props, dict) else {}


def _event_id(record: dict[str, Any]) -> str | None:
    """An install event's lr_event_id (None for a profile upsert: re-sending one is harmless)."""
    data = record.get("evtData") if record.get("type") == "event" else None
    return str(data["lr_event_id"]) if isinstance(data, dict) and "lr_event_id" in data else None


def _flagged(store: SyncStore, due: Due, after: int) -> list[dict[str, Any]]:
    return store.rows(
        f"possibly_duplicated = 1 AND status IN ('queued', 'failed') AND {due.sql}", after, CHUNK
    )


def _settle(
    store: SyncStore,
    there: list[int],
    absent: list[int],
    more: list[int],
    run_id: int,
    mode: str = "upload",
) -> None:
    """One transaction: confirmed ones delivered and unflagged, absent ones unflagged (sent
    next), ones CleverTap holds several copies of delivered and left flagged."""
    now = time.time()
    with store._tx():
        conn = store.conn
        for rowids, outcome, note in (
            (there, "delivered", CONFIRMED),
            (absent, "retry", ABSENT),
            (more, "delivered", SEVERAL),
        ):
            if not rowids:
                continue
            ids = json.dumps(rowids)
            conn.execute(
                "INSERT INTO attempts (user_id, run_id, at, mode, kind, outcome, message) "
                "SELECT user_id, ?, ?, 'precheck', 'event', ?, ? FROM installs "
                "WHERE rowid IN (SELECT value FROM json_each(?))",
                (run_id, now, outcome, note, ids),
            )
            if outcome == "delivered":
                conn.execute(
                    "UPDATE installs SET status = 'delivered', delivered_at = ?, "
                    "delivered_fingerprint = fingerprint, delivered_mode = ?, "
                    "possibly_duplicated = ?, last_code = NULL, last_error = ? "
                    "WHERE rowid IN (SELECT value FROM json_each(?)) "
                    "AND status IN ('queued', 'failed')",
                    (int(now), mode, int(rowids is more), note, ids),
                )
            else:
                conn.execute(
                    "UPDATE installs SET possibly_duplicated = 0 "
                    "WHERE rowid IN (SELECT value FROM json_each(?))",
                    (ids,),
                )


async def settle_flagged(
    precheck: Precheck,
    store: SyncStore,
    due: Due,
    summary: SyncSummary,
    db: Callable[..., Any],
    halted: Callable[[], bool],
) -> None:
    """At the start of a run: due events flagged "possibly duplicated" (in flight when a
    run died, or given up on after a lost answer) are looked up first. Found ones become
    delivered, the others lose the flag and are sent as usual. `db` runs store work on
    the engine's database thread."""
    if not precheck.enabled:
        return
    after, waited, there_n, absent_n, duplicated = 0, False, 0, 0, 0
    while not halted():
        rows = await db(_flagged, store, due, after)
        if not rows:
            break
        after = rows[-1]["rowid"]
        if not waited:  # a killed run's requests may still be finishing at CleverTap
            waited = True
            deadline = time.monotonic() + precheck.cfg.precheck_settle
            while (left := deadline - time.monotonic()) > 0 and not halted():
                await asyncio.sleep(min(left, 0.05))
        items = rows if precheck.attribution else [event_record(r, precheck.cfg) for r in rows]
        held = await precheck.copies(items)
        if held is None:
            summary.warnings.append(
                "CleverTap could not be asked whether the possibly duplicated events had "
                f"landed ({precheck.failure}); they are sent again and stay flagged."
            )
            return
        copies = {r["rowid"]: n for r, n in zip(rows, held, strict=True)}
        there = [rowid for rowid, n in copies.items() if n == 1]
        absent = [rowid for rowid, n in copies.items() if n == 0]
        more = [rowid for rowid, n in copies.items() if n > 1]
        await db(_settle, store, there, absent, more, summary.run_id, precheck.cfg.mode)
        duplicated += len(more)
        there_n, absent_n = there_n + len(there) + len(more), absent_n + len(absent)
    if there_n or absent_n:
        summary.confirmed_by_clevertap += there_n
        summary.possibly_duplicated = max(0, summary.possibly_duplicated - there_n - absent_n)
        summary.possibly_duplicated += duplicated
        summary.warnings.append(
            f"CleverTap was asked before re-sending: {there_n} possibly duplicated events "
            f"were already there (now delivered), {absent_n} were not (sent once now)."
        )
