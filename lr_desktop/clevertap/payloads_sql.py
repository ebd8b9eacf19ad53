"""The Upload API event record of `payloads.event_record`, built by SQLite as JSON text.

A sync of a million events spends most of its Python time turning rows into dicts and
dicts into JSON; SQLite does the same in C while it reads the rows. Only rows whose
values are plain enough that SQL and Python build the same record take this path
(`PLAIN_ROW`); any other row (a non-ASCII ad network or CleverTap ID, a NUL, an
over-long value, a missing CleverTap ID...) is built and pre-checked in Python as before.
tests/test_payloads_sql.py proves the two agree, including on generated rows.
"""

from __future__ import annotations

from lr_desktop.clevertap.rules import (
    MAX_IDENTIFIER_CHARS,
    MAX_STRING_BYTES,
    MAX_TS,
    MIN_TS,
)

# Plain values: text of at most MAX_STRING_BYTES bytes without NUL (which SQLite's
# text functions stop at). Cheap tests only: this runs on every row of a sync.
_STRING_FIELDS = ("user_id", "event_id", "platform", "campaign_name", "campaign_id", "ad_network")
_NULLABLE = ("campaign_name", "campaign_id", "ad_network")


def _plain_text(col: str) -> str:
    ok = (
        f"typeof({col}) = 'text' AND length(CAST({col} AS BLOB)) <= {MAX_STRING_BYTES} "
        f"AND instr({col}, char(0)) = 0"
    )
    return f"({col} IS NULL OR ({ok}))" if col in _NULLABLE else f"({ok})"


def _ascii(col: str) -> str:
    """ASCII only (as many characters as bytes): SQLite's upper()/lower() fold ASCII
    only, and str.strip() then strips exactly the characters listed in _WHITESPACE."""
    return f"length({col}) = length(CAST({col} AS BLOB))"


# What Python's str.strip() removes from ASCII text
_WHITESPACE = "' ' || char(9, 10, 11, 12, 13, 28, 29, 30, 31)"

PLAIN_ROW = " AND ".join(
    [
        # CleverTap ID: ASCII, not blank, 1-120 characters
        f"typeof(clevertap_id) = 'text' AND length(clevertap_id) <= {MAX_IDENTIFIER_CHARS}",
        _ascii("clevertap_id"),
        f"trim(clevertap_id, {_WHITESPACE}) != ''",
        f"typeof(installed_at) = 'integer' AND installed_at BETWEEN {MIN_TS} AND {MAX_TS}",
        f"typeof(attribution_type) = 'text' AND {_ascii('attribution_type')}",
        f"(ad_network IS NULL OR {_ascii('ad_network')})",
        *(_plain_text(c) for c in _STRING_FIELDS),
    ]
)

_ORGANIC = "upper(attribution_type) = 'ORGANIC'"

# Parameters: :organic_event and :inorganic_event (the configured event names).
EVENT_RECORD = (
    """'{"type":"event","objectId":' || json_quote(clevertap_id)"""
    f""" || ',"evtName":' || CASE WHEN {_ORGANIC} THEN json_quote(:organic_event) ELSE json_quote(:inorganic_event) END"""
    """ || ',"ts":' || installed_at"""
    f""" || ',"evtData":{{"utm_source":' || CASE WHEN {_ORGANIC} THEN '"organic"'"""
    """ WHEN coalesce(ad_network, '') = '' THEN '"unknown"' ELSE json_quote(lower(ad_network)) END"""
    """ || ',"platform":' || json_quote(platform)"""
    f""" || CASE WHEN NOT {_ORGANIC} AND coalesce(campaign_name, '') != ''"""
    """ THEN ',"utm_campaign":' || json_quote(campaign_name) ELSE '' END"""
    """ || CASE WHEN coalesce(campaign_id, '') != '' THEN ',"campaign_id":' || json_quote(campaign_id) ELSE '' END"""
    """ || CASE WHEN coalesce(ad_network, '') != '' THEN ',"ad_network":' || json_quote(ad_network) ELSE '' END"""
    """ || ',"user_id":' || json_quote(user_id) || ',"lr_event_id":' || json_quote(event_id) || '}}'"""
)
