"""An "unsaved changes" marker for a settings form: it compares what the fields hold
with what was last loaded or saved (a snapshot), so typing a value back clears it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

if TYPE_CHECKING:
    from lr_desktop.clevertap.env_overrides import Override

MARK = "● Unsaved changes"


class UnsavedMarker(QObject):
    changed = Signal(bool)  # dirty

    def __init__(
        self,
        parent: QWidget,
        fields: Sequence[QWidget],
        snapshot: Callable[[], object],
        label: QLabel,
    ) -> None:
        super().__init__(parent)
        self._snapshot = snapshot
        self._label = label
        self._clean: object = snapshot()
        self._dirty = False
        self._quiet = False
        label.setProperty("warning", True)
        label.hide()
        for w in fields:
            if isinstance(w, QLineEdit):
                w.textChanged.connect(self.check)
            elif isinstance(w, QComboBox):
                w.currentIndexChanged.connect(self.check)
            elif isinstance(w, QCheckBox):
                w.toggled.connect(self.check)
            elif isinstance(w, QAbstractSpinBox):
                w.editingFinished.connect(self.check)
                getattr(w, "valueChanged").connect(self.check)  # noqa: B009

    @property
    def dirty(self) -> bool:
        return self._dirty

    def mark_clean(self) -> None:
        """The fields now hold what is stored (after a load or a save)."""
        self._clean = self._snapshot()
        self.check()

    def check(self, *_: object) -> None:
        dirty = self._snapshot() != self._clean
        if dirty != self._dirty:
            self._dirty = dirty
            self._label.setText(MARK if dirty else "")
            self._label.setVisible(dirty)
            self.changed.emit(dirty)


def show_overrides(
    label: QLabel, overrides: Sequence[Override], fields: dict[str, QLineEdit]
) -> None:
    """Say on `label` which environment variables are in force, and put that in the
    placeholder of each field they replace (the field itself may be blank)."""
    if not overrides:
        label.hide()
        return
    names = ", ".join(
        f"{o.variable}" + (f" = {o.shown}" if o.shown != "(secret)" else "") for o in overrides
    )
    label.setText(
        f"In force from the environment: {names}. Every sync uses "
        f"{'it' if len(overrides) == 1 else 'them'} instead of what this form holds."
    )
    label.show()
    for o in overrides:
        edit = fields.get(o.field)
        if edit is not None:
            edit.setPlaceholderText(f"{o.variable} is in force")
