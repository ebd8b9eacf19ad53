"""Disabling a form's buttons while a worker runs, without losing the keyboard focus.

Qt moves the focus of a widget being disabled to the next one in the tab chain: clicking
"Save" in the CleverTap box put the cursor in the Linkrunner API key field with its text
selected, and typing replaced the hidden key. `set_busy` parks the focus on the form
while the buttons are disabled and gives it back to the button afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QApplication, QPushButton, QWidget


def set_busy(form: QWidget, buttons: Sequence[QPushButton], busy: bool) -> None:
    if busy:
        focused = QApplication.focusWidget()
        kept = focused if focused in buttons else None
        form.setProperty("_lrFocusButton", kept.objectName() if kept is not None else "")
        if kept is not None:
            form.setFocus()  # parked on the form itself: no field takes it
    for b in buttons:
        b.setEnabled(not busy)
    if not busy:
        name = form.property("_lrFocusButton") or ""
        form.setProperty("_lrFocusButton", "")
        back = next((b for b in buttons if name and b.objectName() == name), None)
        if back is not None and form.hasFocus():
            back.setFocus()
