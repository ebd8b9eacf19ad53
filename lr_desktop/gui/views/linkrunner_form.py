"""Integrations -> Linkrunner: the Data API key (OS keyring only), a connection test,
the automatic pull (switch and interval), "Pull now", and importing a
`user_id,clevertap_id` mapping. Keyring, network and database work run in workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lr_desktop.gui import changes
from lr_desktop.gui.busy_buttons import set_busy
from lr_desktop.gui.interval_box import IntervalSpinBox
from lr_desktop.gui.linkrunner_source import (
    LinkrunnerSource,
    LinkrunnerState,
    check_key,
    describe_interval,
    describe_mapping,
    describe_test_error,
    when,
)
from lr_desktop.gui.unsaved import UnsavedMarker
from lr_desktop.gui.views.integrations import SecretField, keyring_message
from lr_desktop.gui.workers import TaskRunner
from lr_desktop.linkrunner import settings as lr_settings
from lr_desktop.secrets import KeyringFailure, KeyringUnavailable

MIN_INTERVAL_MINUTES = 0.25  # 15 s (the demo); Linkrunner allows 30 requests a second


class LinkrunnerForm(QGroupBox):
    loaded = Signal(object)  # LinkrunnerState (after the form was filled)
    settings_saved = Signal(object)  # LinkrunnerState
    test_finished = Signal(bool)  # the key worked
    mapping_finished = Signal(object)  # MappingReport, or the exception
    pull_requested = Signal()  # "Pull now"
    action_finished = Signal(str)  # "load" | "save" | "remove" | "test" | "mapping"

    def __init__(
        self,
        db_path: Path,
        source: LinkrunnerSource,
        runner: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Linkrunner", parent)
        self.setObjectName("linkrunnerBox")
        self._db_path = Path(db_path)
        self._source = source
        self._runner = runner
        self.state: LinkrunnerState | None = None
        self._mapping = False  # an ID mapping import runs
        self.loaded_once = False

        self.demo_label = QLabel(
            "Demo: pulls read from the bundled Linkrunner emulator, which attributes a few "
            "new users every few seconds. Its key stays in memory and never reaches the keyring.",
            objectName="linkrunnerDemoNote",
        )
        self.demo_label.setWordWrap(True)
        self.demo_label.setVisible(source.is_demo)

        self.key = SecretField("linkrunnerKey")
        self.key.setPlaceholderText("Linkrunner: Settings > Data APIs")
        self.interval = IntervalSpinBox(objectName="pullInterval")  # "15 s", not "0.25 min"
        self.interval.setRange(MIN_INTERVAL_MINUTES, 24 * 60)
        self.interval.setToolTip("Minutes between automatic pulls while the app is open")
        self.auto_pull = QCheckBox(
            "Pull new attributions automatically while the app is open", objectName="autoPull"
        )
        self.unsaved_label = QLabel(objectName="linkrunnerUnsaved")
        self.unsaved = UnsavedMarker(
            self,
            (self.key, self.interval, self.auto_pull),
            lambda: (self.key.text(), round(self.interval.value(), 4), self.auto_pull.isChecked()),
            self.unsaved_label,
        )
        self.key.returnPressed.connect(self.save)
        form = QFormLayout()
        form.addRow("API key", self.key)
        form.addRow("Pull every", self.interval)
        form.addRow("", self.auto_pull)

        self.send_note = QLabel(
            "After each pull, new users go to CleverTap when “Send new attributions to "
            "CleverTap automatically” is on (CleverTap section).",
            objectName="linkrunnerSendNote",
        )
        self.send_note.setWordWrap(True)

        self.save_button = QPushButton("Save", objectName="linkrunnerSave")
        self.test_button = QPushButton("Test connection", objectName="linkrunnerTest")
        self.pull_button = QPushButton("Pull now", objectName="pullNow")
        self.remove_button = QPushButton("Remove key", objectName="linkrunnerRemove")
        self.save_button.clicked.connect(self.save)
        self.test_button.clicked.connect(self.test_connection)
        self.pull_button.clicked.connect(self.pull_requested)
        self.remove_button.clicked.connect(lambda: self.remove())
        buttons = QHBoxLayout()
        for b in (self.save_button, self.test_button, self.pull_button):
            buttons.addWidget(b)
        buttons.addWidget(self.unsaved_label)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)

        self.result_label = QLabel(objectName="linkrunnerResult")
        self.result_label.setWordWrap(True)
        self.backend_label = QLabel(objectName="linkrunnerBackend")
        self.backend_label.setWordWrap(True)
        self.last_pull_label = QLabel(objectName="lastPull")
        self.last_pull_label.setWordWrap(True)

        self.mapping_button = QPushButton("Import ID mapping…", objectName="importMapping")
        self.mapping_button.setToolTip(
            "A CSV file with the columns user_id,clevertap_id: users waiting for a CleverTap ID "
            "get theirs and are queued for sending"
        )
        self.mapping_button.clicked.connect(self.choose_mapping)
        self.mapping_label = QLabel(
            "Users without a CleverTap ID wait until one is known: import a "
            "user_id,clevertap_id CSV to give it to them.",
            objectName="mappingResult",
        )
        self.mapping_label.setWordWrap(True)
        mapping_row = QHBoxLayout()
        mapping_row.addWidget(self.mapping_button)
        mapping_row.addStretch(1)

        inner = QVBoxLayout(self)
        inner.addWidget(self.demo_label)
        inner.addLayout(form)
        inner.addWidget(self.send_note)
        inner.addLayout(buttons)
        inner.addWidget(self.result_label)
        inner.addWidget(self.last_pull_label)
        inner.addWidget(self.backend_label)
        inner.addSpacing(8)
        inner.addLayout(mapping_row)
        inner.addWidget(self.mapping_label)

    # -- showing ---------------------------------------------------------------------------
    def _busy(self, busy: bool) -> None:
        set_busy(self, (self.save_button, self.test_button, self.remove_button), busy)

    def _fill(self, state: LinkrunnerState) -> None:
        self.state = state
        self.key.setText(state.key or "")
        self.interval.setValue(state.settings.pull_interval_minutes)
        self.auto_pull.setChecked(state.auto_pull)
        self.unsaved.mark_clean()
        if state.backend_error:
            self._show_backend(state.backend_error, error=True)
        else:
            text = f"The API key is kept in: {state.backend}"
            if state.env_key:
                text += ". LR_LINKRUNNER_KEY is set and is used instead."
            if state.base_url:
                text += f"\nPulls read from the local emulator at {state.base_url}."
            self._show_backend(text, error=False)
        self.show_last_pull(state.settings)

    def _show_backend(self, text: str, *, error: bool) -> None:
        self.backend_label.setText(text)
        self.backend_label.setProperty("error", error)
        self.backend_label.style().polish(self.backend_label)

    def show_last_pull(self, s: lr_settings.LinkrunnerSettings) -> None:
        auto = self.state.auto_pull if self.state else False
        every = describe_interval(s.pull_interval_minutes)
        text = f"Last pull: {when(s.last_pull_at)}"
        if s.newest_mark:
            text += f" · newest attribution {when(s.newest_mark)}"
        text += f" · automatic pull {'every ' + every if auto else 'off'}"
        self.last_pull_label.setText(text)

    # -- load / save / remove --------------------------------------------------------------
    def load(self) -> None:
        source = self._source
        self._runner.start("linkrunner-load", lambda _p, _c: source.load(), on_success=self._loaded)

    def _loaded(self, state: LinkrunnerState) -> None:
        self._fill(state)
        self.loaded_once = True
        self.loaded.emit(state)
        self.action_finished.emit("load")

    def save(self) -> None:
        key = self.key.text().strip()
        minutes = float(self.interval.value())
        auto = self.auto_pull.isChecked()
        source = self._source
        self._busy(True)
        self.result_label.setText("Saving…")
        self._runner.start(
            "linkrunner-save",
            lambda _p, _c: source.save(key, pull_interval_minutes=minutes, auto_pull=auto),
            on_success=self._saved,
            on_failure=self._save_failed,
        )

    def _saved(self, state: LinkrunnerState) -> None:
        self._busy(False)
        self._fill(state)
        self.result_label.setText("Saved." if state.key else "Saved (no API key stored).")
        self.settings_saved.emit(state)
        self.action_finished.emit("save")

    def _save_failed(self, exc: Exception) -> None:
        self._busy(False)
        reason = str(exc) if isinstance(exc, ValueError) else keyring_message(exc)
        self.result_label.setText(f"Nothing was saved. {reason}")
        if isinstance(exc, KeyringUnavailable | KeyringFailure):
            self._show_backend(str(exc), error=True)
        self.action_finished.emit("save")

    def remove(self, *, confirm: bool = True) -> None:
        if (
            confirm
            and QMessageBox.question(
                self,
                "Remove the Linkrunner key",
                "Delete the Linkrunner API key from the keyring? Automatic pulls stop "
                "until a key is saved again.",
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        source = self._source
        self._busy(True)

        def work(_p: object, _c: object) -> LinkrunnerState:
            source.remove_key()
            return source.load()

        self._runner.start(
            "linkrunner-remove", work, on_success=self._removed, on_failure=self._save_failed
        )

    def _removed(self, state: LinkrunnerState) -> None:
        self._busy(False)
        self._fill(state)
        self.result_label.setText("The API key was removed.")
        self.action_finished.emit("remove")

    # -- test connection -------------------------------------------------------------------
    def test_connection(self) -> None:
        key = self.key.text().strip()
        if not key:
            self.result_label.setText(
                "✘ Enter the API key first (Linkrunner: Settings > Data APIs)."
            )
            return
        source = self._source

        def work(_p: object, _c: object) -> int | None:
            return check_key(key, lr_settings.effective_base_url(source.settings()))

        self._busy(True)
        self.result_label.setText("Testing the connection…")
        self._runner.start(
            "linkrunner-test", work, on_success=self._tested, on_failure=self._test_failed
        )

    def _tested(self, total: int | None) -> None:
        self._busy(False)
        listed = f" It lists {total:,} campaigns." if total is not None else ""
        self.result_label.setText(f"✔ Linkrunner accepted the key.{listed}")
        self.test_finished.emit(True)
        self.action_finished.emit("test")

    def _test_failed(self, exc: Exception) -> None:
        self._busy(False)
        self.result_label.setText(f"✘ {describe_test_error(exc)}")
        self.test_finished.emit(False)
        self.action_finished.emit("test")

    # -- ID mapping ------------------------------------------------------------------------
    def choose_mapping(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import ID mapping (user_id,clevertap_id)", "", "CSV files (*.csv);;All files (*)"
        )
        if name:
            self.import_mapping(Path(name))

    def import_mapping(self, path: Path) -> bool:
        from lr_desktop.linkrunner.idmap import import_id_mapping

        if self._mapping:
            return False
        self._mapping = True
        db_path = Path(self._db_path)
        path = Path(path)
        self.mapping_button.setEnabled(False)
        self.mapping_label.setProperty("error", False)
        self.mapping_label.setText(f"Importing {path.name}…")
        task = self._runner.start(
            "linkrunner-mapping",
            lambda _p, _c: import_id_mapping(db_path, path),
            on_success=lambda report: self._mapped(report, path.name),
            on_failure=self._mapping_failed,
            on_done=lambda: self._mapping_ended(task.outcome),
            changes=changes.of_mapping,
        )
        return True

    def _mapped(self, report: Any, name: str) -> None:
        self.mapping_label.setText(describe_mapping(report, name))
        self.mapping_label.style().polish(self.mapping_label)

    def _mapping_ended(self, outcome: object) -> None:
        """The report or the exception; the runner's change notice follows."""
        self._mapping = False
        self.mapping_button.setEnabled(True)
        self.mapping_finished.emit(outcome)
        self.action_finished.emit("mapping")

    def _mapping_failed(self, exc: Exception) -> None:
        from lr_desktop.linkrunner.idmap import MappingFileError

        if isinstance(exc, MappingFileError):
            text = f"Nothing was changed. {exc}"
        else:
            text = (
                f"The mapping import stopped: {exc}. Rows before the problem were applied; "
                "importing the file again is safe."
            )
        self.mapping_label.setText(text)
        self.mapping_label.setProperty("error", True)
        self.mapping_label.style().polish(self.mapping_label)
