"""The one mapping from a Linkrunner record (a file row or a Data API JSON object)
to an `Attribution`, shared by the file importer and the Linkrunner Data API client.

Accepted names (first non-empty one wins, in this order):

- user_id: `user_id`, the Data API's nested `user_data.id`, or the flattened
  columns `user_data.id` / `user_data_id`.
- clevertap_id: `clevertap_id`, `clevertapId`, nested `user_data.clevertap_id` /
  `additional_data.clevertap_id`, or those names flattened with `.` or `_`.
- ad_network: `ad_network`, `ad_channel` (Data API), `network_name` (webhooks).
- attributed_at: `attributed_at`, `attributed_on` (webhooks).
- every other `Attribution` field by its own name.

Attribution type: `attribution_type` ORGANIC / INORGANIC in any case. When it is
absent, `attribution_source` decides: ORGANIC / INORGANIC as such, and any other
source (META, GOOGLE, ...) means INORGANIC, with that source as the ad network if
none is given. When both are absent (Data API answers carry neither), the ad
network decides the same way: `ORGANIC` is organic, any other network inorganic.

Times: ISO 8601 (no zone means UTC; a trailing ` UTC` is accepted; compact forms
like 20260101T120000Z too) or epoch seconds (number or numeric text), from 2010 to
two days after now (`fieldrules`). Epoch milliseconds are refused with a reason.
Empty or blank values count as absent. Values CleverTap would refuse are refused
here, with the same limits (`clevertap.rules`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from lr_desktop import fieldrules
from lr_desktop.clevertap.rules import (
    MAX_IDENTIFIER_CHARS,
    MAX_STRING_BYTES,
    identifier_chars_problem,
    string_value_problem,
)
from lr_desktop.model import ATTRIBUTION_COLUMNS, INORGANIC, ORGANIC, Attribution

__all__ = [
    "FIELD_ALIASES",
    "REQUIRED_FIELDS",
    "RowProblem",
    "attribution_from_record",
    "kind_and_network",
    "parse_timestamp",
]


class RowProblem(Exception):
    """A record that cannot become an attributed user; the message says why, for a marketer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Attribution field -> accepted flat names, in order of preference.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "user_id": ("user_id", "user_data.id", "user_data_id"),
    "attribution_type": ("attribution_type",),
    "platform": ("platform",),
    "installed_at": ("installed_at",),
    "clevertap_id": (
        "clevertap_id",
        "clevertapId",
        "user_data.clevertap_id",
        "user_data_clevertap_id",
        "additional_data.clevertap_id",
        "additional_data_clevertap_id",
    ),
    "ad_network": ("ad_network", "ad_channel", "network_name"),
    "campaign_id": ("campaign_id",),
    "campaign_display_id": ("campaign_display_id",),
    "campaign_name": ("campaign_name",),
    "attributed_at": ("attributed_at", "attributed_on"),
    "store_click_at": ("store_click_at",),
    "deeplink": ("deeplink",),
    "link": ("link",),
    "attribution_source": ("attribution_source",),
    "ad_set_id": ("ad_set_id",),
    "ad_set_name": ("ad_set_name",),
    "ad_creative_id": ("ad_creative_id",),
    "ad_creative_name": ("ad_creative_name",),
    "group_name": ("group_name",),
    "asset_group_name": ("asset_group_name",),
    "asset_name": ("asset_name",),
}

# A file must have a column for each of these (any of the alternatives will do).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "user_id": FIELD_ALIASES["user_id"],
    "attribution_type": (
        *FIELD_ALIASES["attribution_type"],
        *FIELD_ALIASES["attribution_source"],
        *FIELD_ALIASES["ad_network"],
    ),
    "installed_at": FIELD_ALIASES["installed_at"],
    "platform": FIELD_ALIASES["platform"],
}

_SHOWN = 60  # characters of a bad value quoted back in a reason
_ISO_HINT = fieldrules.WINDOW_HINT
_ID_FIELDS = frozenset(
    ("user_id", "clevertap_id", "campaign_id", "campaign_display_id", "ad_set_id", "ad_creative_id")
)
_PLATFORMS = {"android": "android", "ios": "ios"}
_TYPES = {"ORGANIC": ORGANIC, "INORGANIC": INORGANIC}
_NESTED_CT = (("user_data", "clevertap_id"), ("additional_data", "clevertap_id"))


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _text(field: str, value: Any) -> str | None:
    """A stripped non-empty string, or None; numbers become their digits."""
    if type(value) is str:
        value = value.strip()
        if not value:
            return None
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise RowProblem(f"{field} contains characters that are not valid text") from None
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        raise RowProblem(f"{field} must be text, not {str(value).lower()}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RowProblem(f"{field} {value!r} is not a usable value")
        problem = fieldrules.float_id_problem(field, value) if field in _ID_FIELDS else None
        if problem:
            raise RowProblem(problem)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, fieldrules.HugeNumber):
        raise RowProblem(fieldrules.huge_number_reason(field, value))
    if isinstance(value, str):  # a str subclass
        return _text(field, str(value))
    raise RowProblem(f"{field} must be text, not a {type(value).__name__}")


def _check_range(field: str, shown: Any, ts: int, number: bool = True) -> int:
    problem = fieldrules.window_problem(field, _show(shown), ts, number=number)
    if problem:
        raise RowProblem(problem)
    return ts


def parse_timestamp(value: Any, field: str = "timestamp") -> int:
    """Epoch seconds from ISO 8601 text (no zone = UTC; compact 20260101T1200Z too) or
    epoch seconds (int or numeric text), inside the window of `fieldrules`.

    Raises RowProblem for empty values, milliseconds, implausible times and anything else.
    """
    if type(value) is str:
        text = value.strip()
        if text.isdigit() and text.isascii():
            problem = fieldrules.digits_problem(field, text)
            if problem:
                raise RowProblem(problem)
            day = fieldrules.compact_date(text)
            if day is not None:
                return _from_datetime(field, day, text)
            return _check_range(field, text, int(text))
        return _parse_text(field, text)
    if isinstance(value, bool) or value is None:
        raise RowProblem(f"{field} is missing" if value is None else f"{field} must be a date")
    if isinstance(value, int):
        day = fieldrules.compact_date(str(value)) if 10**7 <= value < 10**8 else None
        if day is not None:
            return _from_datetime(field, day, str(value))
        return _check_range(field, value, value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RowProblem(f"{field} {value!r} is not a date; {_ISO_HINT}")
        return _check_range(field, value, math.floor(value))
    if isinstance(value, str):
        return parse_timestamp(str(value), field)
    if isinstance(value, datetime):
        return _from_datetime(field, value)
    raise RowProblem(f"{field} must be a date, not a {type(value).__name__}")


def _parse_text(field: str, text: str) -> int:
    if not text:
        raise RowProblem(f"{field} is missing")
    if text[0] in "-+" or "." in text:  # plain digits never get here
        number = _number(text)
        if number is not None:
            return _check_range(field, text, number)
    iso = text
    if iso[-3:].upper() in ("UTC", "GMT"):
        iso = iso[:-3].rstrip()
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        raise RowProblem(f"{field} '{_show(text)}' is not a date; {_ISO_HINT}") from None
    return _from_datetime(field, when, text)


def _number(text: str) -> int | None:
    """Whole epoch seconds from numeric text like '-5' or '1767225600.25', else None."""
    body = text[1:] if text[0] in "-+" else text
    whole, _, frac = body.partition(".")
    if not (whole.isdigit() and whole.isascii()) or len(whole) > fieldrules.MAX_DIGITS:
        return None
    if frac and not (frac.isdigit() and frac.isascii()):
        return None
    number = int(whole)
    return -number if text[0] == "-" else number


def _from_datetime(field: str, when: datetime, shown: Any = None) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        ts = math.floor(when.timestamp())
    except (OverflowError, ValueError, OSError):
        raise RowProblem(f"{field} '{_show(shown or when)}' is not a usable date") from None
    return _check_range(field, shown if shown is not None else when.isoformat(), ts, False)


def _pick(raw: Mapping[Any, Any], names: tuple[str, ...]) -> Any:
    get = raw.get
    for name in names:
        value = get(name)
        if value is not None and value != "":
            return value
    return None


def _nested(raw: Mapping[Any, Any], outer: str, inner: str) -> Any:
    obj = raw.get(outer)
    if isinstance(obj, Mapping):
        value = obj.get(inner)
        if value is not None and value != "":
            return value
    return None


# Fields taken by their own name only, with no rule beyond "text or absent".
_PLAIN_FIELDS = (
    "campaign_id",
    "campaign_display_id",
    "campaign_name",
    "deeplink",
    "link",
    "ad_set_id",
    "ad_set_name",
    "ad_creative_id",
    "ad_creative_name",
    "group_name",
    "asset_group_name",
    "asset_name",
)


def _make_builder() -> Callable[[dict[str, Any]], Attribution]:
    """Attribution(**values), about twice as fast when the dataclass has no __post_init__.

    A frozen dataclass's __init__ costs ~4 us for 21 fields (1M rows: 4 s); setting the
    slots directly does exactly what it does, in less than half the time.
    """
    if hasattr(Attribution, "__post_init__") or not hasattr(Attribution, "__slots__"):
        return lambda values: Attribution(**values)
    setters = tuple((name, getattr(Attribution, name).__set__) for name in ATTRIBUTION_COLUMNS)
    new = object.__new__

    def build(values: dict[str, Any]) -> Attribution:
        item = new(Attribution)
        for name, set_ in setters:
            set_(item, values[name])
        return item

    return build


_new_attribution = _make_builder()


def attribution_from_record(raw: Mapping[str, Any]) -> Attribution:
    """Map one Linkrunner record to an Attribution, or raise RowProblem saying why not."""
    if raw.__class__ is not dict and not isinstance(raw, Mapping):
        raise RowProblem(f"the record is a {type(raw).__name__}, not an object with named fields")
    get = raw.get

    # Hot path (1M rows): plain ASCII text is stripped inline; anything else goes to _text.
    user_id = get("user_id")
    if user_id.__class__ is str and user_id.isascii() and (user_id := user_id.strip()):
        pass
    else:
        user_id = _pick(raw, FIELD_ALIASES["user_id"])
        if user_id is None:
            user_id = _nested(raw, "user_data", "id")
        user_id = _text("user_id", user_id)
        if user_id is None:
            raise RowProblem("user_id is missing")

    kw: dict[str, Any] = {}
    for name in _PLAIN_FIELDS:
        value = get(name)
        if value is None:
            kw[name] = None
        elif value.__class__ is str and value.isascii():
            kw[name] = value.strip() or None
        else:
            kw[name] = _text(name, value)

    ad_network = get("ad_network")
    if not (
        ad_network.__class__ is str and ad_network.isascii() and (ad_network := ad_network.strip())
    ):
        ad_network = _text("ad_network", _pick(raw, FIELD_ALIASES["ad_network"]))
    source = get("attribution_source")
    source = (
        source.strip() or None
        if source.__class__ is str and source.isascii()
        else _text("attribution_source", source)
    )
    kind = get("attribution_type")
    kind = (
        kind.strip() or None
        if kind.__class__ is str and kind.isascii()
        else _text("attribution_type", kind)
    )
    attribution_type, ad_network = kind_and_network(kind, source, ad_network)

    platform = get("platform")
    if platform is None or platform == "":
        platform = _device_platform(raw)
    platform = (platform.__class__ is str and _PLATFORMS.get(platform)) or _platform(platform)

    installed = get("installed_at")
    if installed is None or installed == "":
        raise RowProblem("installed_at is missing")
    installed_at = parse_timestamp(installed, "installed_at")
    attributed = get("attributed_at")
    if attributed is None or attributed == "":
        attributed = _pick(raw, FIELD_ALIASES["attributed_at"])
    if attributed is not None:
        attributed = parse_timestamp(attributed, "attributed_at")
    clicked = get("store_click_at")
    clicked = (
        None if clicked is None or clicked == "" else parse_timestamp(clicked, "store_click_at")
    )

    clevertap_id = get("clevertap_id")
    if not (
        clevertap_id.__class__ is str
        and clevertap_id.isascii()
        and (clevertap_id := clevertap_id.strip())
    ):
        clevertap_id = _pick(raw, FIELD_ALIASES["clevertap_id"])
        if clevertap_id is None:
            for outer, inner in _NESTED_CT:
                clevertap_id = _nested(raw, outer, inner)
                if clevertap_id is not None:
                    break
        clevertap_id = _text("clevertap_id", clevertap_id)
    if clevertap_id is not None:
        if len(clevertap_id) > MAX_IDENTIFIER_CHARS:
            raise RowProblem(
                f"clevertap_id is longer than {MAX_IDENTIFIER_CHARS} characters, which CleverTap refuses"
            )
        problem = identifier_chars_problem(clevertap_id)
        if problem:
            raise RowProblem(f"clevertap_id {problem}")

    # Strings that go into the CleverTap event must fit its byte limit (4 bytes/char at most).
    for field, value in (
        ("user_id", user_id),
        ("ad_network", ad_network),
        ("campaign_id", kw["campaign_id"]),
        ("campaign_name", kw["campaign_name"]),
    ):
        too_long = value is not None and len(value) > MAX_STRING_BYTES // 4
        if too_long and string_value_problem(field, value):
            raise RowProblem(
                f"{field} is longer than {MAX_STRING_BYTES} bytes, which CleverTap refuses"
            )

    kw["user_id"] = user_id
    kw["attribution_type"] = attribution_type
    kw["platform"] = platform
    kw["installed_at"] = installed_at
    kw["clevertap_id"] = clevertap_id
    kw["ad_network"] = ad_network
    kw["attributed_at"] = attributed
    kw["store_click_at"] = clicked
    kw["attribution_source"] = source
    return _new_attribution(kw)


def kind_and_network(
    kind: str | None, source: str | None, ad_network: str | None
) -> tuple[str, str | None]:
    """The attribution type and ad network from the three (stripped) columns that say it."""
    if kind is not None:
        attribution_type = _TYPES.get(kind.upper())
        if attribution_type is None:
            raise RowProblem(f"attribution_type '{_show(kind)}' is not ORGANIC or INORGANIC")
    elif source is not None:
        attribution_type = _TYPES.get(source.upper(), INORGANIC)
        if ad_network is None and source.upper() not in _TYPES:
            ad_network = source  # META, GOOGLE, ...: the source is the network
    elif ad_network is not None:
        attribution_type = ORGANIC if ad_network.upper() == ORGANIC else INORGANIC
    else:
        raise RowProblem("attribution_type is missing (expected ORGANIC or INORGANIC)")
    if ad_network is not None and ad_network.upper() == ORGANIC:
        ad_network = None  # the Data API's ad_channel "ORGANIC" is no network
    return attribution_type, ad_network


def _device_platform(raw: Mapping[str, Any]) -> Any:
    """Platform from the Data API's `user_data.device_data` (`platform` or `os`), if any."""
    user_data = raw.get("user_data")
    device = user_data.get("device_data") if isinstance(user_data, Mapping) else None
    if not isinstance(device, Mapping):
        return None
    for key in ("platform", "os", "os_name"):
        value = device.get(key)
        if value is not None and value != "":
            return value
    return None


def _platform(value: Any) -> str:
    text = _text("platform", value)
    if text is None:
        raise RowProblem("platform is missing")
    platform = _PLATFORMS.get(text.lower())
    if platform is None:
        raise RowProblem(f"platform '{_show(text)}' is not android or ios")
    return platform
