"""``--smoke-test``: prove an installed application works end to end. The window opens
the case (the built-in sample by default), renders it, and the process prints the
start-up time to its first rendered frame as JSON and exits 0, or 1 with the reason."""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

TIMEOUT_S = 180.0
POLL_MS = 100


def seconds_since_process_start() -> float | None:
    """Wall-clock seconds since this process was started (Linux; None elsewhere)."""
    try:
        with open("/proc/self/stat") as fh:
            start_ticks = float(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class SmokeTest(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.t0 = time.monotonic()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._poll)
        self.timer.start(POLL_MS)

    def _finish(self, code: int, **info) -> None:
        self.timer.stop()
        info.update(frozen=bool(getattr(sys, "frozen", False)),
                    python=sys.version.split()[0], executable=sys.executable)
        print(json.dumps({"smoke_test": "ok" if code == 0 else "failed", **info}),
              flush=True)
        self.window.undo_stack.setClean()
        QApplication.instance().exit(code)

    def _poll(self) -> None:
        from planner.render.vtk_util import read_pixels

        w = self.window
        if time.monotonic() - self.t0 > TIMEOUT_S:
            self._finish(1, reason=f"no rendered case after {TIMEOUT_S:.0f} s")
            return
        if w.state.volume is None:
            return
        axial = w.views["axial"]
        axial.render_now()
        pixels = read_pixels(axial.GetRenderWindow())
        if pixels.size == 0 or float(np.std(pixels)) < 1.0:
            return          # not drawn yet
        vol = w.state.volume
        self._finish(0, seconds_to_first_frame=round(seconds_since_process_start() or
                                                      time.monotonic() - self.t0, 2),
                     volume=list(vol.shape_ijk), patient=vol.meta.get("patient_name", ""),
                     view_pixels=list(pixels.shape[:2]))
