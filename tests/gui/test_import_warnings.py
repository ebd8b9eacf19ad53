"""The window's import report names unknown or misspelt columns (issue 12)."""

from __future__ import annotations

from pathlib import Path


def test_window_report_names_a_misspelt_column(  # type: ignore[no-untyped-def]
    make_window, qtbot, db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "user_id,clevertap_id,platform,attribution_type,ad_network,campain_name,installed_at\n"
        "u1,ct-1,android,INORGANIC,META,Summer,2026-01-01\n",
        encoding="utf-8",
    )
    w = make_window(db_path)
    w.importer._quiet = True
    with qtbot.waitSignal(w.importer.finished, timeout=30_000):
        assert w.import_files([path])
    text = w.status_label.text()
    assert "1 new" in text
    assert "column 'campain_name' is not a Linkrunner column" in text
    assert "did you mean 'campaign_name'?" in text
