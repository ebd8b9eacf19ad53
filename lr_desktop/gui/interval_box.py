"""The automatic pull's interval, shown as a person reads it ("15 s", "5 min", "2 h"
rather than "0.25 min"), stepping through sensible values. The value stays minutes."""

from __future__ import annotations

import re

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

STEPS = (0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 240, 360, 720, 1440)
_UNITS = {"s": 1 / 60, "sec": 1 / 60, "min": 1.0, "m": 1.0, "h": 60.0, "hr": 60.0, "": 1.0}
_TEXT = re.compile(r"^\s*(\d+(?:[.,]\d*)?)\s*(s|sec|min|m|h|hr)?\s*$", re.IGNORECASE)


def describe(minutes: float) -> str:
    seconds = round(minutes * 60)
    if seconds < 60:
        return f"{seconds} s"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds // 60} min {seconds % 60} s"


def parse(text: str) -> float | None:
    """Minutes from "15 s", "5 min", "2 h" or a bare number of minutes; None if unreadable."""
    m = _TEXT.match(text)
    if m is None:
        return None
    return float(m.group(1).replace(",", ".")) * _UNITS[(m.group(2) or "").lower()]


class IntervalSpinBox(QDoubleSpinBox):
    def __init__(self, parent: QWidget | None = None, **kwargs: object) -> None:
        super().__init__(parent, **kwargs)
        self.setDecimals(4)  # minutes; 1 s is 0.0167

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return describe(value)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        v = parse(text)
        return self.value() if v is None else v

    def validate(self, text: str, pos: int) -> object:
        v = parse(text)
        if v is None:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= v <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802
        value = self.value()
        if steps > 0:
            later = [s for s in STEPS if s > value + 1e-9]
            target = later[min(steps, len(later)) - 1] if later else self.maximum()
        else:
            earlier = [s for s in STEPS if s < value - 1e-9]
            target = earlier[max(len(earlier) + steps, 0)] if earlier else self.minimum()
        self.setValue(min(max(target, self.minimum()), self.maximum()))
