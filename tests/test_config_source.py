"""Where the window's CleverTap settings live (clevertap.config_source), without Qt: the
public settings are read without writing (a missing database stays missing), the demo
keeps its secrets in memory only."""

from __future__ import annotations

from pathlib import Path

from lr_desktop.clevertap.config import CleverTapConfig, Secrets
from lr_desktop.clevertap.config_source import ConfigSource
from lr_desktop.store import connect


def test_public_settings_are_read_without_writing(tmp_path: Path) -> None:
    db = tmp_path / "lr.sqlite"
    source = ConfigSource(db)
    assert source.public() == CleverTapConfig() and not source.is_configured()
    assert not db.exists()  # reading created nothing
    connect(db).close()
    demo = ConfigSource(db, CleverTapConfig(secrets=Secrets(project_token="tok", passcode="pc")))
    demo.save(CleverTapConfig(project_id="P-1", region="IN", secrets=Secrets(passcode="pc")))
    before = db.stat().st_mtime_ns
    cfg = source.public()
    assert (cfg.project_id, cfg.region, cfg.secrets) == ("P-1", "IN", Secrets())
    assert source.is_configured() and db.stat().st_mtime_ns == before


def test_the_demo_keeps_its_secrets_in_memory(tmp_path: Path) -> None:
    demo_cfg = CleverTapConfig(project_id="DEMO", secrets=Secrets(project_token="t", passcode="p"))
    source = ConfigSource(tmp_path / "lr.sqlite", demo_cfg)
    assert source.is_demo and source.for_run() == demo_cfg
    assert source.public().secrets == Secrets()  # the public copy has none
    assert "memory only" in source.backend()
    source.remove("DEMO")
    assert source.for_run().project_id == ""
