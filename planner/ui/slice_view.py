"""A slice view widget: radiology-viewer mouse handling on top of a SliceScene."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal

from planner.model.viewer_state import ViewerState
from planner.render.slice_scene import SliceScene
from planner.ui.qt_vtk import VtkWidget
from planner.ui.handles import nearest_handle

WL_SENSITIVITY = 4.0     # HU per pixel of right-drag
ZOOM_STEP = 1.15
HANDLE_PICK_PX = 10.0    # a press this close to a needle end grabs it


class SliceView(VtkWidget):
    """Wheel scrolls slices, left-drag moves the crosshair, right-drag sets window/level,
    middle-drag pans, ctrl+wheel zooms, double-click asks to be maximised.

    Left-drag on a needle end (entry or tip) moves that end in the slice plane, keeping
    its depth; in "add level" mode a left click asks for a level at that point."""

    hovered = Signal(object, object)          # LPS point, HU or None
    maximize_requested = Signal()
    handle_grabbed = Signal(object, str)      # needle key, "entry" or "target"
    handle_moved = Signal(object, str, object)    # ..., new LPS point
    handle_released = Signal(object, str)
    level_clicked = Signal(object)            # LPS point

    # the needle a press prefers among ends drawn on the same pixel (set by the plan)
    preferred_needle = None

    def __init__(self, state: ViewerState, orientation: str, parent=None):
        super().__init__(parent)
        self.state = state
        self.scene = SliceScene(orientation)
        self.GetRenderWindow().AddRenderer(self.scene.renderer)
        interactor = self.GetRenderWindow().GetInteractor()
        interactor.SetInteractorStyle(None)    # all interaction is handled here in Qt
        self._drag: Qt.MouseButton | None = None
        self._last = QPointF()
        self._handle: tuple | None = None     # (key, which, point at grab)
        self.add_level_mode = False
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        state.volume_changed.connect(self._on_volume)
        state.cursor_changed.connect(self._on_cursor)
        state.window_changed.connect(self._on_window)

    # --- model -> view ------------------------------------------------------------------
    def _on_volume(self, volume) -> None:
        self.scene.set_volume(volume)
        self.scene.set_window(self.state.window, self.state.level)
        self.request_render()

    def _on_cursor(self, cursor) -> None:
        self.scene.set_cursor(cursor)
        self.request_render()

    def _on_window(self, window, level) -> None:
        self.scene.set_window(window, level)
        self.request_render()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.state.volume is not None:
            self.scene.reset_camera()
            self.scene.set_cursor(self.state.cursor)

    # --- helpers ------------------------------------------------------------------------
    def _display(self, pos: QPointF) -> tuple[float, float]:
        r = self.devicePixelRatioF()
        return pos.x() * r, (self.height() - pos.y()) * r - 1

    def world_at(self, pos: QPointF) -> np.ndarray:
        return self.scene.display_to_world(*self._display(pos))

    def slice_step(self) -> float:
        """Distance that moves the slice by one voxel along this view's normal."""
        vol = self.state.volume
        if vol is None:
            return 1.0
        inv = vol.inverse_affine[:3, :3]
        return float(1.0 / np.max(np.abs(inv @ self.scene.normal)))

    def scroll(self, slices: int) -> None:
        if self.state.volume is not None:
            self.state.set_cursor(self.state.cursor + self.scene.normal * slices *
                                  self.slice_step())

    def handle_at(self, pos: QPointF) -> tuple | None:
        """The needle end drawn nearest ``pos`` within the pick distance."""
        x, y = self._display(pos)
        hits = []
        for key, which, point in self.scene.overlay.handle_points():
            # the drawn handle is the end projected onto this slice
            on_plane = point - ((point - self.scene.cursor) @ self.scene.normal) * \
                self.scene.normal
            dx, dy = self.scene.world_to_display(on_plane)
            hits.append((float(np.hypot(dx - x, dy - y)),
                         (key, which, np.asarray(point, float))))
        return nearest_handle(hits, HANDLE_PICK_PX * self.devicePixelRatioF(),
                              self.preferred_needle)

    # --- Qt events ----------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._drag = event.button()
        self._last = event.position()
        if self._drag != Qt.MouseButton.LeftButton or self.state.volume is None:
            return
        world = self.world_at(event.position())
        if self.add_level_mode:
            self._drag = None
            self.level_clicked.emit(world)
            return
        self._handle = self.handle_at(event.position())
        if self._handle is not None:
            self.handle_grabbed.emit(self._handle[0], self._handle[1])
        else:
            self.state.set_cursor(world)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        if self.state.volume is None:
            return
        world = self.world_at(pos)
        self.hovered.emit(world, self.state.volume.value_at(world))
        dx, dy = pos.x() - self._last.x(), pos.y() - self._last.y()
        if self._drag == Qt.MouseButton.LeftButton and self._handle is not None:
            key, which, grabbed = self._handle
            n = self.scene.normal
            # move in the slice plane; the end keeps its depth across the slice
            self.handle_moved.emit(key, which, world + ((grabbed - world) @ n) * n)
        elif self._drag == Qt.MouseButton.LeftButton:
            self.state.set_cursor(world)
        elif self._drag == Qt.MouseButton.RightButton:
            self.state.set_window(self.state.window + dx * WL_SENSITIVITY,
                                  self.state.level - dy * WL_SENSITIVITY)
        elif self._drag == Qt.MouseButton.MiddleButton:
            before = self.world_at(self._last)
            self.scene.pan(world - before)
            self.request_render()
        self._last = pos

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._drag = None
        if self._handle is not None:
            key, which, _ = self._handle
            self._handle = None
            self.handle_released.emit(key, which)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.maximize_requested.emit()

    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps == 0:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.scene.zoom(ZOOM_STEP ** steps)
            self.request_render()
        else:
            self.scroll(int(np.sign(steps) * max(1, round(abs(steps)))))

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_PageUp):
            self.scroll(1 if key == Qt.Key.Key_Up else 10)
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.scroll(-1 if key == Qt.Key.Key_Down else -10)
        else:
            super().keyPressEvent(event)
