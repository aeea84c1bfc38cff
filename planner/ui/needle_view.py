"""Reslices along the selected needle: looking down it (bull's eye, at the pedicle) and
the progression plane that contains it (the needle's own lateral view).

They follow the needle while it is dragged; the wheel moves the bull's-eye slice along
the needle, or the progression plane across it. The shared cursor is shown where it
projects onto the slice.
"""

from __future__ import annotations

import numpy as np

from planner.model.viewer_state import ViewerState
from planner.render.slice_scene import oblique
from planner.ui.slice_view import SliceView

HALF_FIELD_MM = 40.0
CROP_HALF_MM = 70.0          # the region resliced around the needle
RECROP_MM = 25.0             # the needle's middle moved this far: crop around it again
KINDS = {"bullseye": "Down the needle", "progression": "Needle progression plane"}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


class NeedleView(SliceView):
    def __init__(self, state: ViewerState, kind: str, parent=None):
        self.kind = kind
        self.plane_point: np.ndarray | None = None
        self.depth_mm = 0.0          # bull's eye: along the needle from the entry
        self.offset_mm = 0.0         # progression: across the needle
        self._needle: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._crop_centre: np.ndarray | None = None
        super().__init__(state, "axial", parent)
        # zoomed in about six times past the voxels: reslicing at the voxel spacing and
        # letting the texture interpolate costs a twentieth of reslicing every screen
        # pixel (about 10 ms less per view while a needle is dragged)
        self.scene.mapper.ResampleToScreenPixelsOff()
        self.set_needle(None, None, None)

    def set_needle(self, entry: np.ndarray | None, target: np.ndarray | None,
                   cranial: np.ndarray | None, depth_mm: float | None = None) -> None:
        """Follow a needle (None: no needle selected). ``depth_mm``: where the bull's eye
        looks, from the entry (kept while the needle moves)."""
        first = self._needle is None
        if entry is None:
            self._needle = None
            self.plane_point = None
            self.scene.image_slice.SetVisibility(False)
            self.scene.title = f"{KINDS[self.kind]}: add a level"
            self.scene.set_orientation(self.scene.orientation)
            self.request_render()
            return
        self.scene.image_slice.SetVisibility(True)
        entry, target, cranial = (np.asarray(v, float) for v in (entry, target, cranial))
        self._needle = (entry, target, cranial)
        middle = (entry + target) / 2
        if self._crop_centre is None or np.linalg.norm(middle - self._crop_centre) > RECROP_MM:
            self.scene.crop_to(middle, CROP_HALF_MM)
            self._crop_centre = middle
        d = _unit(target - entry)
        if depth_mm is not None and (first or self.kind == "bullseye"):
            self.depth_mm = float(np.clip(depth_mm, 0.0, np.linalg.norm(target - entry)))
        if self.kind == "bullseye":
            up = cranial if abs(cranial @ d) < 0.95 else np.cross(d, [1.0, 0.0, 0.0])
            orientation = oblique("bullseye", d, up)
            self.plane_point = entry + self.depth_mm * d
            title = f"{KINDS[self.kind]}  {self.depth_mm:.0f} mm from the entry"
        else:
            across = np.cross(d, cranial)
            if np.linalg.norm(across) < 1e-3:
                across = np.cross(d, [1.0, 0.0, 0.0])
            orientation = oblique("progression", _unit(across), cranial)
            self.plane_point = (entry + target) / 2 + self.offset_mm * _unit(across)
            title = KINDS[self.kind]
        self.scene.set_orientation(orientation, title)
        if first:
            self.fit()
        self._on_cursor(self.state.cursor)

    def _on_volume(self, volume) -> None:
        self._crop_centre = None
        super()._on_volume(volume)

    def fit(self) -> None:
        """Centre on the needle with a field of about 8 cm."""
        if self.plane_point is None:
            return
        cam = self.scene.renderer.GetActiveCamera()
        cam.SetParallelScale(HALF_FIELD_MM)
        self.scene._place_camera(self.plane_point)
        self.scene.update_scale_bar()

    # --- the slice stays on the needle, the cursor is shown projected onto it ----------
    def _on_cursor(self, cursor) -> None:
        if self.plane_point is None:
            super()._on_cursor(cursor)
            return
        n = self.scene.normal
        c = np.asarray(cursor, float)
        self.scene.set_cursor(c - ((c - self.plane_point) @ n) * n)
        self.request_render()

    def scroll(self, slices: int) -> None:
        if self._needle is None:
            return
        entry, target, cranial = self._needle
        if self.kind == "bullseye":
            self.set_needle(entry, target, cranial, self.depth_mm + slices * self.slice_step())
        else:
            self.offset_mm += slices * self.slice_step()
            self.set_needle(entry, target, cranial)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.plane_point is not None:
            self.fit()
            self._on_cursor(self.state.cursor)
