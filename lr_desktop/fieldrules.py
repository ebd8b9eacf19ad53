"""Plausibility rules for imported values that a careless or hostile file gets wrong.

Kept apart from `fieldmap.py` (the field names and the hot path) so the rules can be
read in one place. The README's import section states the same rules.

Install times (`installed_at`, `attributed_at`, `store_click_at`; other times, like
`pull --since`, only need to be a real date between 1970 and 2286):
- accepted from 2010-01-01 00:00 UTC (before Linkrunner, or any app store
  attribution, existed there is nothing to attribute) up to FUTURE_GRACE after now;
  a time after now but within the grace (clock skew, a local time read as UTC) is
  accepted, and the importer warns about it;
- a bare number is epoch seconds; one outside the window is refused with the date it
  would mean (`2026` is 1970-01-01 00:33 UTC, not the year 2026), and one whose
  thousandth is in the window "looks like milliseconds";
- compact ISO dates are accepted: `20260101`, `20260101T120000Z`, `20260101T1200`;
  eight digits that form a valid date are read as YYYYMMDD (as epoch seconds they
  would be August 1970, outside the window anyway).

Numeric ids: a JSON number can only stand for an id exactly when it is a whole number
below 2**53 (JSON readers, ours included, hold fractional numbers as 64-bit floats:
`9007199254740993.0` reads as `9007199254740992`). Whole JSON integers without a
fraction are exact at any size; numbers of more than MAX_DIGITS digits are refused.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

MIN_INSTALL_TS = 1_262_304_000  # 2010-01-01T00:00:00Z
FUTURE_GRACE = 2 * 86_400  # seconds after now still accepted (with a warning)
MIN_LABEL = "2010-01-01"
WINDOW_HINT = (
    f"install times from {MIN_LABEL} to today are accepted, as an ISO date like "
    "2026-01-01T10:00:00Z (or 20260101) or epoch seconds"
)
GENERIC_HINT = "use an ISO date like 2026-01-01T10:00:00Z (or 20260101) or epoch seconds"
INSTALL_TIME_FIELDS = frozenset(("installed_at", "attributed_at", "store_click_at"))
_GENERIC_WINDOW = (1, 9_999_999_999)  # what CleverTap takes as epoch seconds
EXACT_FLOAT_LIMIT = 2**53  # floats at or above this may stand for a neighbouring integer
MAX_DIGITS = 40  # digits in a number read from a file; Python refuses int() over 4,300


class HugeNumber(str):
    """A JSON number with more than MAX_DIGITS digits, kept as its text (never an int)."""

    __slots__ = ()


def parse_json_int(text: str) -> int | HugeNumber:
    """`json` parse_int hook: int() refuses more than 4,300 digits with a ValueError
    that would end the whole file; a HugeNumber is refused per record instead."""
    if len(text) > MAX_DIGITS:
        return HugeNumber(text)
    return int(text)


def huge_number_reason(field: str, value: str) -> str:
    return (
        f"{field} is a number with {len(value.lstrip('-')):,} digits, which is not a usable value"
    )


def float_id_problem(field: str, value: float) -> str | None:
    """Why a JSON float cannot stand for an id (None if it can: whole and exact)."""
    if not value.is_integer():
        return f"{field} {value!r} is not a whole number; ids must be text or whole numbers"
    if abs(value) >= EXACT_FLOAT_LIMIT:
        return (
            f"{field} {value!r} is a number too large to be read exactly (JSON numbers with a "
            "fraction or exponent lose digits above 9,007,199,254,740,992); write the id in "
            'quotes, like "9007199254740993"'
        )
    return None


def latest_accepted(now: float | None = None) -> int:
    return int(time.time() if now is None else now) + FUTURE_GRACE


def _as_date(ts: int) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return "no real date"


def window_problem(field: str, shown: str, ts: int, *, number: bool) -> str | None:
    """Why `ts` (epoch seconds, from `shown`) is not a plausible time for field, or None."""
    install = field in INSTALL_TIME_FIELDS
    earliest, latest = (MIN_INSTALL_TS, latest_accepted()) if install else _GENERIC_WINDOW
    if earliest <= ts <= latest:
        return None
    hint = WINDOW_HINT if install else GENERIC_HINT
    if number:
        if ts > latest and earliest <= ts // 1000 <= latest:
            return f"{field} {shown} looks like milliseconds; use epoch seconds or an ISO date"
        if ts > latest and earliest <= ts // 1_000_000 <= latest:
            return f"{field} {shown} looks like microseconds; use epoch seconds or an ISO date"
        meaning = _as_date(ts) if -(10**11) < ts < 10**11 else "no real date"
        return (
            f"{field} {shown} is not a plausible install time: a bare number is read as "
            f"epoch seconds, and this one is {meaning}; {hint}"
        )
    if ts < earliest:
        return f"{field} {shown} is before {MIN_LABEL if install else '1970'}; {hint}"
    return f"{field} {shown} is in the future ({_as_date(ts)}); {hint}"


def compact_date(text: str) -> datetime | None:
    """`20260101` (a valid YYYYMMDD) as midnight UTC, else None."""
    if len(text) != 8 or not text.isdigit() or not text.isascii():
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def digits_problem(field: str, text: str) -> str | None:
    """Refuse numeric text too long to be any time before int() sees it (4,300 digits)."""
    if len(text) > MAX_DIGITS:
        return f"{field} is a number with {len(text):,} digits, not a date; {WINDOW_HINT}"
    return None


def show(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
