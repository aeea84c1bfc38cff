"""Simulated fluoroscopy rendered on one compute thread, never on the GUI thread.

The numba kernel is parallel; two threads calling it at once can abort pip numba's
default threading layer, so every render runs here, one at a time. Each view keeps only
its newest request: while the C-arm turns, a 256-pixel preview from the 4x volume comes
first, then the settled 512-pixel image from the 2x volume.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from planner.core.carm import CArm
from planner.core.drr import attenuation, render, to_display

PREVIEW = "preview"       # 256 px from the 4x volume (about 16 ms for a 512x512x400 CT)
SETTLED = "settled"       # 512 px from the 2x volume (about 110 ms)
SIZES = {PREVIEW: (256, 4), SETTLED: (512, 2)}


class DrrService(QObject):
    rendered = Signal(str, object, object, str)    # view name, CArm, uint8 image, quality
    ready = Signal()                               # attenuation volumes prepared

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: dict[str, tuple[CArm, str]] = {}
        self._volume: Any = None
        self._att: dict[int, Any] = {}
        self._new_volume = False
        self._stop = False
        self.invert = False
        self._thread = threading.Thread(target=self._run, name="drr", daemon=True)
        self._thread.start()

    def set_volume(self, volume: Any) -> None:
        with self._cond:
            self._volume, self._new_volume = volume, True
            self._pending.clear()
            self._cond.notify()

    def request(self, view: str, carm: CArm, quality: str = SETTLED) -> None:
        with self._cond:
            self._pending[view] = (carm, quality)
            self._cond.notify()

    def busy(self) -> bool:
        with self._cond:
            return bool(self._pending) or self._new_volume

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(10.0)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not (self._stop or self._new_volume or self._pending):
                    self._cond.wait()
                if self._stop:
                    return
                if self._new_volume:
                    volume, self._new_volume = self._volume, False
                    job = None
                else:
                    # previews first: they are what the user is waiting for
                    view = min(self._pending, key=lambda v: self._pending[v][1] != PREVIEW)
                    job = (view, *self._pending.pop(view))
            if job is None:
                self._att = {f: attenuation(volume, f) for f in (4, 2)}
                self.ready.emit()
                continue
            view, carm, quality = job
            size, factor = SIZES[quality]
            try:
                image = to_display(render(self._att[factor], carm, size=size),
                                   invert=self.invert)
            except Exception:        # a view of nothing is shown as nothing, not a crash
                image = np.zeros((size, size), np.uint8)
            self.rendered.emit(view, carm, image, quality)
