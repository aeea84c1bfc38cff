"""Frame time of the planning window while a needle end is dragged (target: median under
50 ms on 2 cores without a GPU, at 1920x1080).

Drives the real window on the sample case: adds L1 by a click in its body, then drags the
left entry across the axial view with real mouse events. A frame runs from the mouse
event until the last changed view has rendered (slices, needle reslices, 3-D, the
fluoroscopy overlays and the checks panel). The baseline, measured in the same run, is a
plain crosshair drag on the same view (every slice view re-renders, no plan work).
Usage: xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/bench_gui_drag.py
[--layout NAME]   (default: Planning; "Along the needle" adds the two needle reslices)
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from planner.app import configure_vtk
from planner.io.loader import load_volume
from planner.io.sample_case import DICOM_DIR, ensure_sample
from planner.ui.main_window import MainWindow

MOVES = 60


def _settle(app: QApplication, win: MainWindow) -> None:
    """Run the event loop until every requested render and repaint is done."""
    for _ in range(50):
        app.processEvents()
        if not any(v._render_pending for v in win.vtk_views):
            break
    app.processEvents()


def _widget_pos(view, point) -> QPoint:
    n = view.scene.normal
    on_plane = point - ((point - view.scene.cursor) @ n) * n
    x, y = view.scene.world_to_display(on_plane)
    return QPoint(int(round(x)), int(round(view.height() - 1 - y)))


def _send(view, kind, pos: QPoint, buttons) -> None:
    p = QPointF(pos)
    button = Qt.MouseButton.LeftButton if kind != QMouseEvent.Type.MouseMove else \
        Qt.MouseButton.NoButton
    ev = QMouseEvent(kind, p, view.mapToGlobal(p), button, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, ev)


def _drag_frames(app, win, view, start: QPoint, step: QPoint) -> list[float]:
    held = Qt.MouseButton.LeftButton
    _send(view, QMouseEvent.Type.MouseButtonPress, start, held)
    _settle(app, win)
    times, pos = [], start
    for n in range(MOVES):
        pos = pos + (step if (n // 10) % 2 == 0 else -step)      # back and forth
        t0 = time.perf_counter()
        _send(view, QMouseEvent.Type.MouseMove, pos, held)
        _settle(app, win)
        times.append(1000 * (time.perf_counter() - t0))
    _send(view, QMouseEvent.Type.MouseButtonRelease, pos, Qt.MouseButton.NoButton)
    _settle(app, win)
    return times


def main() -> None:
    layout = sys.argv[sys.argv.index("--layout") + 1] if "--layout" in sys.argv else \
        "Planning"
    app = QApplication(sys.argv[:1])
    configure_vtk()
    folder = ensure_sample()
    truth = json.loads((folder / "truth.json").read_text())
    volume = load_volume(str(folder / DICOM_DIR))
    win = MainWindow()
    win.set_layout(layout)
    win.resize(1920, 1080)
    win.show()
    win.set_volume(volume)
    centre = np.array(next(x for x in truth["levels"] if x["label"] == "L1")["body_center"])
    win.state.set_cursor(centre)
    _settle(app, win)
    win.planning.add_level_at(centre)
    while win.planning._job is not None:
        app.processEvents()
        time.sleep(0.01)
    win.session.set_accepted(0, True)
    while win.fluoro.service.busy():
        app.processEvents()
        time.sleep(0.01)
    _settle(app, win)
    axial = win.views["axial"]
    entry = win.session.levels[0].trajectories["left"].entry
    win.state.set_cursor(entry)
    _settle(app, win)
    start = _widget_pos(axial, entry)
    assert axial.handle_at(QPointF(start)) is not None, "the entry handle is not under the mouse"
    needle = _drag_frames(app, win, axial, start, QPoint(-2, 0))
    moved = win.session.levels[0].trajectories["left"].entry
    # baseline: a crosshair drag away from the needle on the same view
    free = QPoint(axial.width() // 5, axial.height() // 5)
    cross = _drag_frames(app, win, axial, free, QPoint(-2, 0))
    print(f"window {win.width()}x{win.height()}, views: {', '.join(visible_names(win))}; "
          f"axial view {axial.width()}x{axial.height()}")
    print(f"needle drag (checks, slices, needle reslices, 3-D, fluoroscopy overlays): "
          f"median {statistics.median(needle):.1f} ms, p90 "
          f"{np.percentile(needle, 90):.1f} ms (target < 50)")
    print(f"crosshair drag (baseline, slices only): median {statistics.median(cross):.1f} ms")
    print(f"ratio needle/crosshair: {statistics.median(needle) / statistics.median(cross):.2f}")
    print(f"the entry really moved: {np.linalg.norm(moved - entry):.1f} mm at the last frame")
    win.undo_stack.setClean()        # nothing to save: no question on close
    win.close()


def visible_names(win: MainWindow) -> list[str]:
    return [name for name, w in win.all_views.items() if w.isVisible()]


if __name__ == "__main__":
    main()
