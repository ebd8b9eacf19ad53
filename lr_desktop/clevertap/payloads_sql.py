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
# evtData's optional keys, in event_record's order: (key, when it is there)
_OPTIONAL = (
    ("utm_campaign", "coalesce(campaign_name, '') != ''"),  # inorganic events only
    ("campaign_id", "coalesce(campaign_id, '') != ''"),
    ("ad_network", "coalesce(ad_network, '') != ''"),
)
_VALUES = {
    "utm_campaign": "campaign_name",
    "campaign_id": "campaign_id",
    "ad_network": "ad_network",
}


def _record(organic: bool, keys: tuple[str, ...], whole: bool = True) -> str:
    """json_object() of one shape of record: organic or not, with these optional keys
    (`whole=False`: its evtData alone)."""
    if organic:
        source = "'organic'"
    else:  # a network is there exactly when the ad_network key is
        source = "lower(ad_network)" if "ad_network" in keys else "'unknown'"
    data = [f"'utm_source', {source}", "'platform', platform"]
    data += [f"'{k}', {_VALUES[k]}" for k, _ in _OPTIONAL if k in keys]
    data += ["'user_id', user_id", "'lr_event_id', event_id"]
    if not whole:
        return f"json_object({', '.join(data)})"
    name = ":organic_event" if organic else ":inorganic_event"
    return (
        f"json_object('type', 'event', 'objectId', clevertap_id, 'evtName', {name}, "
        f"'ts', installed_at, 'evtData', json_object({', '.join(data)}))"
    )


def _shapes(
    organic: bool,
    optional: tuple[tuple[str, str], ...],
    keys: tuple[str, ...],
    whole: bool = True,
) -> str:
    """A CASE tree over the optional keys: each row tests each condition once."""
    if not optional:
        return _record(organic, keys, whole)
    (key, present), rest = optional[0], optional[1:]
    return (
        f"CASE WHEN {present} THEN {_shapes(organic, rest, (*keys, key), whole)} "
        f"ELSE {_shapes(organic, rest, keys, whole)} END"
    )


# Parameters: :organic_event and :inorganic_event (the configured event names).
# json_object() writes each record in one buffer: ~1.8 us a row against ~3.1 us for the
# same text glued together with || (bench/limits.md).
EVENT_RECORD = (
    f"CASE WHEN {_ORGANIC} THEN {_shapes(True, _OPTIONAL[1:], ())} "
    f"ELSE {_shapes(False, _OPTIONAL, ())} END"
)
# The record's evtData alone (Verify compares it with CleverTap's copy's event_props);
# no parameters. It is Python's evtData, character for character, on rows where
# EVENT_DATA_PLAIN holds: fewer tests than PLAIN_ROW (which also answers "would the
# pre-check send it?"), since the check runs on every user of a check.
_EVT_TEXT = ("user_id", "event_id", "platform")
EVENT_DATA_PLAIN = " AND ".join(
    [
        f"typeof(attribution_type) = 'text' AND {_ascii('attribution_type')}",
        f"(ad_network IS NULL OR (typeof(ad_network) = 'text' AND {_ascii('ad_network')}))",
        *(f"typeof({c}) = 'text' AND instr({c}, char(0)) = 0" for c in _EVT_TEXT),
        *(
            f"({c} IS NULL OR (typeof({c}) = 'text' AND instr({c}, char(0)) = 0))"
            for c in _NULLABLE
        ),
    ]
)
EVENT_DATA = (
    f"CASE WHEN {_ORGANIC} THEN {_shapes(True, _OPTIONAL[1:], (), False)} "
    f"ELSE {_shapes(False, _OPTIONAL, (), False)} END"
)
