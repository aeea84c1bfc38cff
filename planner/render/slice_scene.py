"""One orthogonal slice view (axial, sagittal or coronal in patient LPS axes).

The slice is resliced by VTK from the index-space image through the prop's UserMatrix,
so identity, permuted and oblique volumes all show true patient planes. Radiological
convention: patient left on screen right in axial and coronal; anterior on the left in
sagittal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from planner.render import vtk_api as vtk

from planner.render.plan_overlay import Needle, Polyline, SliceOverlay
from planner.render.vtk_util import array_to_image, matrix_to_vtk, world_to_display


@dataclass(frozen=True)
class Orientation:
    name: str
    normal: tuple[float, float, float]      # direction the viewer looks along (LPS)
    view_up: tuple[float, float, float]
    letters: tuple[str, str, str, str]      # left, right, top, bottom edges


ORIENTATIONS = {
    "axial": Orientation("axial", (0, 0, 1), (0, -1, 0), ("R", "L", "A", "P")),
    "coronal": Orientation("coronal", (0, 1, 0), (0, 0, 1), ("R", "L", "S", "I")),
    "sagittal": Orientation("sagittal", (-1, 0, 0), (0, 0, 1), ("A", "P", "S", "I")),
}
LPS_LETTERS = (("L", "R"), ("P", "A"), ("S", "I"))    # + and - along x, y, z


def letters_for(normal: np.ndarray, view_up: np.ndarray) -> tuple[str, str, str, str]:
    """Orientation letters (left, right, top, bottom edges) of any slice: the patient
    direction each screen edge points to most, two letters when it is oblique."""
    n, up = np.asarray(normal, float), np.asarray(view_up, float)
    right = np.cross(n, up)

    def letter(d: np.ndarray) -> str:
        order = np.argsort(-np.abs(d))
        out = ""
        for axis in order[:2]:
            if abs(d[axis]) >= 0.3 or not out:
                out += LPS_LETTERS[axis][0 if d[axis] > 0 else 1]
        return out

    return letter(-right), letter(right), letter(up), letter(-up)


def oblique(name: str, normal: np.ndarray, view_up: np.ndarray) -> Orientation:
    """An orientation along any unit normal (the needle views)."""
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    up = np.asarray(view_up, float)
    up = up - (up @ n) * n
    up /= np.linalg.norm(up)
    return Orientation(name, tuple(n), tuple(up), letters_for(n, up))


CROSSHAIR_RGB = (0.1, 0.85, 0.3)
CAMERA_DISTANCE = 1000.0


def _text(size: int, justify: str = "left", vertical: str = "bottom") -> vtk.vtkTextActor:
    t = vtk.vtkTextActor()
    prop = t.GetTextProperty()
    prop.SetFontSize(size)
    prop.SetColor(1.0, 0.85, 0.2)
    prop.SetShadow(True)
    getattr(prop, f"SetJustificationTo{justify.capitalize()}")()
    getattr(prop, f"SetVerticalJustificationTo{vertical.capitalize()}")()
    t.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    return t


class SliceScene:
    """Renderer content for one slice orientation; knows nothing about Qt."""

    def __init__(self, orientation: str | Orientation):
        self.orientation = (ORIENTATIONS[orientation] if isinstance(orientation, str)
                            else orientation)
        self.renderer = vtk.vtkRenderer()
        self.renderer.SetBackground(0.0, 0.0, 0.0)
        self.mapper = vtk.vtkImageResliceMapper()
        self.mapper.SliceFacesCameraOn()
        self.mapper.SliceAtFocalPointOn()
        self.image_slice = vtk.vtkImageSlice()
        self.image_slice.SetMapper(self.mapper)
        self.image_slice.GetProperty().SetInterpolationTypeToLinear()
        self.volume = None
        self.crop_box: tuple[np.ndarray, np.ndarray] | None = None   # LPS, index corners
        self.cursor = np.zeros(3)
        # crosshair: two lines through the cursor in the slice plane
        self._lines = vtk.vtkPolyData()
        pts = vtk.vtkPoints()
        pts.SetNumberOfPoints(4)
        self._lines.SetPoints(pts)
        cells = vtk.vtkCellArray()
        for a, b in ((0, 1), (2, 3)):
            cells.InsertNextCell(2)
            cells.InsertCellPoint(a)
            cells.InsertCellPoint(b)
        self._lines.SetLines(cells)
        lm = vtk.vtkPolyDataMapper()
        lm.SetInputData(self._lines)
        self.crosshair = vtk.vtkActor()
        self.crosshair.SetMapper(lm)
        self.crosshair.GetProperty().SetColor(*CROSSHAIR_RGB)
        self.crosshair.GetProperty().SetLineWidth(1.5)
        self.crosshair.GetProperty().LightingOff()
        self.crosshair.PickableOff()
        # orientation letters, banner, slice/scale annotation
        o = self.orientation
        self.letters = []
        for text, pos, just, vert in ((o.letters[0], (0.01, 0.5), "left", "centered"),
                                      (o.letters[1], (0.99, 0.5), "right", "centered"),
                                      (o.letters[2], (0.5, 0.99), "centered", "top"),
                                      (o.letters[3], (0.5, 0.01), "centered", "bottom")):
            t = _text(18, just, vert)
            t.SetInput(text)
            t.GetPositionCoordinate().SetValue(*pos)
            self.letters.append(t)
            self.renderer.AddViewProp(t)
        self.banner = _text(12, "left", "top")
        self.banner.GetPositionCoordinate().SetValue(0.01, 0.99)
        self.info = _text(12, "right", "bottom")
        self.info.GetPositionCoordinate().SetValue(0.99, 0.01)
        self.renderer.AddViewProp(self.banner)
        self.renderer.AddViewProp(self.info)
        # scale bar: a round length in mm drawn in display coordinates, bottom left
        self._bar = vtk.vtkPolyData()
        bar_pts = vtk.vtkPoints()
        bar_pts.SetNumberOfPoints(4)
        self._bar.SetPoints(bar_pts)
        bar_lines = vtk.vtkCellArray()
        bar_lines.InsertNextCell(4)
        for n in (2, 0, 1, 3):   # |___| shape
            bar_lines.InsertCellPoint(n)
        self._bar.SetLines(bar_lines)
        bm = vtk.vtkPolyDataMapper2D()
        bm.SetInputData(self._bar)
        self.scale_bar = vtk.vtkActor2D()
        self.scale_bar.SetMapper(bm)
        self.scale_bar.GetProperty().SetColor(1.0, 0.85, 0.2)
        self.scale_bar.GetProperty().SetLineWidth(2)
        self.scale_label = _text(12, "left", "bottom")
        self.scale_label.GetPositionCoordinate().SetCoordinateSystemToDisplay()
        self.renderer.AddViewProp(self.scale_bar)
        self.renderer.AddViewProp(self.scale_label)
        self.title = o.name.capitalize()
        self.overlay = SliceOverlay(self.renderer)
        self._banner_lines: list[str] = []
        self._level_text = ""

    # --- data ---------------------------------------------------------------------------
    def set_volume(self, volume) -> None:
        self.volume = volume
        self.crop_box = None
        self.mapper.SetInputData(array_to_image(volume.array))
        self.image_slice.SetUserMatrix(matrix_to_vtk(volume.affine))
        if not self.renderer.HasViewProp(self.image_slice):
            self.renderer.AddViewProp(self.image_slice)
            self.renderer.AddActor(self.crosshair)
        m = volume.meta
        self._banner_lines = [x for x in (
            str(m.get("patient_name", "")).replace("^", " "), m.get("study_description", ""),
            m.get("series_description", "")) if x]
        self._update_banner()
        self.cursor = volume.center()
        self.reset_camera()

    def crop_to(self, centre: np.ndarray, half_mm: float) -> None:
        """Show only the voxels within ``half_mm`` of ``centre`` (per axis, in LPS): an
        oblique slice is resliced over the whole plane through its input, so a view that
        follows a needle reslices the region around it, not the whole scan."""
        if self.volume is None:
            return
        corners = np.asarray(centre, float) + half_mm * np.array(
            [[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
        ijk = self.volume.world_to_index(corners)
        shape = np.array(self.volume.shape_ijk)
        lo = np.clip(np.floor(ijk.min(axis=0)), 0, shape - 1).astype(int)
        hi = np.clip(np.ceil(ijk.max(axis=0)), 0, shape - 1).astype(int)
        if np.any(hi <= lo):
            return                         # the box misses the scan: keep what is shown
        sub = self.volume.array[lo[2]:hi[2] + 1, lo[1]:hi[1] + 1, lo[0]:hi[0] + 1]
        image = array_to_image(sub)
        image.SetOrigin(*(float(v) for v in lo))     # still index space: same UserMatrix
        self.mapper.SetInputData(image)
        self.crop_box = (self.volume.index_to_world(lo), self.volume.index_to_world(hi))

    def set_orientation(self, orientation: Orientation, title: str | None = None) -> None:
        """Turn the slice (the needle views follow their needle)."""
        self.orientation = orientation
        for t, text in zip(self.letters, orientation.letters):
            t.SetInput(text)
        if title is not None:
            self.title = title
        self._place_camera(np.array(self.renderer.GetActiveCamera().GetFocalPoint()))

    def set_banner_lines(self, lines: list[str]) -> None:
        """Patient, study and series lines (or "De-identified") at the top left."""
        self._banner_lines = list(lines)
        self._update_banner()

    def set_level_text(self, text: str) -> bool:
        """The planned level shown under the patient banner ("" for none); returns
        whether it changed."""
        if text == self._level_text:
            return False
        self._level_text = text
        self._update_banner()
        return True

    def _update_banner(self) -> None:
        self.banner.SetInput("\n".join(self._banner_lines + ([self._level_text]
                                                              if self._level_text else [])))

    def set_plan(self, needles: list[Needle], outlines: list[Polyline]) -> bool:
        """Needles and model outlines to draw on the current slice; returns whether
        anything drawn changed (if not, the view need not render)."""
        self.overlay.set_content(needles, outlines)
        return self.overlay.update(self.cursor, self.normal)

    def set_window(self, window: float, level: float) -> None:
        self.image_slice.GetProperty().SetColorWindow(window)
        self.image_slice.GetProperty().SetColorLevel(level)

    # --- camera -------------------------------------------------------------------------
    @property
    def normal(self) -> np.ndarray:
        return np.array(self.orientation.normal, float)

    def reset_camera(self) -> None:
        """Fit the whole volume's extent in this plane and centre it."""
        if self.volume is None:
            return
        lo, hi = self.volume.bounds()
        up = np.abs(np.array(self.orientation.view_up, float))
        right = np.abs(np.cross(self.normal, self.orientation.view_up))
        half_h = float((hi - lo) @ up) / 2
        half_w = float((hi - lo) @ right) / 2
        cam = self.renderer.GetActiveCamera()
        cam.ParallelProjectionOn()
        aspect = self._aspect()
        cam.SetParallelScale(max(half_h, half_w / aspect) * 1.05)
        centre = (lo + hi) / 2
        # keep the cursor's depth, centre the volume in the plane
        depth = (self.cursor - centre) @ self.normal
        self._place_camera(centre + depth * self.normal)

    def _aspect(self) -> float:
        w, h = self.renderer.GetSize()
        return w / h if h > 0 else 1.0

    def _place_camera(self, focal: np.ndarray) -> None:
        cam = self.renderer.GetActiveCamera()
        cam.SetFocalPoint(*focal)
        cam.SetPosition(*(focal - self.normal * CAMERA_DISTANCE))
        cam.SetViewUp(*self.orientation.view_up)
        cam.SetClippingRange(CAMERA_DISTANCE - 500, CAMERA_DISTANCE + 500)

    def set_cursor(self, cursor: np.ndarray) -> None:
        """Move the slice to the cursor's depth and the crosshair to the cursor."""
        self.cursor = np.asarray(cursor, float)
        cam = self.renderer.GetActiveCamera()
        focal = np.array(cam.GetFocalPoint())
        focal += ((self.cursor - focal) @ self.normal) * self.normal
        self._place_camera(focal)
        self._update_crosshair()
        self.overlay.update(self.cursor, self.normal)
        self._update_info()
        self.update_scale_bar()

    def _update_crosshair(self) -> None:
        if self.volume is None:
            return
        lo, hi = self.volume.bounds()
        span = float(np.linalg.norm(hi - lo)) + 10
        up = np.array(self.orientation.view_up, float)
        right = np.cross(self.normal, up)
        # lift the lines a hair toward the camera so they are never hidden by the slice
        c = self.cursor - self.normal * 0.5
        pts = self._lines.GetPoints()
        for n, p in enumerate((c - right * span, c + right * span, c - up * span,
                               c + up * span)):
            pts.SetPoint(n, *p)
        pts.Modified()
        self._lines.Modified()

    def _update_info(self) -> None:
        if self.volume is None:
            return
        depth = {"axial": ("z", 2), "coronal": ("y", 1), "sagittal": ("x", 0)}
        if self.orientation.name not in depth:
            self.info.SetInput(self.title)
            return
        name, axis = depth[self.orientation.name]
        self.info.SetInput(f"{self.title}  {name} = {self.cursor[axis]:.1f} mm")

    def update_scale_bar(self) -> None:
        """Pick a round length filling about a fifth of the view's width."""
        w, _ = self.renderer.GetSize()
        mmpp = self.mm_per_pixel()
        if w <= 0 or mmpp <= 0:
            return
        target = 0.2 * w * mmpp
        length = max((v for v in (1, 2, 5, 10, 20, 50, 100, 200, 500) if v <= target),
                     default=1)
        px = length / mmpp
        x0, y0, tick = 12.0, 14.0, 5.0
        pts = self._bar.GetPoints()
        for n, (x, y) in enumerate(((x0, y0), (x0 + px, y0), (x0, y0 + tick),
                                    (x0 + px, y0 + tick))):
            pts.SetPoint(n, x, y, 0.0)
        pts.Modified()
        self._bar.Modified()
        self.scale_label.SetInput(f"{length} mm")
        self.scale_label.GetPositionCoordinate().SetValue(x0 + px + 6, y0 - 4)

    def zoom(self, factor: float) -> None:
        cam = self.renderer.GetActiveCamera()
        cam.SetParallelScale(cam.GetParallelScale() / factor)
        self.update_scale_bar()

    def pan(self, d_world: np.ndarray) -> None:
        cam = self.renderer.GetActiveCamera()
        focal = np.array(cam.GetFocalPoint()) - d_world
        self._place_camera(focal)

    # --- picking ------------------------------------------------------------------------
    def display_to_world(self, x: float, y: float) -> np.ndarray:
        """LPS point on the current slice plane under display pixel (x, y from bottom)."""
        r = self.renderer
        r.SetDisplayPoint(float(x), float(y), 0.0)
        r.DisplayToWorld()
        wx, wy, wz, w = r.GetWorldPoint()
        p = np.array([wx, wy, wz]) / (w if w else 1.0)
        focal = np.array(r.GetActiveCamera().GetFocalPoint())
        return p - ((p - focal) @ self.normal) * self.normal

    def world_to_display(self, p: np.ndarray) -> tuple[float, float]:
        return world_to_display(self.renderer, p)

    def mm_per_pixel(self) -> float:
        _, h = self.renderer.GetSize()
        return 2.0 * self.renderer.GetActiveCamera().GetParallelScale() / max(h, 1)
