"""Where the window's Linkrunner settings and key live (linkrunner.source), without Qt:
settings in the database, the demo's key in memory only and never in a repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from lr_desktop.linkrunner.source import LinkrunnerSource
from lr_desktop.store import connect


def test_settings_and_the_demo_key(tmp_path: Path) -> None:
    db = tmp_path / "lr.sqlite"
    connect(db).close()
    source = LinkrunnerSource(db, demo_key="demo-secret-key")
    assert source.is_demo and source.key_for_pull() == "demo-secret-key"
    state = source.save("other-key", pull_interval_minutes=7, auto_pull=True)
    assert state.key == "other-key" and state.auto_pull and "memory only" in (state.backend or "")
    assert "other-key" not in repr(state)
    again = LinkrunnerSource(db, demo_key="x")  # a new window reads the stored settings
    assert again.settings().pull_interval_minutes == 7 and again.auto_pull()
    with pytest.raises(ValueError):
        source.save("k", pull_interval_minutes=-1, auto_pull=False)
    source.remove_key()
    assert source.stored_key() is None
