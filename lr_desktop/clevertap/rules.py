"""CleverTap's record rules (clevertap-api.md), shared by the importer's checks,
the client's pre-send validation and the bundled emulator."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MAX_RECORDS_PER_REQUEST = 1000
MAX_CONCURRENT_REQUESTS = 15
MAX_EVENT_PROPERTIES = 100  # "up to 100 by default (older docs say 256)"
MAX_KEY_CHARS = 120
MAX_STRING_BYTES = 512
MAX_IDENTIFIER_CHARS = 120
MAX_PROFILE_KEYS = 256
MAX_PROFILE_KEY_BYTES = 120
# Epoch seconds: 13-digit millisecond values (and 0) are rejected with code 525.
MIN_TS = 1
MAX_TS = 9_999_999_999

FORBIDDEN_EVENT_CHARS = set("%><!|&.:;$'\"\\")
RESERVED_EVENT_NAMES = frozenset(
    n.replace(" ", "").lower()
    for n in (
        "Notification Sent",
        "Notification Viewed",
        "Notification Clicked",
        "Notification Delivered",
        "Notification Replied",
        "UTM Visited",
        "App Launched",
        "App Uninstalled",
        "App Version Changed",
        "Stayed",
        "Reply Sent",
        "Experiment Rendered",
        "Reachable By",
        "Identity Reset",
        "Identity Set",
        "Identity Error",
    )
)

# Per-record error codes (clevertap-api.md)
CODE_EVENT_NAME_MISSING = 509
CODE_INVALID_STRUCTURE = 512
CODE_RESERVED_NAME = 513
CODE_TOO_MANY_PROPERTIES = 522
CODE_IDENTITY_MISSING = 523
CODE_NOT_EVENT_OR_PROFILE = 524
CODE_BAD_TIMESTAMP = 525
CODE_INVALID_OBJECT_ID = 526
CODE_DISCARDED_NAME = 528
CODE_SERVER_MISC = 555  # the only per-record code worth retrying

RETRYABLE_RECORD_CODES = frozenset({CODE_SERVER_MISC})


def normalise_event_name(name: str) -> str:
    return name.replace(" ", "").lower()


@lru_cache(maxsize=1024)  # a run uses two names a million times
def event_name_problem(name: str | None) -> str | None:
    """Why CleverTap would refuse this event name, or None."""
    if not name or not name.strip():
        return "the event name is empty"
    bad = sorted(set(name) & FORBIDDEN_EVENT_CHARS)
    if bad:
        return f"the event name may not contain {' '.join(bad)}"
    if normalise_event_name(name) in RESERVED_EVENT_NAMES:
        return f"'{name}' is one of CleverTap's reserved system event names"
    if len(name) > MAX_KEY_CHARS:
        return f"the event name is longer than {MAX_KEY_CHARS} characters"
    return None


def identifier_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "CleverTap ID is missing"
    if len(value) > MAX_IDENTIFIER_CHARS:
        return f"CleverTap ID is longer than {MAX_IDENTIFIER_CHARS} characters"
    return None


# Whitespace and control characters: CleverTap answers 526 (invalid objectId) for them.
_BAD_IDENTIFIER_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")
_CHAR_NAMES = {
    " ": "a space",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a line break",
    "\x00": "a NUL character",
}


def identifier_chars_problem(value: str) -> str | None:
    """Why CleverTap would refuse this identifier's characters (code 526), or None."""
    bad = _BAD_IDENTIFIER_CHAR.search(value)
    if bad is None:
        return None
    what = _CHAR_NAMES.get(bad.group(), f"an invisible character (U+{ord(bad.group()):04X})")
    return (
        f"contains {what} at character {bad.start() + 1}, which CleverTap refuses "
        "(code 526, invalid objectId); a CleverTap ID has no spaces or control characters"
    )


def timestamp_problem(ts: Any) -> str | None:
    if isinstance(ts, bool) or not isinstance(ts, int):
        return "timestamp must be whole epoch seconds"
    if ts < MIN_TS:
        return "timestamp must be after 1970"
    if ts > MAX_TS:
        return "timestamp looks like milliseconds; CleverTap wants epoch seconds"
    return None


def string_value_problem(key: str, value: Any) -> str | None:
    if isinstance(value, str) and len(value.encode("utf-8")) > MAX_STRING_BYTES:
        return f"'{key}' is longer than {MAX_STRING_BYTES} bytes"
    return None


_SCALAR = (str, int, float, bool)


def _event_data_problem(data: Any) -> tuple[int, str] | None:
    if not isinstance(data, dict):
        return CODE_INVALID_STRUCTURE, "evtData must be an object"
    if len(data) > MAX_EVENT_PROPERTIES:
        return CODE_TOO_MANY_PROPERTIES, f"more than {MAX_EVENT_PROPERTIES} event properties"
    for key, value in data.items():
        if len(key) > MAX_KEY_CHARS:
            return CODE_INVALID_STRUCTURE, f"property name longer than {MAX_KEY_CHARS} characters"
        if type(value) is str:
            # A str of at most MAX_STRING_BYTES // 4 characters cannot exceed the byte limit.
            if len(value) > MAX_STRING_BYTES // 4 and len(value.encode("utf-8")) > MAX_STRING_BYTES:
                return CODE_INVALID_STRUCTURE, f"'{key}' is longer than {MAX_STRING_BYTES} bytes"
        elif value is not None and not isinstance(value, _SCALAR):
            return CODE_INVALID_STRUCTURE, f"property '{key}' must be a single value"
    return None


def event_record_problem(record: dict[str, Any]) -> tuple[int, str] | None:
    """(CleverTap code, reason) for an event record CleverTap would refuse, or None.

    Runs once per record on both the client and the emulator, so the common case
    (everything fine) is kept to a handful of cheap checks.
    """
    if record.get("type") != "event":
        return CODE_NOT_EVENT_OR_PROFILE, "record is neither an event nor a profile"
    name = record.get("evtName")
    if not name:
        return CODE_EVENT_NAME_MISSING, "event name is missing"
    problem = event_name_problem(name) if isinstance(name, str) else "the event name is not text"
    if problem:
        code = CODE_RESERVED_NAME if "reserved" in problem else CODE_INVALID_STRUCTURE
        return code, problem
    obj = record.get("objectId")
    if type(obj) is not str or not obj.strip() or len(obj) > MAX_IDENTIFIER_CHARS:
        problem = identifier_problem(obj)
        if problem:
            code = CODE_IDENTITY_MISSING if "missing" in problem else CODE_INVALID_OBJECT_ID
            return code, problem
    if "ts" in record:
        ts = record["ts"]
        if type(ts) is not int or not MIN_TS <= ts <= MAX_TS:
            return CODE_BAD_TIMESTAMP, timestamp_problem(ts) or "bad timestamp"
    return _event_data_problem(record.get("evtData", {}))


def profile_record_problem(record: dict[str, Any]) -> tuple[int, str] | None:
    if record.get("type") != "profile":
        return CODE_NOT_EVENT_OR_PROFILE, "record is neither an event nor a profile"
    problem = identifier_problem(record.get("objectId"))
    if problem:
        code = CODE_IDENTITY_MISSING if "missing" in problem else CODE_INVALID_OBJECT_ID
        return code, problem
    if "ts" in record:
        problem = timestamp_problem(record["ts"])
        if problem:
            return CODE_BAD_TIMESTAMP, problem
    data = record.get("profileData", {})
    if not isinstance(data, dict):
        return CODE_INVALID_STRUCTURE, "profileData must be an object"
    if len(data) > MAX_PROFILE_KEYS:
        return CODE_TOO_MANY_PROPERTIES, f"more than {MAX_PROFILE_KEYS} profile properties"
    for key, value in data.items():
        if len(key.encode("utf-8")) > MAX_PROFILE_KEY_BYTES:
            return (
                CODE_INVALID_STRUCTURE,
                f"profile property name longer than {MAX_PROFILE_KEY_BYTES} bytes",
            )
        problem = string_value_problem(key, value)
        if problem:
            return CODE_INVALID_STRUCTURE, problem
    return None
