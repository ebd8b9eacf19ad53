"""What an import file holds before it is imported: which columns the importer
recognises (and as what), which it does not use, the first rows as the importer reads
them (or why it would reject each), and the column reference with a template file.

The recognition is the importer's own: `open_records` reads the file and
`mapping.attribution_from_record` maps each record, with `mapping.FIELD_ALIASES` and
`REQUIRED_FIELDS` naming the columns. No Qt here; the window's import preview and the
README's column list come from this module.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lr_desktop.fieldmap import FIELD_ALIASES, REQUIRED_FIELDS, RowProblem, attribution_from_record
from lr_desktop.importer.readers import Unusable, open_records

PREVIEW_ROWS = 5
_BY_NAME = {name: f for f, names in FIELD_ALIASES.items() for name in names}


@dataclass(frozen=True)
class ColumnDoc:
    field: str
    required: bool
    names: tuple[str, ...]  # accepted column names, preferred first
    format: str
    example: str


TIME = "ISO 8601 (2026-11-30T10:00:00Z; no zone means UTC) or epoch seconds"
COLUMNS: tuple[ColumnDoc, ...] = (
    ColumnDoc("user_id", True, FIELD_ALIASES["user_id"], "your app's user ID, text", "user-1001"),
    ColumnDoc(
        "attribution_type",
        True,
        FIELD_ALIASES["attribution_type"],
        "ORGANIC or INORGANIC (or give attribution_source / ad_network instead)",
        "INORGANIC",
    ),
    ColumnDoc("platform", True, FIELD_ALIASES["platform"], "android or ios", "android"),
    ColumnDoc("installed_at", True, FIELD_ALIASES["installed_at"], TIME, "2026-11-30T10:00:00Z"),
    ColumnDoc(
        "clevertap_id",
        False,
        FIELD_ALIASES["clevertap_id"],
        "CleverTap ID of the user's profile; without it the user waits for one",
        "__a1b2c3d4e5f6",
    ),
    ColumnDoc("ad_network", False, FIELD_ALIASES["ad_network"], "e.g. META, GOOGLE", "META"),
    ColumnDoc("campaign_id", False, FIELD_ALIASES["campaign_id"], "text", "cmp-42"),
    ColumnDoc("campaign_name", False, FIELD_ALIASES["campaign_name"], "text", "Summer Sale"),
    ColumnDoc("attributed_at", False, FIELD_ALIASES["attributed_at"], TIME, "2026-11-30T10:00:05Z"),
    ColumnDoc("attribution_source", False, FIELD_ALIASES["attribution_source"], "text", "facebook"),
)
OTHER_OPTIONAL = tuple(
    f for f in FIELD_ALIASES if f not in {c.field for c in COLUMNS} and f not in REQUIRED_FIELDS
)


def write_template(path: Path | str) -> Path:
    """A CSV with every documented column and one example row (it imports as is)."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([c.field for c in COLUMNS])
        out.writerow([c.example for c in COLUMNS])
    return path


def columns_markdown() -> str:
    """The column reference as a Markdown table (README)."""
    lines = ["| Column | Required | Also accepted | Format | Example |", "|---|---|---|---|---|"]
    for c in COLUMNS:
        also = ", ".join(f"`{n}`" for n in c.names[1:]) or ""
        req = "yes" if c.required else "no"
        lines.append(f"| `{c.field}` | {req} | {also} | {c.format} | `{c.example}` |")
    lines.append("")
    lines.append("Also read when present: " + ", ".join(f"`{f}`" for f in OTHER_OPTIONAL) + ".")
    return "\n".join(lines)


@dataclass
class PreviewRow:
    number: int  # as the importer numbers it (CSV: spreadsheet row)
    values: dict[str, str]
    problem: str | None = None  # why the importer would reject it
    warning: str | None = None  # imported, but worth a look (a future install date)


@dataclass
class FilePreview:
    path: Path
    format: str = ""
    unit: str = "row"
    columns: list[tuple[str, str | None]] = field(default_factory=list)  # (name, field or None)
    rows: list[PreviewRow] = field(default_factory=list)
    error: str | None = None  # the file cannot be imported at all

    @property
    def unknown(self) -> list[str]:
        return [name for name, f in self.columns if f is None]


def _flat(record: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for k, v in record.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping):
            yield from _flat(v, name + ".")
        else:
            yield name, v


def preview_file(
    path: Path | str, rows: int = PREVIEW_ROWS, *, now: float | None = None
) -> FilePreview:
    """The first `rows` records of a file as the importer would take them."""
    path = Path(path)
    result = FilePreview(path)
    future_after = int(time.time() if now is None else now)  # the importer's own rule
    try:
        with open_records(path) as stream:
            result.format, result.unit = stream.format, stream.unit
            seen: dict[str, str | None] = {}
            for number, record in stream.records:
                if isinstance(record, RowProblem):
                    result.rows.append(PreviewRow(number, {}, record.reason))
                else:
                    values = {k: "" if v is None else str(v) for k, v in _flat(record)}
                    for name in values:
                        seen.setdefault(name, _BY_NAME.get(name))
                    row = PreviewRow(number, values)
                    try:
                        a = attribution_from_record(record)
                        if a.installed_at > future_after:
                            row.warning = "the install date is in the future"
                    except RowProblem as exc:
                        row.problem = exc.reason
                    result.rows.append(row)
                if len(result.rows) >= rows:
                    break
            result.columns = list(seen.items())
    except Unusable as exc:
        result.error = str(exc)
    return result
