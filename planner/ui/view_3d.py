"""The 3-D view widget: trackball camera over the bone surface."""

from __future__ import annotations

import vtk
from PySide6.QtCore import Signal

from planner.model.viewer_state import ViewerState
from planner.render.surface_scene import SurfaceScene
from planner.ui.qt_vtk import VtkWidget


class View3D(VtkWidget):
    maximize_requested = Signal()

    def __init__(self, state: ViewerState, parent=None):
        super().__init__(parent)
        self.state = state
        self.scene = SurfaceScene()
        self.GetRenderWindow().AddRenderer(self.scene.renderer)
        self.GetRenderWindow().GetInteractor().SetInteractorStyle(
            vtk.vtkInteractorStyleTrackballCamera())
        state.cursor_changed.connect(self._on_cursor)

    def set_surface(self, polydata, affine) -> None:
        self.scene.set_surface(polydata, affine)
        self.scene.set_cursor(self.state.cursor)
        self.request_render()

    def _on_cursor(self, cursor) -> None:
        self.scene.set_cursor(cursor)
        self.request_render()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.maximize_requested.emit()
