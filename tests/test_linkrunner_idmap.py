"""The user_id,clevertap_id mapping import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lr_desktop.linkrunner import idmap
from lr_desktop.linkrunner.idmap import MappingFileError, import_id_mapping
from lr_desktop.model import Attribution
from lr_desktop.store import connect, transaction
from lr_desktop.store.queue import upsert_attributions


def seed(db_path: Path) -> None:
    users = [
        Attribution(
            f"u{i}",
            "ORGANIC",
            "android",
            1767225600 + i,
            clevertap_id="ct-known" if i == 3 else None,
        )
        for i in range(5)
    ]
    conn = connect(db_path)
    with transaction(conn):
        upsert_attributions(conn, users, source="test")
    conn.close()


def status(db_path: Path) -> dict[str, tuple[str, str | None]]:
    conn = connect(db_path)
    try:
        return {
            u: (s, c)
            for u, s, c in conn.execute("SELECT user_id, status, clevertap_id FROM installs")
        }
    finally:
        conn.close()


def write(tmp_path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "map.csv"
    path.write_text(text, encoding=encoding)
    return path


def test_matches_move_waiting_users_to_the_queue(db_path, tmp_path):
    seed(db_path)
    path = write(
        tmp_path,
        "User_ID, clevertap_id\n"  # header in any case, with spaces; BOM written by utf-8-sig
        "u0,ct-0\n"
        "u1, ct-1 \n"
        "\n"
        "u3,ct-known\n"  # already has it
        "nobody,ct-x\n"  # unknown user
        "u2,\n"  # empty CleverTap ID
        f"u4,{'x' * 121}\n"  # too long for CleverTap
        ",ct-9\n",  # no user
    )
    report = import_id_mapping(db_path, path)
    assert (report.rows, report.matched, report.unchanged, report.unknown, report.rejected) == (
        7,
        2,
        1,
        1,
        3,
    )
    assert report.rejections == [
        (7, "CleverTap ID is missing"),
        (8, "CleverTap ID is longer than 120 characters"),
        (9, "user_id is missing"),
    ]
    st = status(db_path)
    assert st["u0"] == ("queued", "ct-0") and st["u1"] == ("queued", "ct-1")
    assert st["u2"] == ("waiting_id", None) and st["u4"] == ("waiting_id", None)
    assert st["u3"] == ("queued", "ct-known")
    conn = connect(db_path)
    kind, mode, state, total, rejected, detail = conn.execute(
        "SELECT kind, mode, state, total, rejected, detail FROM runs"
    ).fetchone()
    conn.close()
    assert (kind, mode, state, total, rejected) == ("import", "mapping", "finished", 7, 3)
    assert json.loads(detail)["matched"] == 2


def test_reimport_is_unchanged(db_path, tmp_path):
    seed(db_path)
    path = write(tmp_path, "user_id,clevertap_id\nu0,ct-0\n")
    assert import_id_mapping(db_path, path).matched == 1
    again = import_id_mapping(db_path, path)
    assert (again.matched, again.unchanged) == (0, 1)


def test_chunks(db_path, tmp_path, monkeypatch):
    seed(db_path)
    monkeypatch.setattr(idmap, "CHUNK", 2)
    path = write(
        tmp_path, "clevertap_id,user_id,extra\n" + "".join(f"c{i},u{i},x\n" for i in range(5))
    )
    report = import_id_mapping(db_path, path)
    assert (report.matched, report.unchanged, report.rows) == (5, 0, 5)
    assert all(s == "queued" for s, _c in status(db_path).values())


@pytest.mark.parametrize(
    ("text", "encoding"),
    [("", "utf-8"), ("a,b\n1,2\n", "utf-8"), ("user_id,clevertap_id\nü,x\n", "latin-1")],
)
def test_unusable_files(db_path, tmp_path, text, encoding):
    with pytest.raises(MappingFileError):
        import_id_mapping(db_path, write(tmp_path, text, encoding))


def test_cli_exit_codes(db_path, tmp_path, capsys):
    from lr_desktop.cli.main import main

    seed(db_path)
    ok = write(tmp_path, "user_id,clevertap_id\nu0,ct-0\n")
    assert main(["--db", str(db_path), "map-ids", str(ok), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["matched"] == 1
    bad = write(tmp_path, "user_id,clevertap_id\nu1,\n")
    assert main(["--db", str(db_path), "map-ids", str(bad)]) == 1
    assert "row 2: CleverTap ID is missing" in capsys.readouterr().err
    assert main(["--db", str(db_path), "map-ids", str(tmp_path / "missing.csv")]) == 2


def test_an_optional_platform_column_is_checked_row_by_row(db_path, tmp_path):
    conn = connect(db_path)
    with transaction(conn):  # as a pull stores a user Linkrunner named no platform for
        upsert_attributions(
            conn, [Attribution("p1", "INORGANIC", "", 1767225600)], source="linkrunner-api"
        )
    conn.close()
    seed(db_path)
    path = write(
        tmp_path,
        "user_id,platform,clevertap_id\np1,web,ct-p1\np1,iOS,ct-p1\nu1,ios,ct-u1\n",
    )
    report = import_id_mapping(db_path, path)
    assert report.rejections == [(2, "platform 'web' is not android or ios")]
    assert report.matched == 2
    conn = connect(db_path)
    platforms = dict(conn.execute("SELECT user_id, platform FROM installs"))
    conn.close()
    assert platforms["p1"] == "ios" and platforms["u1"] == "android"  # named one kept
    assert status(db_path)["p1"] == ("queued", "ct-p1")
