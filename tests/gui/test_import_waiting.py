"""An import started while another holds the database says it waits, then runs."""

from __future__ import annotations

from pathlib import Path

from lr_desktop.importer.lock import WAITING_MESSAGE, lock_for

HEADER = "user_id,clevertap_id,platform,attribution_type,ad_network,campaign_name,installed_at\n"


def test_window_import_says_it_waits_for_another_import(
    make_window, qtbot, db_path: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    w = make_window(db_path)
    w.importer._quiet = True
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "u1,ct-1,android,ORGANIC,,,1767225600\n", encoding="utf-8")
    held = lock_for(db_path)
    held.acquire()  # "another import" holds the database
    try:
        with qtbot.waitSignal(
            w.importer.progressed, timeout=10_000, check_params_cb=lambda t: WAITING_MESSAGE in t
        ):
            assert w.import_files([path])
        assert WAITING_MESSAGE in w.status_label.text()
        assert w.importer.running
    finally:
        with qtbot.waitSignal(w.importer.finished, timeout=30_000) as done:
            held.release()
    assert done.args[0].imported == 1
    assert WAITING_MESSAGE not in w.status_label.text()
