"""Attribution mode in Verify and in the check before re-sending (no Qt).

CleverTap stores an install sent to its attribution partner API as the profile's system
event "UTM Visited", without our `lr_event_id`. So a copy is matched to a user by
evidence instead of by id:

- the profile: the record's objectId (or identity) is the user's CleverTap ID;
- the time: the record's `ts` is within `attribution_match_seconds` of the install
  timestamp sent (which ts CleverTap records, the one sent or its arrival, is
  UNCONFIRMED: hence a tolerance, a setting);
- the fields: utm_source, utm_campaign and, when the record has it, event_type. A record
  on the profile and in the time window whose fields disagree is still the user's copy,
  judged "different" (so a changed copy is never taken for a missing one and re-sent).

A record naming another partner (`partner_name` present and not ours) is never a copy:
"UTM Visited" also comes from CleverTap's SDK and other partners. An unmatched record is
"unknown here" only when it names our partner. Each record is one user's copy at most:
the user whose fields it matches, then the nearest in time. What can fool it: two
installs of one profile within the tolerance with the same fields (their copies may be
swapped or both given to one user), a CleverTap ts far from the one sent (clock or
queueing), and a foreign "UTM Visited" without `partner_name` close to the install.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from lr_desktop.clevertap.config import CleverTapConfig
from lr_desktop.clevertap.payloads import attribution_params
from lr_desktop.verify.verdicts import Settled, absent_verdict
from lr_desktop.verify.verdicts import _settle as settle_user  # the same settling rules

UTM_VISITED = "UTM Visited"
MATCH_FIELDS = ("utm_source", "utm_campaign", "event_type")
MATCHED_BY = "profile+time"
# installs whose copy in CleverTap is a "UTM Visited" event: delivered in attribution
# mode, or not delivered yet while attribution mode is the setting
ATTRIBUTION_USERS = (
    "(delivered_mode = 'attribution' OR (delivered_mode IS NULL AND :mode = 'attribution'))"
)
_USER_COLUMNS = (
    "rowid, user_id, event_id, clevertap_id, installed_at, attribution_type, ad_network, "
    "campaign_name, platform, status, possibly_duplicated, delivered_at"
)


def wanted(conn: sqlite3.Connection, cfg: CleverTapConfig) -> bool:
    """Whether a check downloads "UTM Visited": the queue has attribution-mode installs."""
    row = conn.execute(
        f"SELECT 1 FROM installs WHERE {ATTRIBUTION_USERS} LIMIT 1", {"mode": cfg.mode}
    ).fetchone()
    return row is not None


def expected_fields(row: Mapping[str, Any], cfg: CleverTapConfig) -> dict[str, str]:
    """The fields of the install as the attribution partner API was sent them."""
    params = attribution_params(row, cfg)
    return {k: params[k] for k in MATCH_FIELDS if k in params}


def differing(expected: Mapping[str, str], props: Mapping[str, Any]) -> list[str]:
    """The fields where a "UTM Visited" record disagrees with the install sent."""
    out = []
    for key in MATCH_FIELDS:
        if key == "event_type" and key not in props:
            continue  # whether CleverTap keeps event_type on the event is UNCONFIRMED
        if str(props.get(key) or "") != expected.get(key, ""):
            out.append(key)
    return out


def names_partner(props: Mapping[str, Any], cfg: CleverTapConfig) -> bool | None:
    """True: the record names our partner; False: another one; None: names none."""
    name = props.get("partner_name")
    if name is None or str(name).strip() == "":
        return None
    return str(name).strip().lower() == cfg.partner_name.strip().lower()


@dataclass(frozen=True)
class Install:
    """An install a record may be the copy of (one profile's candidates)."""

    key: int  # installs.rowid
    ts: int
    expected: dict[str, str]


def best_install(
    ts: int | None,
    props: Mapping[str, Any],
    installs: Iterable[Install],
    tolerance: float,
    cfg: CleverTapConfig,
) -> tuple[Install, list[str]] | None:
    """The install (of one profile) this record is a copy of, with the fields that
    differ; None: no install's time fits, or the record names another partner."""
    if ts is None or names_partner(props, cfg) is False:
        return None
    best: tuple[tuple[int, float, int], Install, list[str]] | None = None
    for inst in installs:
        gap = abs(ts - inst.ts)
        if gap > tolerance:
            continue
        fields = differing(inst.expected, props)
        rank = (len(fields) > 0, gap, inst.key)
        if best is None or rank < best[0]:
            best = (rank, inst, fields)
    return None if best is None else (best[1], best[2])


def count_copies(
    records: Iterable[tuple[str | None, int | None, Mapping[str, Any]]],
    installs: Mapping[str, Sequence[Install]],
    tolerance: float,
    cfg: CleverTapConfig,
) -> Counter[int]:
    """Exact copies per install key among (profile, ts, props) records: the check
    before re-sending counts only copies whose fields all agree."""
    found: Counter[int] = Counter()
    for oid, ts, props in records:
        hit = best_install(ts, props, installs.get(oid or "", ()), tolerance, cfg)
        if hit is not None and not hit[1]:
            found[hit[0].key] += 1
    return found


# -- verify: match the check's "UTM Visited" records, then judge attribution users -----


def match_utm(conn: sqlite3.Connection, check_id: int, cfg: CleverTapConfig) -> None:
    """Set `matched` on the check's "UTM Visited" records (and clear what the id
    matching of upload events gave them: a profile's UTM Visited is no upload copy)."""
    conn.execute(
        "UPDATE ct_records SET matched = NULL, matched_by = NULL "
        "WHERE check_id = ? AND event_name = ?",
        (check_id, UTM_VISITED),
    )
    tol = cfg.attribution_match_seconds
    # every candidate pair in one pass (ordered by record); each record keeps its best
    cur = conn.execute(
        "SELECT r.id, r.ts, r.props, i.rowid, i.user_id, i.installed_at, i.attribution_type, "
        "i.ad_network, i.campaign_name, i.platform, i.clevertap_id FROM ct_records AS r "
        "JOIN installs AS i ON i.clevertap_id = r.object_id "
        "AND i.installed_at BETWEEN r.ts - :tol AND r.ts + :tol "
        f"WHERE r.check_id = :c AND r.event_name = :name AND {ATTRIBUTION_USERS} ORDER BY r.id",
        {"c": check_id, "name": UTM_VISITED, "tol": tol, "mode": cfg.mode},
    )
    updates: list[tuple[str, int]] = []
    for rid, pairs in groupby(cur, key=lambda p: int(p[0])):
        users: dict[int, str] = {}
        cands: list[Install] = []
        ts: int | None = None
        props = "{}"
        for _rid, r_ts, r_props, rowid, uid, *fields in pairs:
            ts, props, users[rowid] = r_ts, r_props, uid
            row = dict(zip(_CANDIDATE_KEYS, fields, strict=True))
            cands.append(Install(rowid, row["installed_at"], expected_fields(row, cfg)))
        hit = best_install(ts, json.loads(props or "{}"), cands, tol, cfg)
        if hit is not None:
            updates.append((users[hit[0].key], rid))
    conn.executemany(
        f"UPDATE ct_records SET matched = ?, matched_by = '{MATCHED_BY}' WHERE id = ?", updates
    )


_CANDIDATE_KEYS = (
    "installed_at", "attribution_type", "ad_network", "campaign_name", "platform", "clevertap_id"
)  # fmt: skip


def _judge(user: dict[str, Any], n: int, exact: int, delivered_before: float) -> str:
    if not n:
        return absent_verdict(user, delivered_before)
    if n > 1:
        return "duplicated"
    return "present" if exact else "different"


JUDGE_CHUNK = 5000  # attribution users judged together
_INSERT_VERDICT = (
    "INSERT INTO ct_verdicts (check_id, user_id, lr_event_id, verdict, copies, fields, "
    "note) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _judge_chunk(
    conn: sqlite3.Connection,
    check_id: int,
    cfg: CleverTapConfig,
    by_uid: dict[str, dict[str, Any]],
    delivered_before: float,
    now: float,
    note: str,
    delta: Counter[str],
    settled: Settled,
) -> None:
    """Judge these attribution users: replace their verdicts, settle their states."""
    uids = list(by_uid)
    marks = ", ".join("?" * len(uids))
    copies: dict[str, list[list[str]]] = defaultdict(list)  # user -> each copy's differing
    for uid, props in conn.execute(
        "SELECT matched, props FROM ct_records WHERE check_id = ? AND event_name = ? "
        f"AND matched IN ({marks}) ORDER BY id",
        (check_id, UTM_VISITED, *uids),
    ):
        user = by_uid[uid]
        copies[uid].append(differing(expected_fields(user, cfg), json.loads(props or "{}")))
    for (v,) in conn.execute(
        f"DELETE FROM ct_verdicts WHERE check_id = ? AND user_id IN ({marks}) RETURNING verdict",
        (check_id, *uids),
    ).fetchall():
        delta[v] -= 1
    rows: list[tuple[Any, ...]] = []
    for uid, user in by_uid.items():
        mine = copies.get(uid, [])
        exact = sum(1 for f in mine if not f)
        verdict = _judge(user, len(mine), exact, delivered_before)
        fields = sorted({name for differ in mine for name in differ})
        delta[verdict] += 1
        extra = json.dumps({"mode": "attribution", "clevertap_id": user["clevertap_id"]})
        rows.append(
            (check_id, uid, user["event_id"], verdict, len(mine),
             json.dumps(fields) if fields else None, extra)
        )  # fmt: skip
        settle_user(conn, user, verdict, exact, now, note, settled, "attribution")
    conn.executemany(_INSERT_VERDICT, rows)


def judge_attribution(
    conn: sqlite3.Connection,
    check_id: int,
    cfg: CleverTapConfig,
    low: int,
    high: int,
    delivered_before: float = float("inf"),
) -> tuple[Counter[str], Settled]:
    """Replace the verdicts the id-based judging gave attribution users (in the range,
    or matched) with their own, add "unknown here" for unmatched records naming our
    partner, and settle states. Returns (the change to the verdict counts, settled:
    made_due / confirmed / flags_cleared). Call inside a transaction, after match_utm."""
    delta: Counter[str] = Counter()
    settled = Settled()
    params = {"c": check_id, "lo": low, "hi": high, "mode": cfg.mode, "name": UTM_VISITED}
    # the users, listed once (rowids), then judged a chunk at a time: memory stays flat
    # however many attribution users there are
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS ct_attr_users (rid INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.ct_attr_users")
    conn.execute(
        "INSERT INTO temp.ct_attr_users SELECT rowid FROM installs WHERE "
        f"{ATTRIBUTION_USERS} AND clevertap_id IS NOT NULL AND "
        "((installed_at >= :lo AND installed_at < :hi) OR user_id IN "
        "(SELECT matched FROM ct_records WHERE check_id = :c AND event_name = :name))",
        params,
    )
    names = [c.strip() for c in _USER_COLUMNS.split(",")]
    cols = ", ".join(f"i.{c}" for c in names)
    now, note = time.time(), f"CleverTap check #{check_id}"
    after = 0
    while True:
        users = conn.execute(
            f"SELECT {cols} FROM temp.ct_attr_users AS a JOIN installs AS i ON i.rowid = a.rid "
            "WHERE a.rid > ? ORDER BY a.rid LIMIT ?",
            (after, JUDGE_CHUNK),
        ).fetchall()
        if not users:
            break
        after = int(users[-1][0])
        by_uid = {v[1]: dict(zip(names, v, strict=True)) for v in users}
        _judge_chunk(conn, check_id, cfg, by_uid, delivered_before, now, note, delta, settled)
    rows: list[tuple[Any, ...]] = []
    unknown: Counter[str] = Counter()  # CleverTap ID -> unmatched records naming our partner
    for oid, props in conn.execute(
        "SELECT object_id, props FROM ct_records WHERE check_id = :c AND event_name = :name "
        "AND matched IS NULL",
        params,
    ):
        if names_partner(json.loads(props or "{}"), cfg):
            unknown[oid] += 1
    for oid, n in sorted(unknown.items(), key=lambda kv: str(kv[0])):
        delta["unknown_here"] += 1
        extra = json.dumps({"mode": "attribution", "clevertap_id": oid})
        rows.append((check_id, None, None, "unknown_here", n, None, extra))
    conn.executemany(_INSERT_VERDICT, rows)
    return delta, settled
