"""Help → About: the version, the Qt/PySide6 versions, where the data and logs are, and
"Copy diagnostics" for a support request.

The diagnostics hold no secrets and no user ids: only versions, the platform, the kind of
build, folder paths (the home folder written as ~) and the keyring backend's name; the
text passes the core's URL redaction like every log line.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lr_desktop import APP_NAME, __version__


def build_kind() -> str:
    """How this copy runs: the frozen build, an installed wheel, or a source checkout."""
    if getattr(sys, "frozen", False):
        return "frozen build (PyInstaller)"
    from lr_desktop.resources import SEARCH

    return "installed package" if SEARCH[0].is_dir() else "source checkout"


def _home(path: Path | str) -> str:
    text = str(path)
    home = str(Path.home())
    return "~" + text[len(home) :] if home and text.startswith(home) else text


def _keyring_name() -> str:
    from lr_desktop.secrets import KeyringFailure, KeyringUnavailable, backend_name

    try:
        return backend_name()
    except (KeyringUnavailable, KeyringFailure):
        return "none available"


def diagnostics(
    db_path: Path, log_folder: Path, *, keyring_name: str | None = None
) -> list[tuple[str, str]]:
    """(label, value) rows shown in About and copied by "Copy diagnostics"."""
    import PySide6
    from PySide6.QtCore import qVersion

    from lr_desktop.store.schema import SCHEMA_VERSION

    return [
        (APP_NAME, __version__),
        ("Build", build_kind()),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("Python", platform.python_version()),
        ("System", platform.platform()),
        ("Database schema (this version)", str(SCHEMA_VERSION)),
        ("Database", _home(db_path)),
        ("Log folder", _home(log_folder)),
        ("Keyring", keyring_name if keyring_name is not None else _keyring_name()),
    ]


def diagnostics_text(rows: list[tuple[str, str]]) -> str:
    from lr_desktop.clevertap.payloads import redact_url

    return redact_url("\n".join(f"{label}: {value}" for label, value in rows)) + "\n"


class AboutDialog(QDialog):
    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="aboutDialog")
        from lr_desktop.paths import log_dir

        self.setWindowTitle(f"About {APP_NAME}")
        self.rows = diagnostics(Path(db_path), log_dir())
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{APP_NAME}</b> {__version__}")
        title.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(title)
        layout.addWidget(QLabel("Keeps CleverTap in step with Linkrunner attribution data."))
        form = QFormLayout()
        for label, value in self.rows[1:]:
            field = QLabel(value)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{label}:", field)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy diagnostics", objectName="copyDiagnostics")
        self.copy_button.setToolTip(
            "Versions and folders for a support request: no secrets, no user ids"
        )
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_diagnostics)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_diagnostics(self) -> str:
        text = diagnostics_text(self.rows)
        QGuiApplication.clipboard().setText(text)
        self.copy_button.setText("Copied")
        return text
