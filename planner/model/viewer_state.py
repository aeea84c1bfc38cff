"""What every view shares: the loaded volume, the crosshair position and the window."""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.model.signal import Signal

# name -> (window width, window level) in HU
WINDOW_PRESETS: dict[str, tuple[float, float]] = {
    "Bone": (2000.0, 400.0),
    "Spine (osteoporotic bone)": (1200.0, 250.0),
    "Soft tissue": (400.0, 40.0),
    "Lung": (1500.0, -600.0),
}
DEFAULT_PRESET = "Bone"


class ViewerState:
    """Observable state; views subscribe to the signals, never to each other."""

    def __init__(self) -> None:
        self.volume: Any = None
        self.cursor = np.zeros(3)
        self.window, self.level = WINDOW_PRESETS[DEFAULT_PRESET]
        self.volume_changed = Signal()      # (volume)
        self.cursor_changed = Signal()      # (cursor LPS)
        self.window_changed = Signal()      # (window, level)

    def set_volume(self, volume: Any) -> None:
        self.volume = volume
        self.cursor = volume.center()
        self.volume_changed.emit(volume)
        self.cursor_changed.emit(self.cursor.copy())

    def set_cursor(self, lps: Any) -> None:
        p = np.asarray(lps, dtype=float)
        if self.volume is not None:
            lo, hi = self.volume.bounds()
            p = np.clip(p, lo, hi)
        if np.allclose(p, self.cursor):
            return
        self.cursor = p
        self.cursor_changed.emit(p.copy())

    def set_window(self, window: float, level: float) -> None:
        window = max(1.0, float(window))
        if (window, level) == (self.window, self.level):
            return
        self.window, self.level = window, float(level)
        self.window_changed.emit(self.window, self.level)

    def apply_preset(self, name: str) -> None:
        self.set_window(*WINDOW_PRESETS[name])
