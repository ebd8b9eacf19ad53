"""Streaming readers for Linkrunner export files: CSV, a JSON array, JSON Lines.

Each reader yields `(number, record)` where record is a mapping of field name to value,
or a `RowProblem` for a row that cannot even be read (cut off, not UTF-8, too long).
Numbers are what a person finds in the file: CSV rows as a spreadsheet numbers them
(the header is row 1, the first data row is row 2), JSON array records from 1, and
JSON Lines line numbers. Problems with the whole file raise `Unusable`; rows already
yielded stay good. Memory is bounded by MAX_FIELD (1 MB) per row, whatever the file size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from lr_desktop.fieldmap import FIELD_ALIASES, REQUIRED_FIELDS, RowProblem, attribution_from_record
from lr_desktop.importer import inputs
from lr_desktop.importer.csvmap import Mapper, compile_mapper

MAX_FIELD = 1_048_576  # characters in one CSV field, line or JSON record
_CHUNK = 65_536
_DELIMITERS = (",", ";", "\t")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_KNOWN_NAMES = frozenset(n for names in FIELD_ALIASES.values() for n in names)
UNITS = {"csv": "row", "json": "record", "jsonl": "line"}

Record = Mapping[str, Any] | RowProblem


class Unusable(Exception):
    """The file (or the rest of it) cannot be read; the message says why, for a marketer."""


class RecordStream:
    """An open file's records, how far reading got, and what was noticed on the way."""

    def __init__(self, path: Path, fmt: str, raw: BinaryIO) -> None:
        self.path = path
        self.format = fmt
        self.unit = UNITS[fmt]
        self.raw = raw
        self.warnings: list[str] = []
        self.records: Iterator[tuple[int, Record]] = iter(())
        self.map_record: Mapper = attribution_from_record  # a CSV's, once its header is read

    def bytes_read(self) -> int:
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> RecordStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_records(path: Path) -> RecordStream:
    """Open a file by extension (content decides for other names); raise Unusable if hopeless."""
    try:
        inputs.check_regular(path)
    except inputs.NotARegularFile as exc:
        raise Unusable(str(exc)) from None
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise Unusable("the file does not exist") from None
    except IsADirectoryError:
        raise Unusable("this is a folder, not a file") from None
    except OSError as exc:
        raise Unusable(f"the file cannot be opened ({exc.strerror or exc})") from None
    try:
        fmt = _detect(path, raw)
        stream = RecordStream(path, fmt, raw)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        if fmt == "csv":
            stream.records = _csv_records(text, stream)
        elif fmt == "json":
            stream.records = _json_records(text, stream)
        else:
            stream.records = _jsonl_records(text, stream)
        return stream
    except BaseException:
        raw.close()
        raise


def _detect(path: Path, raw: BinaryIO) -> str:
    head = raw.read(4096)
    raw.seek(0)
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not body and len(head) < 4096:
        raise Unusable("the file is empty")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise Unusable("this looks like an Excel workbook; save it as 'CSV UTF-8' and import that")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unusable("the file is saved as UTF-16; save it as 'CSV UTF-8' and import that")
    if head.count(b"\x00") * 100 > len(head):  # a stray NUL in a value is not binary
        raise Unusable("this is not a text file (CSV, JSON or JSON Lines)")
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        fmt = "json" if body[:1] == b"[" else "jsonl" if body[:1] == b"{" else "csv"
    return fmt


def _lines(text: io.TextIOWrapper, flags: list[int]) -> Iterator[str]:
    """Physical lines, each at most MAX_FIELD characters.

    A longer line is skipped (read in chunks, never held whole) and replaced by a blank
    line, with flags[0] set; a line with bytes that are not UTF-8 sets flags[1].
    """
    readline = text.readline
    while True:
        line = readline(MAX_FIELD)
        if not line:
            return
        if len(line) >= MAX_FIELD and line[-1] not in "\r\n":
            while True:
                more = readline(_CHUNK)
                if not more or more[-1] in "\r\n":
                    break
            flags[0] = 1
            yield "\n"
            continue
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:
                flags[1] = 1
        yield line


def _not_utf8() -> RowProblem:
    return RowProblem(
        "it has characters that are not UTF-8 (the file may be saved as "
        "Latin-1 / Windows-1252); save it as 'CSV UTF-8' and import it again"
    )


def _too_long() -> RowProblem:
    return RowProblem("it has a value longer than 1 MB")


def normalise_name(name: str) -> str:
    """Header name as the mapping knows it: 'User ID' -> 'user_id'."""
    return name.strip().strip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def _sniff_delimiter(header: str) -> str:
    counts = [(header.count(d), -i, d) for i, d in enumerate(_DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] else ","


def _check_columns(names: list[str], header: str) -> None:
    present = set(names)
    missing = [f for f, aliases in REQUIRED_FIELDS.items() if present.isdisjoint(aliases)]
    if not missing:
        return
    text = ", ".join(missing)
    if len(names) == 1:
        raise Unusable(
            f"the header row has only one column, so {text} cannot be found; the values must "
            "be separated by commas, semicolons or tabs"
        )
    if present.isdisjoint(_KNOWN_NAMES):
        raise Unusable(
            f"the first row is not a header with Linkrunner column names (found "
            f"'{header[:80].strip()}'); the first row must name the columns, like user_id"
        )
    raise Unusable(f"the required column {text} is missing from the header row")


def _csv_records(text: io.TextIOWrapper, stream: RecordStream) -> Iterator[tuple[int, Record]]:
    if csv.field_size_limit() < MAX_FIELD:
        csv.field_size_limit(MAX_FIELD)  # process-wide; lines are capped separately
    flags = [0, 0]
    lines = _lines(text, flags)
    header_line = next(lines, "")
    if flags[0]:
        raise Unusable("the first row is longer than 1 MB; this is not a CSV header")
    if not header_line.strip():
        raise Unusable("the first row is empty; it must name the columns, like user_id")
    if flags[1]:
        flags[1] = 0
        stream.warnings.append("the header row has characters that are not UTF-8")
    delimiter = _sniff_delimiter(header_line)
    raw_names = next(csv.reader([header_line], delimiter=delimiter))
    names = [normalise_name(n) for n in raw_names]
    _check_columns(names, header_line)
    stream.warnings.extend(inputs.unknown_columns(names))
    width = len(names)
    twins = _rename_duplicates(names, stream)
    stream.map_record = compile_mapper(names)

    reader = csv.reader(lines, delimiter=delimiter)
    number = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a field over the limit spread over several lines
            number += 1
            flags[0] = flags[1] = 0
            yield (
                number,
                RowProblem(
                    f"it has a value longer than 1 MB, or a quote that is never closed ({exc})"
                ),
            )
            continue
        number += 1
        if flags[0] or flags[1]:
            problem = _too_long() if flags[0] else _not_utf8()
            flags[0] = flags[1] = 0
            yield number, problem
            continue
        if len(row) != width:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            width_problem = _width_problem(row, width)
            if width_problem:
                yield number, width_problem
                continue
            row = row[:width]
        if row == raw_names:
            yield (
                number,
                RowProblem("it repeats the header row (were two files joined?)"),
            )
            continue
        record = dict(zip(names, row))  # noqa: B905 - len(row) == width here
        if twins:
            twin_problem = _twin_problem(record, twins)
            if twin_problem:
                yield number, twin_problem
                continue
        yield number, record
    if number == 1:
        stream.warnings.append("it has a header row but no data rows")


def _width_problem(row: list[str], width: int) -> RowProblem | None:
    if len(row) < width:
        return RowProblem(
            f"it has {len(row)} values but the header has {width} columns "
            "(a line cut off, or values separated differently from the header?)"
        )
    if any(v.strip() for v in row[width:]):
        return RowProblem(
            f"it has {len(row)} values but the header has {width} columns "
            "(a separator inside a value that is not in quotes?)"
        )
    return None


def _rename_duplicates(names: list[str], stream: RecordStream) -> dict[str, list[str]]:
    """Give repeated column names unique keys; {name: [its other keys]} for known ones."""
    seen: dict[str, int] = {}
    twins: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        if name not in seen:
            seen[name] = i
            continue
        key = f"{name}#{i + 1}"
        names[i] = key
        if name in _KNOWN_NAMES:
            twins.setdefault(name, []).append(key)
            stream.warnings.append(
                f"column '{name}' appears twice in the header (columns {seen[name] + 1} "
                f"and {i + 1}); rows where the two differ are not imported"
            )
    return twins


def _twin_problem(record: dict[str, Any], twins: dict[str, list[str]]) -> RowProblem | None:
    for name, keys in twins.items():
        first = (record.get(name) or "").strip()
        for key in keys:
            other = (record.get(key) or "").strip()
            if other and first and other != first:
                return RowProblem(
                    f"its two '{name}' columns have different values "
                    f"('{first[:40]}' and '{other[:40]}')"
                )
            if other and not first:
                record[name] = first = other
    return None


def _json_records(text: io.TextIOWrapper, stream: RecordStream) -> Iterator[tuple[int, Record]]:
    """Records of a JSON array, decoded one at a time from a sliding buffer."""
    keys, fields = inputs.DuplicateKeys(), inputs.UnknownFields()
    decode = inputs.json_decoder(keys).raw_decode
    buf = ""
    pos = 0
    eof = False

    def fill() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        more = text.read(_CHUNK)
        if not more:
            eof = True
            return False
        buf = buf[pos:] + more
        pos = 0
        return True

    def skip_space() -> str:
        """The next non-space character ('' at the end of the file), not consumed."""
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if not fill():
                return ""

    first = skip_space()
    if first != "[":
        if first == "":
            raise Unusable("the file is empty")
        raise Unusable(
            f"this is not a JSON array of records (it starts with '{first}'); "
            "expected [{...}, {...}] (a file with one record per line must be named .jsonl)"
        )
    pos += 1
    number = 0
    if skip_space() == "]":
        pos += 1
        stream.warnings.append("it holds an empty list: no records")
        _trailing(skip_space, stream)
        return
    while True:
        number += 1
        if skip_space() == "":
            raise Unusable(f"the file ends before record {number}: it looks cut off")
        while True:
            try:
                value, end = decode(buf, pos)
                break
            except RecursionError:
                raise Unusable(
                    f"record {number} is nested too deeply to read; the rest of the file was not read"
                ) from None
            except json.JSONDecodeError as exc:
                if len(buf) - pos > MAX_FIELD:
                    raise Unusable(
                        f"record {number} is larger than 1 MB or is not valid JSON; "
                        "the rest of the file was not read"
                    ) from None
                if not fill():
                    raise Unusable(
                        f"record {number} is not valid JSON ({exc.msg}), or the file is cut off "
                        "inside it; the rest of the file was not read"
                    ) from None
        stream.warnings.extend(keys.warnings_for("record", number))
        if surrogates(buf, pos, end):
            yield number, _not_utf8()
        else:
            fields.see(number, value)
            yield number, value
        pos = end
        sep = skip_space()
        if sep == ",":
            pos += 1
            continue
        if sep == "]":
            pos += 1
            _trailing(skip_space, stream)
            stream.warnings.extend(keys.summary("record") + fields.warnings("record"))
            return
        if sep == "":
            raise Unusable(
                f"the file ends after record {number} without the closing ']': it looks cut off"
            )
        raise Unusable(
            f"expected ',' or ']' after record {number}, found '{sep}'; the rest of the file was not read"
        )


def surrogates(buf: str, start: int, end: int) -> bool:
    """True if buf[start:end] holds bytes that were not UTF-8 (decoded as surrogates)."""
    part = buf[start:end]
    if part.isascii():
        return False
    try:
        part.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _trailing(skip_space: Callable[[], str], stream: RecordStream) -> None:
    if skip_space() != "":
        stream.warnings.append("there is more text after the closing ']'; it was ignored")


def _jsonl_records(text: io.TextIOWrapper, stream: RecordStream) -> Iterator[tuple[int, Record]]:
    flags = [0, 0]
    keys, fields = inputs.DuplicateKeys(), inputs.UnknownFields()
    loads = inputs.json_decoder(keys).decode
    number = 0
    for line in _lines(text, flags):
        number += 1
        if flags[0] or flags[1]:
            problem = _too_long() if flags[0] else _not_utf8()
            flags[0] = flags[1] = 0
            yield number, problem
            continue
        if not line.strip():
            continue
        try:
            value = loads(line)
        except ValueError as exc:
            msg = getattr(exc, "msg", str(exc))
            col = getattr(exc, "colno", None)
            if col:
                msg += f" character {col}" if msg.endswith(" at") else f" at character {col}"
            yield number, RowProblem(f"it is not valid JSON ({msg})")
        except RecursionError:
            yield number, RowProblem("it is nested too deeply to read")
        else:
            stream.warnings.extend(keys.warnings_for("line", number))
            fields.see(number, value)
            yield number, value
    stream.warnings.extend(keys.summary("line") + fields.warnings("line"))
