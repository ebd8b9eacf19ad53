"""Integrations -> CleverTap: credentials, region, delivery mode, event names (the
Linkrunner box next to it is `linkrunner_form.LinkrunnerForm`).

Validation uses the core's `CleverTapConfig.problems()`; saving, loading and removing
(keyring) and the connection test (network) run in workers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from lr_desktop.clevertap.config import MAX_MATCH_SECONDS, CleverTapConfig, Secrets
from lr_desktop.clevertap.config_source import ConfigSource
from lr_desktop.clevertap.env_overrides import Override, overrides_in_force
from lr_desktop.clevertap.regions import REGION_HOSTS
from lr_desktop.gui.busy_buttons import set_busy
from lr_desktop.gui.unsaved import UnsavedMarker, show_overrides
from lr_desktop.gui.workers import TaskRunner
from lr_desktop.secrets import KeyringFailure, KeyringUnavailable

MODES = (("Upload Events API", "upload"), ("Attribution partner API", "attribution"))
METHODS = (("GET (what CleverTap's partner doc shows)", "GET"), ("POST (no public source)", "POST"))
MODE_NOTES = {
    "upload": "CleverTap shows each install as a custom event with the name set below.",
    "attribution": "CleverTap stores each install as its “UTM Visited” event, not under the "
    "event names below: segments built on one don't see the other. Organic installs arrive "
    "only once Settings > Partners in CleverTap enables them.",
}
PARTNER_NOTE = (
    "Attribution mode only works when CleverTap has whitelisted this partner name for your "
    "account. No public source names Linkrunner's: ask CleverTap. There is no default."
)

MATCH_NOTE = (
    "“UTM Visited” carries no event id: Verify and the check before re-sending take it for "
    "an install when its CleverTap ID and utm fields agree and its time is this close to "
    "the install time. Whether CleverTap records the time sent or its own arrival time is "
    "not confirmed: too tight and a landed install looks missing (and is sent again)."
)


def keyring_message(exc: Exception) -> str:
    if isinstance(exc, KeyringUnavailable | KeyringFailure):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class SecretField(QLineEdit):
    """A masked line edit with a show/hide toggle."""

    def __init__(self, name: str) -> None:
        super().__init__(objectName=name)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView)
        self.reveal = QAction(QIcon(icon), "Show", self, checkable=True, objectName=f"{name}Reveal")
        self.reveal.setToolTip("Show or hide")
        self.reveal.toggled.connect(self._toggle)
        self.addAction(self.reveal, QLineEdit.ActionPosition.TrailingPosition)

    def _toggle(self, shown: bool) -> None:
        self.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)


class IntegrationsView(QWidget):
    config_saved = Signal(object)  # CleverTapConfig without secrets
    config_removed = Signal()
    test_finished = Signal(object)  # ConnectionResult
    busy_changed = Signal(bool)
    action_finished = Signal(str)  # "load" | "save" | "remove" | "test", after the UI updated

    def __init__(
        self, source: ConfigSource, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._runner = runner
        self._saved_project_id = ""
        self.loaded_once = False  # the stored configuration has been put into the form

        self.project_id = QLineEdit(objectName="projectId")
        self.project_id.setPlaceholderText("e.g. W9R-486-4W5Z (CleverTap: Settings > Project)")
        self.token = SecretField("projectToken")
        self.passcode = SecretField("passcode")
        self.region = QComboBox(objectName="region")
        for code, host in REGION_HOSTS.items():
            self.region.addItem(f"{code}  —  {host}", code)
        self.mode = QComboBox(objectName="mode")
        for label, value in MODES:
            self.mode.addItem(label, value)
        self.partner = QLineEdit(objectName="partnerName")
        self.partner.setPlaceholderText("the partner name CleverTap whitelisted for you")
        self.partner_note = QLabel(PARTNER_NOTE, objectName="partnerNote", wordWrap=True)
        self.mode_note = QLabel(objectName="modeNote", wordWrap=True)
        self.method = QComboBox(objectName="attributionMethod")
        for label, value in METHODS:
            self.method.addItem(label, value)
        self.match_seconds = QSpinBox(objectName="attributionMatchSeconds")
        self.match_seconds.setRange(0, MAX_MATCH_SECONDS)
        self.match_seconds.setSuffix(" s")
        self.match_seconds.setToolTip(MATCH_NOTE)
        self.match_note = QLabel(MATCH_NOTE, objectName="matchNote", wordWrap=True)
        self.organic_event = QLineEdit(objectName="organicEvent")
        self.inorganic_event = QLineEdit(objectName="inorganicEvent")
        self.send_automatically = QCheckBox(
            "Send new attributions to CleverTap automatically", objectName="sendAutomatically"
        )
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.unsaved_label = QLabel(objectName="unsaved")
        self.unsaved = UnsavedMarker(self, self._fields(), self._form_values, self.unsaved_label)
        for edit in self._fields():
            if isinstance(edit, QLineEdit):
                edit.returnPressed.connect(self.save)  # Return saves, as in a dialog
        self.env_label = QLabel(objectName="envOverrides")
        self.env_label.setWordWrap(True)
        self.env_label.setProperty("warning", True)
        self.env_label.hide()

        form = QFormLayout()
        form.addRow("Project ID", self.project_id)
        form.addRow("Project Token", self.token)
        form.addRow("Project Passcode", self.passcode)
        form.addRow("Region", self.region)
        form.addRow("Delivery mode", self.mode)
        form.addRow("", self.mode_note)
        form.addRow("Partner name", self.partner)
        form.addRow("", self.partner_note)
        form.addRow("Attribution request", self.method)
        form.addRow("Match installs within", self.match_seconds)
        form.addRow("", self.match_note)
        form.addRow("Organic install event", self.organic_event)
        form.addRow("Inorganic install event", self.inorganic_event)
        form.addRow("", self.send_automatically)

        self.problems_label = QLabel(objectName="problems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setProperty("error", True)
        self.problems_label.hide()
        self.result_label = QLabel(objectName="result")
        self.result_label.setWordWrap(True)
        self.backend_label = QLabel(objectName="backend")
        self.backend_label.setWordWrap(True)
        self.demo_label = QLabel(
            "Demo: these are the demo account's credentials for the bundled CleverTap emulator. "
            "They stay in memory and are never written to the keyring.",
            objectName="demoNote",
        )
        self.demo_label.setWordWrap(True)
        self.demo_label.setVisible(source.is_demo)

        self.save_button = QPushButton("Save", objectName="save")
        self.save_button.setDefault(True)
        self.test_button = QPushButton("Test connection", objectName="testConnection")
        self.remove_button = QPushButton("Remove", objectName="remove")
        self.save_button.clicked.connect(self.save)
        self.test_button.clicked.connect(self.test_connection)
        self.remove_button.clicked.connect(self.remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.unsaved_label)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)

        box = QGroupBox("CleverTap")
        box.setMaximumWidth(820)
        inner = QVBoxLayout(box)
        inner.addWidget(self.demo_label)
        inner.addWidget(self.env_label)
        inner.addLayout(form)
        inner.addWidget(self.problems_label)
        inner.addLayout(buttons)
        inner.addWidget(self.result_label)
        inner.addWidget(self.backend_label)

        self._columns = QHBoxLayout()
        self._columns.addWidget(box, 1, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.addLayout(self._columns)
        lay.addStretch(1)
        self.fill(CleverTapConfig())

    def add_section(self, widget: QWidget) -> None:
        """Another integration's box, next to CleverTap's (e.g. Linkrunner)."""
        widget.setMaximumWidth(820)
        self._columns.addWidget(widget, 1, Qt.AlignmentFlag.AlignTop)

    # -- form <-> config ---------------------------------------------------------------
    def fill(self, cfg: CleverTapConfig) -> None:
        self.project_id.setText(cfg.project_id)
        self.token.setText(cfg.secrets.project_token or "")
        self.passcode.setText(cfg.secrets.passcode or "")
        self.region.setCurrentIndex(max(self.region.findData(cfg.region), 0))
        self.mode.setCurrentIndex(max(self.mode.findData(cfg.mode), 0))
        self.partner.setText(cfg.partner_name)
        self.method.setCurrentIndex(max(self.method.findData(cfg.attribution_method.upper()), 0))
        self.match_seconds.setValue(round(cfg.attribution_match_seconds))
        self.organic_event.setText(cfg.organic_event)
        self.inorganic_event.setText(cfg.inorganic_event)
        self.send_automatically.setChecked(cfg.send_automatically)
        self._base = cfg
        self._mode_changed()
        self.unsaved.mark_clean()

    def _fields(self) -> tuple[QWidget, ...]:
        return (
            self.project_id,
            self.token,
            self.passcode,
            self.region,
            self.mode,
            self.partner,
            self.match_seconds,
            self.organic_event,
            self.inorganic_event,
            self.send_automatically,
        )

    def _form_values(self) -> tuple[object, ...]:
        return tuple(
            w.text()
            if isinstance(w, QLineEdit)
            else w.currentData()
            if isinstance(w, QComboBox)
            else w.value()
            if isinstance(w, QSpinBox)
            else w.isChecked()  # type: ignore[attr-defined]
            for w in self._fields()
        )

    def show_overrides(self, overrides: list[Override]) -> None:
        """Say which LR_CLEVERTAP_* variables a sync uses instead of this form."""
        show_overrides(
            self.env_label,
            overrides,
            {
                "project_id": self.project_id,
                "project_token": self.token,
                "passcode": self.passcode,
                "partner_name": self.partner,
            },
        )

    def form_config(self) -> CleverTapConfig:
        return replace(
            self._base,
            project_id=self.project_id.text().strip(),
            region=self.region.currentData(),
            mode=self.mode.currentData(),
            partner_name=self.partner.text().strip(),
            attribution_method=self.method.currentData(),
            attribution_match_seconds=float(self.match_seconds.value()),
            organic_event=self.organic_event.text().strip(),
            inorganic_event=self.inorganic_event.text().strip(),
            send_automatically=self.send_automatically.isChecked(),
            secrets=Secrets(
                project_token=self.token.text().strip() or None,
                passcode=self.passcode.text().strip() or None,
            ),
        )

    def _mode_changed(self, *_: Any) -> None:
        attribution = self.mode.currentData() == "attribution"
        self.partner.setEnabled(attribution)
        self.method.setEnabled(attribution)
        self.match_seconds.setEnabled(attribution)
        self.mode_note.setText(MODE_NOTES[self.mode.currentData()])

    def show_problems(self, problems: list[str]) -> None:
        self.problems_label.setText("\n".join(f"• {p}" for p in problems))
        self.problems_label.setVisible(bool(problems))

    def _busy(self, busy: bool) -> None:
        set_busy(self, (self.save_button, self.test_button, self.remove_button), busy)
        self.busy_changed.emit(busy)

    # -- actions ------------------------------------------------------------------------
    def load(self) -> None:
        source = self._source

        def work(_p: object, _c: object) -> tuple[CleverTapConfig, str | None, str | None]:
            cfg = source.public()
            error = None
            try:
                cfg = source.load_for_form()
                backend = source.backend()
            except (KeyringUnavailable, KeyringFailure) as exc:
                backend, error = None, str(exc)
            return cfg, backend, error

        self._runner.start("config-load", work, on_success=self._loaded)

    def _loaded(self, result: tuple[CleverTapConfig, str | None, str | None]) -> None:
        cfg, backend, error = result
        self.fill(cfg)
        self._saved_project_id = cfg.project_id
        self._show_backend(backend, error)
        if not self._source.is_demo:
            self.show_overrides(overrides_in_force())
        self.loaded_once = True
        self.action_finished.emit("load")

    def _show_backend(self, backend: str | None, error: str | None) -> None:
        if error:
            self.backend_label.setText(error)
            self.backend_label.setProperty("error", True)
        else:
            self.backend_label.setText(f"Secrets are kept in: {backend}")
            self.backend_label.setProperty("error", False)
        self.backend_label.style().polish(self.backend_label)

    def save(self) -> None:
        cfg = self.form_config()
        problems = cfg.problems()
        self.show_problems(problems)
        if problems:
            self.result_label.setText("Not saved: fix the problems above.")
            return
        source = self._source
        self._busy(True)
        self.result_label.setText("Saving…")
        self._runner.start(
            "config-save",
            lambda _p, _c: source.save(cfg),
            on_success=lambda backend: self._saved(cfg, backend),
            on_failure=self._save_failed,
        )

    def _saved(self, cfg: CleverTapConfig, backend: str) -> None:
        self._busy(False)
        self._saved_project_id = cfg.project_id
        self._base = cfg
        self.unsaved.mark_clean()
        self.result_label.setText("Saved.")
        self._show_backend(backend, None)
        self.config_saved.emit(replace(cfg, secrets=Secrets()))
        self.action_finished.emit("save")

    def _save_failed(self, exc: Exception) -> None:
        self._busy(False)
        self.result_label.setText(f"Nothing was saved. {keyring_message(exc)}")
        if isinstance(exc, KeyringUnavailable):
            self._show_backend(None, str(exc))
        self.action_finished.emit("save")

    def test_connection(self) -> None:
        from lr_desktop.clevertap.connection import test_connection

        cfg = self.form_config()
        problems = [
            p for p in cfg.problems() if "Project ID" in p or "Passcode" in p or "Region" in p
        ]
        self.show_problems(problems)
        if problems:
            return
        self._busy(True)
        self.result_label.setText("Testing the connection…")
        self._runner.start(
            "test-connection",
            lambda _p, _c: test_connection(cfg),
            on_success=self._tested,
            on_failure=self._test_failed,
        )

    def _tested(self, result: Any) -> None:
        self._busy(False)
        mark = "✔" if result.ok else "⚠" if result.outcome == "unverified" else "✘"
        self.result_label.setText(f"{mark} {result.message}")
        self.test_finished.emit(result)
        self.action_finished.emit("test")

    def _test_failed(self, exc: Exception) -> None:
        self._busy(False)
        self.result_label.setText(f"✘ The test failed: {exc}")
        self.test_finished.emit(None)
        self.action_finished.emit("test")

    def remove(self, *, confirm: bool = True) -> None:
        project_id = self._saved_project_id or self.project_id.text().strip()
        if (
            confirm
            and QMessageBox.question(
                self,
                "Remove CleverTap settings",
                "Remove the CleverTap settings and delete the Project Token and Passcode from the keyring?",
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        source = self._source
        self._busy(True)
        self._runner.start(
            "config-remove",
            lambda _p, _c: source.remove(project_id),
            on_success=self._removed,
            on_failure=self._save_failed,
        )

    def _removed(self, _r: object) -> None:
        self._busy(False)
        self.fill(CleverTapConfig(endpoint=self._base.endpoint if self._source.is_demo else None))
        self._saved_project_id = ""
        self.result_label.setText("Removed.")
        self.config_removed.emit()
        self.action_finished.emit("remove")
