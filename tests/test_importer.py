"""File importer: bad-input corpus, idempotency, duplicates, big fields, streaming, memory."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tempfile
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lr_desktop.csvsafe import neutralise
from lr_desktop.fieldmap import RowProblem, attribution_from_record
from lr_desktop.importer import ImportReport, import_files, open_records, write_rejections_csv
from lr_desktop.importer import run as run_mod
from lr_desktop.model import ATTRIBUTION_COLUMNS, Attribution

BAD = Path(__file__).parent / "data" / "bad"
HEADER = "user_id,clevertap_id,platform,attribution_type,ad_network,campaign_name,installed_at\n"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def rows(db: Path) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {r["user_id"]: dict(r) for r in conn.execute("SELECT * FROM installs")}
    finally:
        conn.close()


def reasons(report: ImportReport) -> dict[int, str]:
    return {r.row: r.reason for r in report.rejections}


# --- the bad-input corpus: clear, numbered problems; good rows kept; no crash ----------------

CORPUS = [
    # file, imported, rejected, exit code, {row: words in the reason} or words of the file problem
    ("truncated.csv", 2, 1, 1, {4: "3 values but the header has 7 columns"}),
    ("wrong_delimiter.csv", 0, 0, 2, "separated by commas, semicolons or tabs"),
    ("latin1.csv", 2, 1, 1, {3: "not UTF-8"}),
    ("bom.csv", 2, 0, 0, {}),
    ("duplicate_header.csv", 3, 2, 1, {4: "two 'campaign_name' columns", 5: "repeats the header"}),
    ("missing_column.csv", 0, 0, 2, "required column platform is missing"),
    ("empty.csv", 0, 0, 2, "the file is empty"),
    ("epoch_millis.csv", 1, 1, 1, {2: "installed_at 1767225600000 looks like milliseconds"}),
    ("dates_without_zone.csv", 3, 0, 0, {}),
    ("unknown_attribution_type.csv", 1, 1, 1, {2: "attribution_type 'PAID' is not ORGANIC"}),
    ("duplicate_users.csv", 2, 0, 0, {}),
    ("not_array.json", 0, 0, 2, "not a JSON array"),
    ("object_not_array.json", 0, 0, 2, "not a JSON array"),
    ("broken_line.jsonl", 2, 1, 1, {2: "not valid JSON"}),
    ("truncated.json", 1, 0, 2, "record 2 is not valid JSON"),
]


@pytest.mark.parametrize("name,imported,rejected,code,expect", CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_corpus(
    db_path: Path, name: str, imported: int, rejected: int, code: int, expect: Any
) -> None:
    report = import_files(db_path, [BAD / name])
    assert (report.imported, report.rejected, report.exit_code) == (imported, rejected, code)
    assert len(rows(db_path)) == imported
    if isinstance(expect, str):
        assert len(report.unusable) == 1 and expect in report.unusable[0]
        assert report.unusable[0].startswith(f"{name}: ")
    else:
        got = reasons(report)
        assert set(got) == set(expect)
        for row, words in expect.items():
            assert words in got[row]


def test_bom_header_and_accents(db_path: Path) -> None:
    import_files(db_path, [BAD / "bom.csv"])
    got = rows(db_path)
    assert got["u2"]["campaign_name"] == "Café"
    assert got["u2"]["attribution_type"] == "INORGANIC"


def test_dates_without_zone_are_utc(db_path: Path) -> None:
    import_files(db_path, [BAD / "dates_without_zone.csv"])
    got = rows(db_path)
    assert got["u1"]["installed_at"] == 1767261600
    assert got["u2"]["installed_at"] == 1767261600
    assert got["u3"]["installed_at"] == 1767261600 - 7200


def test_duplicate_users_later_row_wins(db_path: Path) -> None:
    report = import_files(db_path, [BAD / "duplicate_users.csv"])
    assert report.duplicates == 1
    assert any("user u1 appears in row 2 and again in row 4" in w for w in report.warnings)
    assert rows(db_path)["u1"]["campaign_name"] == "Later"


def test_duplicates_across_chunks(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_mod, "CHUNK", 3)
    body = "".join(f"u{i},ct{i},ios,INORGANIC,META,C{i},{1767225600 + i}\n" for i in range(10))
    body += (
        "u1,ct1,ios,INORGANIC,META,again,1767225600\nu8,ct8,ios,INORGANIC,META,again8,1767225600\n"
    )
    report = import_files(db_path, [write(tmp_path, "d.csv", HEADER + body)])
    assert report.duplicates == 2
    assert any("user u1 appears in row 3 and again in row 12" in w for w in report.warnings)
    assert any("user u8 appears in row 10 and again in row 13" in w for w in report.warnings)
    got = rows(db_path)
    assert got["u1"]["campaign_name"] == "again" and got["u8"]["campaign_name"] == "again8"
    assert len(got) == 10


def test_semicolon_and_tab_delimiters(db_path: Path, tmp_path: Path) -> None:
    semi = HEADER.replace(",", ";") + "u1;ct1;android;ORGANIC;;;1767225600\n"
    tab = HEADER.replace(",", "\t") + "u2\tct2\tios\tINORGANIC\tMETA\tA, B\t1767225600\n"
    report = import_files(db_path, [write(tmp_path, "s.csv", semi), write(tmp_path, "t.tsv", tab)])
    assert report.imported == 2 and report.exit_code == 0
    assert rows(db_path)["u2"]["campaign_name"] == "A, B"


def test_header_names_are_normalised_and_aliases(db_path: Path, tmp_path: Path) -> None:
    text = "User ID,Platform,Attribution Type,Installed At,ad_channel,user_data.clevertap_id\n"
    text += "u1,Android,inorganic,2026-01-01T00:00:00Z,GOOGLE,ct-1\n"
    report = import_files(db_path, [write(tmp_path, "h.csv", text)])
    assert report.imported == 1
    got = rows(db_path)["u1"]
    assert (got["ad_network"], got["clevertap_id"], got["platform"]) == (
        "GOOGLE",
        "ct-1",
        "android",
    )


def test_blank_lines_and_quoted_newlines_keep_spreadsheet_row_numbers(
    db_path: Path, tmp_path: Path
) -> None:
    text = (
        HEADER + 'u1,ct1,ios,INORGANIC,META,"two\nlines",1767225600\n\nu3,ct3,ios,ORGANIC,,,bad\n'
    )
    report = import_files(db_path, [write(tmp_path, "b.csv", text)])
    assert report.imported == 1
    assert list(reasons(report)) == [4]  # row 2: u1, row 3: blank, row 4: the bad date


def test_missing_file_and_excel_workbook(db_path: Path, tmp_path: Path) -> None:
    xlsx = write(tmp_path, "export.xlsx", b"PK\x03\x04" + b"\x00" * 100)
    good = write(tmp_path, "ok.csv", HEADER + "u1,ct1,ios,ORGANIC,,,1767225600\n")
    report = import_files(db_path, [tmp_path / "nope.csv", xlsx, good])
    assert report.exit_code == 2 and report.imported == 1
    assert report.unusable[0] == "nope.csv: the file does not exist"
    assert "Excel workbook" in report.unusable[1]


def test_unknown_extension_sniffs_content(db_path: Path, tmp_path: Path) -> None:
    js = '[{"user_id": "u1", "platform": "ios", "attribution_type": "ORGANIC", "installed_at": 1767225600}]'
    jl = '{"user_id": "u2", "platform": "ios", "attribution_type": "ORGANIC", "installed_at": 1767225600}\n'
    cs = HEADER + "u3,ct3,ios,ORGANIC,,,1767225600\n"
    paths = [
        write(tmp_path, "a.export", js),
        write(tmp_path, "b.dat", jl),
        write(tmp_path, "c", cs),
    ]
    report = import_files(db_path, paths)
    assert report.imported == 3 and report.exit_code == 0
    assert [report.units[str(p)] for p in paths] == ["record", "line", "row"]


def test_json_array_records_numbered_from_one(db_path: Path, tmp_path: Path) -> None:
    records = [
        {
            "user_data": {"id": "u1", "clevertap_id": "ct1"},
            "platform": "ios",
            "attribution_type": "INORGANIC",
            "ad_channel": "META",
            "installed_at": 1767225600,
        },
        ["not", "an", "object"],
        {
            "user_id": "u3",
            "platform": "ios",
            "attribution_type": "ORGANIC",
            "installed_at": 1767225600000,
        },
    ]
    report = import_files(db_path, [write(tmp_path, "a.json", json.dumps(records, indent=2))])
    assert report.imported == 1 and report.rejected == 2
    assert set(reasons(report)) == {2, 3}
    assert "milliseconds" in reasons(report)[3]
    assert report.where(report.rejections[0]) == "a.json record 2"


def test_json_streams_many_records_across_buffer_chunks(db_path: Path, tmp_path: Path) -> None:
    records = [
        {
            "user_id": f"u{i}",
            "platform": "android",
            "attribution_type": "INORGANIC",
            "ad_network": "META",
            "campaign_name": "x" * (i % 300),
            "installed_at": 1767225600 + i,
        }
        for i in range(3000)
    ]
    path = write(tmp_path, "big.json", json.dumps(records))
    assert path.stat().st_size > 4 * 65_536
    report = import_files(db_path, [path])
    assert report.imported == 3000 and report.exit_code == 0


def test_json_record_over_the_cap_stops_the_file(db_path: Path, tmp_path: Path) -> None:
    good = {
        "user_id": "u1",
        "platform": "ios",
        "attribution_type": "ORGANIC",
        "installed_at": 1767225600,
    }
    huge = {**good, "user_id": "u2", "deeplink": "x" * 2_000_000}
    path = write(tmp_path, "h.json", json.dumps([good, huge, {**good, "user_id": "u3"}]))
    report = import_files(db_path, [path])
    assert report.imported == 1 and report.exit_code == 2
    assert "record 2 is larger than 1 MB" in report.unusable[0]


@pytest.mark.parametrize("quoted", [False, True])
def test_fifty_megabyte_field_is_a_numbered_rejection(
    db_path: Path, tmp_path: Path, quoted: bool
) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER + "u1,ct1,ios,ORGANIC,,,1767225600\nu2,ct2,ios,INORGANIC,META,")
        fh.write('"' if quoted else "")
        chunk = "y" * 1_048_576
        for _ in range(50):
            fh.write(chunk)
        fh.write('"' if quoted else "")
        fh.write(",1767225600\nu3,ct3,android,ORGANIC,,,1767225600\n")
    tracemalloc.start()
    try:
        report = import_files(db_path, [path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.imported == 2 and report.rejected == 1
    assert reasons(report) == {3: "it has a value longer than 1 MB"}
    assert peak < 20 * 1_048_576


def test_field_over_the_cap_across_lines(db_path: Path, tmp_path: Path) -> None:
    many_lines = "\n".join(["z" * 1000] * 1200)  # 1.2 MB in one quoted field of short lines
    text = (
        HEADER
        + f'u1,ct1,ios,INORGANIC,META,"{many_lines}",1767225600\nu2,ct2,ios,ORGANIC,,,1767225600\n'
    )
    report = import_files(db_path, [write(tmp_path, "ml.csv", text)])
    assert report.rejected >= 1 and "longer than 1 MB" in report.rejections[0].reason
    assert "u2" in rows(db_path)


def test_rejections_kept_are_capped_but_all_counted(db_path: Path, tmp_path: Path) -> None:
    bad = "".join(f"u{i},ct{i},ios,ORGANIC,,,yesterday\n" for i in range(25))
    report = import_files(db_path, [write(tmp_path, "r.csv", HEADER + bad)], max_kept_rejections=5)
    assert report.rejected == 25 and len(report.rejections) == 5
    assert report.rejections[0] == (
        "%s" % (tmp_path / "r.csv"),
        2,
        "u0",
        report.rejections[0].reason,
    )


def test_write_rejections_csv_is_spreadsheet_safe(db_path: Path, tmp_path: Path) -> None:
    text = (
        HEADER
        + '=HYPERLINK("x"),ct1,ios,ORGANIC,,,yesterday\n@SUM(1),ct2,ios,ORGANIC,,,1767225600000\n'
    )
    report = import_files(db_path, [write(tmp_path, "inj.csv", text)])
    out = tmp_path / "rejected.csv"
    assert write_rejections_csv(report, out) == 2
    got = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert got[0] == ["file", "unit", "row", "user_id", "reason"]
    assert got[1][3] == '\'=HYPERLINK("x")' and got[2][3] == "'@SUM(1)"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ok", "ok"),
        ("", ""),
        (5, 5),
        (None, None),
    ],
)
def test_neutralise(value: Any, expected: Any) -> None:
    assert neutralise(value) == expected


# --- idempotency and the queue's state rules, through files ---------------------------------


def test_reimport_unchanged_changes_nothing(db_path: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.csv",
        HEADER + "u1,ct1,ios,ORGANIC,,,1767225600\nu2,,android,INORGANIC,META,S,1767225600\n",
    )
    first = import_files(db_path, [path])
    assert (first.imported, first.updated, first.unchanged) == (2, 0, 0)
    before = rows(db_path)
    again = import_files(db_path, [path])
    assert (again.imported, again.updated, again.unchanged, again.exit_code) == (0, 0, 2, 0)
    assert rows(db_path) == before
    assert before["u2"]["status"] == "waiting_id" and before["u1"]["status"] == "queued"


def test_changed_campaign_of_delivered_event_is_changed_not_resent(
    db_path: Path, tmp_path: Path
) -> None:
    """CleverTap keeps the delivered event: a second one goes out only when asked (issue 12)."""
    import_files(
        db_path, [write(tmp_path, "a.csv", HEADER + "u1,ct1,ios,INORGANIC,META,Old,1767225600\n")]
    )
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE installs SET status='delivered', delivered_fingerprint=fingerprint")
    conn.close()
    report = import_files(
        db_path, [write(tmp_path, "b.csv", HEADER + "u1,ct1,ios,INORGANIC,META,New,1767225600\n")]
    )
    assert report.updated == 1
    got = rows(db_path)["u1"]
    assert (got["campaign_name"], got["status"], got["source"]) == ("New", "changed", "b.csv")


def test_clevertap_id_arriving_queues_waiting_user(db_path: Path, tmp_path: Path) -> None:
    import_files(db_path, [write(tmp_path, "a.csv", HEADER + "u1,,ios,ORGANIC,,,1767225600\n")])
    assert rows(db_path)["u1"]["status"] == "waiting_id"
    import_files(db_path, [write(tmp_path, "b.csv", HEADER + "u1,ct9,ios,ORGANIC,,,1767225600\n")])
    assert rows(db_path)["u1"]["status"] == "queued"
    # and a later file without the id does not erase it
    again = import_files(
        db_path, [write(tmp_path, "c.csv", HEADER + "u1,,ios,ORGANIC,,,1767225600\n")]
    )
    assert again.unchanged == 1 and rows(db_path)["u1"]["clevertap_id"] == "ct9"


def test_run_is_recorded(db_path: Path, tmp_path: Path) -> None:
    report = import_files(db_path, [write(tmp_path, "a.csv", HEADER + "u1,ct1,ios,ORGANIC,,,x\n")])
    conn = sqlite3.connect(db_path)
    kind, mode, state, total, rejected, detail = conn.execute(
        "SELECT kind, mode, state, total, rejected, detail FROM runs WHERE id = ?", (report.run_id,)
    ).fetchone()
    conn.close()
    assert (kind, mode, state, total, rejected) == ("import", "file", "finished", 1, 1)
    assert json.loads(detail)["files"] == ["a.csv"]


# --- progress, cancel, chunked commits --------------------------------------------------------


def big_csv(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for i in range(n):
            fh.write(
                f"user-{i:08d},ct-{i:x},{'ios' if i % 2 else 'android'},INORGANIC,META,Campaign {i % 50},{1767225600 + i}\n"
            )
    return path


def test_progress_reports_and_cancel_keeps_whole_chunks(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_mod, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(run_mod, "CHUNK", 1000)
    path = big_csv(tmp_path / "big.csv", 20_000)
    cancel = threading.Event()
    seen: list[Any] = []

    def progress(p: Any) -> None:
        seen.append(p)
        if p.rows_read >= 5000:
            cancel.set()

    report = import_files(db_path, [path, path], progress=progress, cancel=cancel)
    assert report.cancelled
    assert seen and seen[0].bytes_total == path.stat().st_size
    assert all(a.rows_read <= b.rows_read for a, b in zip(seen, seen[1:], strict=False))
    n = len(rows(db_path))
    assert 5000 <= n < 20_000 and n == report.imported == report.read


def test_progress_throttled(db_path: Path, tmp_path: Path) -> None:
    path = big_csv(tmp_path / "big.csv", 5000)
    seen: list[Any] = []
    import_files(db_path, [path], progress=seen.append)
    assert 1 <= len(seen) <= 10 and seen[-1].rows_read == 5000 and seen[-1].imported == 5000


# --- round trip: generated valid rows through CSV and JSON Lines -------------------------------

texts = (
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
optional = st.none() | texts
stamps = st.integers(min_value=1_262_304_000, max_value=1_790_000_000)  # 2010 .. mid 2026
clevertap_ids = st.none() | st.text("abcdefXYZ0123456789_-", min_size=1, max_size=20)
attributions = st.builds(
    Attribution,
    user_id=texts,
    attribution_type=st.sampled_from(["ORGANIC", "INORGANIC"]),
    platform=st.sampled_from(["android", "ios"]),
    installed_at=stamps,
    clevertap_id=clevertap_ids,
    ad_network=optional,
    campaign_id=optional,
    campaign_display_id=optional,
    campaign_name=optional,
    attributed_at=st.none() | stamps,
    store_click_at=st.none() | stamps,
    deeplink=optional,
    link=optional,
    attribution_source=optional,
    ad_set_id=optional,
    asset_name=optional,
)


def read_back(path: Path) -> list[Attribution]:
    out = []
    with open_records(path) as stream:
        for _, record in stream.records:
            assert not isinstance(record, RowProblem), record
            out.append(attribution_from_record(record))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(attributions, min_size=1, max_size=8), st.sampled_from([",", ";", "\t"]))
def test_round_trip_csv_and_jsonl(items: list[Attribution], delimiter: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "rt.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, delimiter=delimiter)
            w.writerow(ATTRIBUTION_COLUMNS)
            for a in items:
                w.writerow(["" if v is None else v for v in a.as_row().values()])
        jsonl_path = Path(tmp) / "rt.jsonl"
        jsonl_path.write_text(
            "".join(json.dumps(a.as_row()) + "\n" for a in items), encoding="utf-8"
        )
        assert read_back(csv_path) == items
        assert read_back(jsonl_path) == items


# --- memory stays flat: 20k vs 80k rows (4x the rows, same peak) --------------------------------------------------------


@pytest.mark.slow
def test_memory_does_not_grow_with_rows(tmp_path: Path) -> None:
    peaks = {}
    for n in (20_000, 80_000):
        path = big_csv(tmp_path / f"m{n}.csv", n)
        tracemalloc.start()
        try:
            report = import_files(tmp_path / f"m{n}.sqlite", [path])
            peaks[n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert report.imported == n
        path.unlink()
    assert peaks[80_000] < peaks[20_000] * 1.5 + 1_048_576, peaks
