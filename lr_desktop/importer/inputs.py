"""Guards for careless or hostile import files, used by `readers`.

- Only regular files are read. A FIFO, `/dev/stdin` on a pipe, `<(cat file)` or a
  device is refused up front (opening a FIFO without a writer would hang, and the
  readers seek back after sniffing the format).
- JSON: numbers of more than `fieldrules.MAX_DIGITS` digits stay text (a HugeNumber,
  refused per record) instead of ending the file with Python's 4,300-digit limit;
  a key repeated inside one object is a row-numbered warning (the last value wins,
  as in every JSON reader).
- Columns (CSV) or fields (JSON) the importer does not know get a warning naming the
  closest known name, so a misspelt `campain_name` is not silently ignored.
"""

from __future__ import annotations

import difflib
import json
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lr_desktop.fieldmap import FIELD_ALIASES
from lr_desktop.fieldrules import parse_json_int

MAX_KEY_WARNINGS = 20
MAX_UNKNOWN_NAMES = 20
KNOWN_NAMES = frozenset(n for names in FIELD_ALIASES.values() for n in names)
# Read (nested ids, device data) or documented by Linkrunner and deliberately unused.
_CONTAINERS = ("user_data", "additional_data", "device_data")
_DOCUMENTED_UNUSED = frozenset(("email", "event_type", "meta_ad_id", "publisher_platform"))


class NotARegularFile(Exception):
    pass


def check_regular(path: Path) -> None:
    """Raise NotARegularFile (with the marketer's reason) unless path is a regular file.

    Missing files and folders are left to open(), which already explains them.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return
    kind = (
        "a pipe (like /dev/stdin or <(...))"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    raise NotARegularFile(
        f"this is {kind}, not a file; only saved files can be imported: save the data to a "
        ".csv, .json or .jsonl file first and import that"
    )


class DuplicateKeys:
    """An object_pairs_hook that notes keys repeated in one JSON object."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.count = 0

    def hook(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen and key not in self.found:
                    self.found.append(key)
                seen.add(key)
        return obj

    def warnings_for(self, unit: str, number: int) -> list[str]:
        """Warnings for the record just decoded (and forget its keys)."""
        if not self.found:
            return []
        keys, self.found = self.found, []
        self.count += 1
        if self.count > MAX_KEY_WARNINGS:
            return []
        names = ", ".join(f"'{k[:60]}'" for k in keys[:5])
        return [f"{unit} {number} has the key {names} more than once; its last value is used"]

    def summary(self, unit: str) -> list[str]:
        if self.count <= MAX_KEY_WARNINGS:
            return []
        return [
            f"{self.count:,} {unit}s repeat a key (the first {MAX_KEY_WARNINGS} are listed above); "
            "the last value of each is used"
        ]


def json_decoder(keys: DuplicateKeys) -> json.JSONDecoder:
    return json.JSONDecoder(object_pairs_hook=keys.hook, parse_int=parse_json_int)


def _known(name: str) -> bool:
    if name in KNOWN_NAMES or name in _DOCUMENTED_UNUSED:
        return True
    return name.startswith(_CONTAINERS)


def _closest(name: str) -> str | None:
    match = difflib.get_close_matches(name.lower(), KNOWN_NAMES, n=1, cutoff=0.6)
    return match[0] if match else None


def unknown_name_warning(name: str, what: str, where: str = "") -> str:
    shown = name if len(name) <= 60 else name[:57] + "..."
    closest = _closest(name)
    hint = f"; did you mean '{closest}'?" if closest else ""
    return (
        f"{what} '{shown}'{where} is not a Linkrunner {what} this app knows and was ignored{hint}"
    )


def unknown_columns(names: Iterable[str]) -> list[str]:
    """Warnings for a CSV header's unknown (or misspelt) column names."""
    unknown = [n for n in dict.fromkeys(names) if n and not _known(n)]
    out = [unknown_name_warning(n, "column") for n in unknown[:MAX_UNKNOWN_NAMES]]
    if len(unknown) > MAX_UNKNOWN_NAMES:
        out.append(f"... and {len(unknown) - MAX_UNKNOWN_NAMES} more unknown columns")
    return out


class UnknownFields:
    """Unknown top-level fields across a JSON file's records: first record and count."""

    def __init__(self) -> None:
        self.first: dict[str, tuple[int, int]] = {}  # name -> (first record, records)

    def see(self, number: int, record: Any) -> None:
        if not isinstance(record, Mapping) or KNOWN_NAMES.issuperset(record):
            return
        first = self.first
        for name in record:
            if name in KNOWN_NAMES or not isinstance(name, str) or _known(name):
                continue
            if name in first:
                at, n = first[name]
                first[name] = (at, n + 1)
            elif len(first) < MAX_UNKNOWN_NAMES * 5:
                first[name] = (number, 1)

    def warnings(self, unit: str) -> list[str]:
        out = []
        for name, (at, n) in list(self.first.items())[:MAX_UNKNOWN_NAMES]:
            where = f" (in {n:,} {unit}s, first {unit} {at})" if n > 1 else f" ({unit} {at})"
            out.append(unknown_name_warning(name, "field", where))
        return out
