"""One change notice: a task says what it changed, the runner tells everyone after the
task ended, and each built section refreshes itself (a section built later reads its
data when first visited). The window's start-up imports none of the core's store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSettings

from lr_desktop.gui.changes import Topic, of_import, of_pull
from lr_desktop.gui.main_window import HISTORY, ORGANIZATION, OVERVIEW
from lr_desktop.gui.workers import TaskRunner


def test_the_runner_tells_what_a_task_changed_after_it_ended(qtbot) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    order: list[object] = []
    runner.changed.connect(lambda topics: order.append(topics))
    with qtbot.waitSignal(runner.changed, timeout=10_000):
        runner.start(
            "t",
            lambda _p, _c: 3,
            on_success=lambda n: order.append(("success", n)),
            on_done=lambda: order.append("done"),
            changes=lambda n: {Topic.USERS} if n == 3 else set(),
        )
    assert order == [("success", 3), "done", frozenset({Topic.USERS})]

    def boom(_p: object, _c: object) -> int:
        raise ValueError("bad file")

    failed: list[Exception] = []
    task = runner.start("f", boom, on_failure=failed.append, changes=of_import)
    qtbot.waitUntil(lambda: not task.running)
    assert isinstance(failed[0], ValueError) and task.changed == frozenset()  # nothing changed
    assert runner.shutdown(10_000)


def test_what_a_pull_changed(qtbot) -> None:  # type: ignore[no-untyped-def]
    class Report:
        def __init__(self, imported: int, updated: int, cancelled: bool = False) -> None:
            self.imported, self.updated, self.cancelled = imported, updated, cancelled

    assert of_pull(None) == set()
    assert of_pull(Report(2, 0, cancelled=True)) == set()
    assert of_pull(Report(0, 0)) == {Topic.RUNS}
    assert of_pull(Report(2, 1)) == {Topic.RUNS, Topic.USERS, Topic.ROWS}


def test_an_import_refreshes_the_built_sections_and_a_later_one_reads_it(
    make_window, qtbot, sample_db: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    s = QSettings(ORGANIZATION, "lr-desktop")
    s.setValue("window/section", OVERVIEW)
    s.sync()
    w = make_window(sample_db, settle=False)
    qtbot.waitUntil(lambda: w.overview.stats is not None, timeout=10_000)
    assert w.overview.cards["attributed"].value.text() == "400"
    assert not w.section_built(HISTORY)
    csv = tmp_path / "users.csv"
    csv.write_text(
        "user_id,clevertap_id,platform,attribution_type,installed_at\n"
        "new-1,__ct-new-1,android,ORGANIC,1767225600\n",
        encoding="utf-8",
    )
    w.importer._quiet = True
    with qtbot.waitSignal(w.importer.finished, timeout=30_000):
        assert w.import_files([csv])
    # the Overview refreshed itself from the notice (no handler in the window asked it to)
    qtbot.waitUntil(lambda: w.overview.cards["attributed"].value.text() == "401", timeout=10_000)
    assert not w.section_built(HISTORY)  # the notice builds nothing
    w.show_section(HISTORY)  # built now, and it reads the import's run
    qtbot.waitUntil(lambda: w.history.model.rowCount() == 1, timeout=10_000)


def test_the_window_module_loads_without_the_store_or_the_http_clients() -> None:
    code = (
        "import sys, lr_desktop.gui.main_window\n"
        "bad = [m for m in ('httpx', 'keyring', 'filelock', 'lr_desktop.store', "
        "'lr_desktop.automation', 'PySide6.QtCharts') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
