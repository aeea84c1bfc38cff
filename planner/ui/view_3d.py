"""The 3-D view widget: trackball camera over the bone surface; needle ends can be
grabbed and dragged (in the plane facing the camera), elsewhere a drag turns the view."""

from __future__ import annotations

import numpy as np
from planner.render import vtk_api as vtk
from PySide6.QtCore import QPointF, Qt, Signal

from planner.model.viewer_state import ViewerState
from planner.render.surface_scene import SurfaceScene
from planner.ui.qt_vtk import VtkWidget
from planner.ui.handles import nearest_handle


HANDLE_PICK_PX = 10.0


class View3D(VtkWidget):
    maximize_requested = Signal()
    handle_grabbed = Signal(object, str)
    handle_moved = Signal(object, str, object)
    handle_released = Signal(object, str)

    # the needle a press prefers among ends drawn on the same pixel (set by the plan)
    preferred_needle = None

    def __init__(self, state: ViewerState, parent=None):
        super().__init__(parent)
        self.state = state
        self.scene = SurfaceScene()
        self.GetRenderWindow().AddRenderer(self.scene.renderer)
        style = vtk.vtkInteractorStyleTrackballCamera()
        self.GetRenderWindow().GetInteractor().SetInteractorStyle(style)
        # the lighter bone surface while the camera turns, as while a needle is dragged
        style.AddObserver("StartInteractionEvent", lambda *_: self.set_interactive(True))
        style.AddObserver("EndInteractionEvent", lambda *_: self.set_interactive(False))
        state.cursor_changed.connect(self._on_cursor)
        self._handle: tuple | None = None

    def set_surface(self, surface, affine) -> None:
        self.scene.set_surface(surface, affine)
        self.scene.set_cursor(self.state.cursor)
        self.request_render()

    def set_interactive(self, on: bool) -> None:
        """The lighter surface during a drag anywhere in the window; full detail at rest."""
        self.scene.set_interactive(on)
        self.request_render()

    def _on_cursor(self, cursor) -> None:
        self.scene.set_cursor(cursor)
        self.request_render()

    def _display(self, pos: QPointF) -> tuple[float, float]:
        r = self.devicePixelRatioF()
        return pos.x() * r, (self.height() - pos.y()) * r - 1

    def handle_at(self, pos: QPointF) -> tuple | None:
        """The needle end drawn nearest ``pos`` within the pick distance."""
        x, y = self._display(pos)
        ren = self.scene.renderer
        hits = []
        for key, which, point in self.scene.needles.handle_points():
            ren.SetWorldPoint(*point, 1.0)
            ren.WorldToDisplay()
            dx, dy, _ = ren.GetDisplayPoint()
            hits.append((float(np.hypot(dx - x, dy - y)),
                         (key, which, np.asarray(point, float))))
        return nearest_handle(hits, HANDLE_PICK_PX * self.devicePixelRatioF(),
                              self.preferred_needle)

    def _moved_point(self, grabbed: np.ndarray, pos: QPointF) -> np.ndarray:
        """The point under ``pos`` at the grabbed end's depth (a plane facing the
        camera)."""
        ren = self.scene.renderer
        ren.SetWorldPoint(*grabbed, 1.0)
        ren.WorldToDisplay()
        depth = ren.GetDisplayPoint()[2]
        x, y = self._display(pos)
        ren.SetDisplayPoint(x, y, depth)
        ren.DisplayToWorld()
        w = np.array(ren.GetWorldPoint())
        return w[:3] / (w[3] if w[3] else 1.0)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._handle = self.handle_at(event.position())
            if self._handle is not None:
                self.handle_grabbed.emit(self._handle[0], self._handle[1])
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._handle is not None:
            key, which, grabbed = self._handle
            self.handle_moved.emit(key, which, self._moved_point(grabbed, event.position()))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._handle is not None:
            key, which, _ = self._handle
            self._handle = None
            self.handle_released.emit(key, which)
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.maximize_requested.emit()
