"""The CSV importer's fast path: `fieldmap.attribution_from_record`, compiled once per file.

A CSV file's header is fixed, so which column feeds which field is decided once
(`compile_mapper`), not looked up for every row. Each row then takes a short path for
the shapes real exports have (ASCII text, epoch seconds, ISO 8601 with `Z` or an
offset, android/ios, ORGANIC/INORGANIC). The fast path never refuses a row itself:
anything it does not recognise, and every row that is refused, goes through
`attribution_from_record`, so the result (or the reason a row is refused) is exactly
the full mapping's. tests/test_csvmap.py checks that on many shapes, bad ones included.

The mapper expects what the CSV reader gives: a dict of column name -> str.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from lr_desktop import fieldrules
from lr_desktop.clevertap.rules import (
    MAX_IDENTIFIER_CHARS,
    MAX_STRING_BYTES,
    identifier_chars_problem,
)
from lr_desktop.fieldmap import (
    FIELD_ALIASES,
    RowProblem,
    attribution_from_record,
    kind_and_network,
)
from lr_desktop.model import ATTRIBUTION_COLUMNS, PLATFORMS, Attribution

__all__ = ["compile_mapper"]

Mapper = Callable[[Mapping[str, Any]], Attribution]

_PLATFORMS = {p: p for p in PLATFORMS}
_LONG = MAX_STRING_BYTES // 4  # longer strings may be over CleverTap's byte limit
_ISO_ENDS = frozenset("Z0123456789")  # last character of the ISO shapes taken here
_AT = {name: i for i, name in enumerate(ATTRIBUTION_COLUMNS)}
_USER, _TYPE, _PLATFORM = _AT["user_id"], _AT["attribution_type"], _AT["platform"]
_INSTALLED, _ATTRIBUTED, _CLICKED = _AT["installed_at"], _AT["attributed_at"], _AT["store_click_at"]
_CT, _NETWORK, _SOURCE = _AT["clevertap_id"], _AT["ad_network"], _AT["attribution_source"]
_CAMPAIGN_ID, _CAMPAIGN_NAME = _AT["campaign_id"], _AT["campaign_name"]


def compile_mapper(names: Sequence[str]) -> Mapper:
    """A mapper for records with these column names (the header, normalised).

    A header with two alternatives for one field (`user_id` and `user_data_id`) keeps
    the full mapping for every row: which one wins is decided per row there.
    """
    keys: list[str | None] = []
    present = set(names)
    for field in ATTRIBUTION_COLUMNS:
        found = [name for name in FIELD_ALIASES[field] if name in present]
        if len(found) > 1:
            return attribution_from_record
        keys.append(found[0] if found else None)
    return _FastMapper(keys).map


class _FastMapper:
    def __init__(self, keys: list[str | None]) -> None:
        self.values: Callable[[Mapping[str, Any]], tuple[str, ...]]
        if None in keys:  # a column the file lacks reads as "", like an empty cell
            blanks = ("",) * len(keys)
            self.values = lambda record: tuple(map(record.get, keys, blanks))  # type: ignore[arg-type]
        else:
            self.values = itemgetter(*keys)
        # a time after this is checked by the full mapping, which reads the clock itself
        self.latest = fieldrules.latest_accepted()

    def map(self, record: Mapping[str, Any]) -> Attribution:
        try:
            item = self.fast(record)
        except RowProblem:  # refused: the full mapping says why, in its own order
            item = None
        return attribution_from_record(record) if item is None else item

    def fast(self, record: Mapping[str, Any]) -> Attribution | None:
        """The Attribution, or None when the full mapping has to decide."""
        raw = self.values(record)
        if not "".join(raw).isascii():  # non-ASCII text is rare: the full mapping checks it
            return None
        clean: list[Any] = [value.strip() or None for value in raw]
        user_id, platform = clean[_USER], clean[_PLATFORM]
        if user_id is None or platform is None:
            return None
        platform = _PLATFORMS.get(platform) or _PLATFORMS.get(platform.lower())
        if platform is None:
            return None
        latest = self.latest
        for at in (_INSTALLED, _ATTRIBUTED, _CLICKED):
            text = clean[at]
            if text is not None:
                ts = _timestamp(text, latest)
                if ts is None:
                    return None
                clean[at] = ts
            elif at == _INSTALLED or raw[at]:  # blank is not absent: the full mapping refuses it
                return None
        clevertap_id = clean[_CT]
        if clevertap_id is not None and (
            len(clevertap_id) > MAX_IDENTIFIER_CHARS or identifier_chars_problem(clevertap_id)
        ):
            return None
        attribution_type, ad_network = kind_and_network(
            clean[_TYPE], clean[_SOURCE], clean[_NETWORK]
        )
        for value in (user_id, ad_network, clean[_CAMPAIGN_ID], clean[_CAMPAIGN_NAME]):
            if value is not None and len(value) > _LONG:
                return None
        clean[_TYPE] = attribution_type
        clean[_PLATFORM] = platform
        clean[_NETWORK] = ad_network
        return _build(clean)


def _timestamp(text: str, latest: int) -> int | None:
    """Epoch seconds from digits or from ISO 8601 text inside the window, else None."""
    if text.isdigit():  # ASCII here; compact dates (20260101) are below the window
        if len(text) > fieldrules.MAX_DIGITS:  # int() refuses over 4,300 digits
            return None
        ts = int(text)
    elif text[4:5] == "-" and text[:4].isdigit() and text[-1] in _ISO_ENDS:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        try:
            ts = math.floor(when.timestamp())
        except (OverflowError, ValueError, OSError):
            return None
    else:
        return None
    return ts if fieldrules.MIN_INSTALL_TS <= ts <= latest else None


class _Draft:
    """Attribution's slots without its frozen __setattr__ (see _make_build)."""

    __slots__ = ATTRIBUTION_COLUMNS


def _make_build() -> Callable[[list[Any]], Attribution]:
    """Attribution from its values in column order, at a third of the cost of the slot
    setters `fieldmap` calls (and a sixth of the frozen dataclass's __init__).

    The values are stored on a _Draft, a plain class with the same slots, one statement
    per field (as `dataclasses` writes its own __init__), which CPython specialises into
    direct slot stores; then the draft becomes an Attribution by __class__ assignment,
    which Python allows between classes of the same layout. Checked once here: an
    Attribution this cannot build gets its own __init__.
    """
    scope: dict[str, Any] = {"new": object.__new__, "Draft": _Draft, "Attribution": Attribution}
    lines = ["def build(values):", "    item = new(Draft)"]
    lines += [f"    item.{name} = values[{i}]" for i, name in enumerate(ATTRIBUTION_COLUMNS)]
    lines += ["    item.__class__ = Attribution", "    return item"]
    exec("\n".join(lines), scope)  # field names and indexes only: no data reaches the source
    build: Callable[[list[Any]], Attribution] = scope["build"]
    sample: list[Any] = [f"value {i}" for i in range(len(ATTRIBUTION_COLUMNS))]
    try:
        item = build(sample)
        usable = type(item) is Attribution and item == Attribution(*sample)
    except TypeError:  # another layout (a __weakref__ slot, no slots at all)
        usable = False
    if usable and not hasattr(Attribution, "__post_init__"):
        return build
    return lambda values: Attribution(*values)


_build = _make_build()
