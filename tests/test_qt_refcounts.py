"""PySide6 6.12.0 on Python 3.11 leaked references to None/True/False on every void Qt
call (signal emits, model resets); after enough calls the process aborted. The window
emits such signals all day, so a release with that bug must fail here."""

import sys

import pytest
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Signal


class _Model(QAbstractTableModel):
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 2

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 2

    def data(self, index: QModelIndex, role: int = 0) -> None:
        return None


class _Emitter(QObject):
    changed = Signal(int)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None/True/False are immortal from 3.12")
def test_void_qt_calls_keep_singleton_refcounts() -> None:
    model, emitter = _Model(), _Emitter()
    before = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(200):
        model.dataChanged.emit(model.index(0, 0), model.index(1, 1))
        model.beginResetModel()
        model.endResetModel()
        emitter.changed.emit(1)
    after = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    assert all(a - b > -50 for a, b in zip(after, before, strict=True)), (before, after)
