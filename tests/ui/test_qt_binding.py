"""The Qt binding must not corrupt Python's reference counts: PySide6 6.12.0 on Python
3.11 drops a reference to True on every signal emission, and the application then
aborts ("bool_dealloc") after some thousands of emissions (pinned below 6.12)."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(object)


def test_signal_emission_keeps_reference_counts():
    e = _Emitter()
    got = []
    e.changed.connect(got.append)
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    for n in range(200):
        e.changed.emit(None if n % 2 else n)
    got.clear()
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    assert after == before
