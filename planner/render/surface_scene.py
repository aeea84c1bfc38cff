"""3-D view content: the bone surface (fast on software OpenGL) and the cursor marker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from planner.render import vtk_api as vtk

from planner.render.plan_overlay import NeedleTubes
from planner.render.vtk_util import array_to_image, matrix_to_vtk

BONE_THRESHOLD_HU = 160.0
SMOOTH_SIGMA_VOXELS = 0.7   # closes pin-holes in thin, noisy cortex before the iso-surface
MAX_SURFACE_VOXELS = 6_000_000
MAX_SURFACE_POLYS = 25_000          # a few vertebrae (the sample case)
MAX_SURFACE_POLYS_LARGE = 60_000    # a whole chest or abdomen keeps its shape
INTERACTIVE_POLYS = 8_000           # drawn while something is dragged (about 5 ms less)
FOCUS_DISTANCE_MM = 380.0


@dataclass(frozen=True)
class BoneSurface:
    """The bone iso-surface in index space, and a lighter copy drawn during drags."""
    full: vtk.vtkPolyData
    light: vtk.vtkPolyData


def bone_surface(volume, threshold: float = BONE_THRESHOLD_HU) -> BoneSurface:
    """Closed iso-surface of bone in index space (apply the volume's affine on the actor).

    The volume is padded with air, so bone cut by the scan's edges is capped and the
    surface is closed: the view culls back faces (a third of the frame on software
    OpenGL) without showing holes. Large volumes are block-averaged first so the surface
    stays light; safe to call off the GUI thread (no rendering involved)."""
    arr = volume.array
    step = 1
    while arr[::step, ::step, ::step].size > MAX_SURFACE_VOXELS:
        step += 1
    if step > 1:
        k, j, i = (s // step * step for s in arr.shape)
        arr = arr[:k, :j, :i].reshape(k // step, step, j // step, step, i // step, step)
        arr = arr.mean(axis=(1, 3, 5), dtype=np.float32)
    from scipy.ndimage import gaussian_filter

    air = min(float(arr.min()), threshold - 1000.0)
    padded = np.pad(arr.astype(np.float32), 2, constant_values=air)
    img = array_to_image(gaussian_filter(padded, SMOOTH_SIGMA_VOXELS, mode="nearest"))
    img.SetSpacing(step, step, step)
    origin = (step - 1) / 2.0 - 2 * step
    img.SetOrigin(origin, origin, origin)
    fe = vtk.vtkFlyingEdges3D()
    fe.SetInputData(img)
    fe.SetValue(0, threshold)
    fe.ComputeNormalsOn()
    fe.Update()
    surface = fe.GetOutput()
    n = surface.GetNumberOfPolys()
    # software OpenGL spends its time per vertex: a lighter mesh keeps the 3-D view
    # interactive while a needle is dragged (about 8 ms at 25k triangles instead of 18 at 86k)
    full = _decimated(surface, int(np.clip(n // 5, MAX_SURFACE_POLYS, MAX_SURFACE_POLYS_LARGE)))
    light = _decimated(full, INTERACTIVE_POLYS)
    if np.linalg.det(volume.affine[:3, :3]) < 0:
        full, light = _reversed_winding(full), _reversed_winding(light)
    return BoneSurface(full, light)


def _reversed_winding(surface: vtk.vtkPolyData) -> vtk.vtkPolyData:
    """A mirroring index->LPS affine (NIfTI stored L-A-S, for one) reverses the triangles'
    winding on the actor: OpenGL would take the outside for the back (culled, or darkened
    by two-sided lighting). The normals transform correctly; only the winding is reversed."""
    rev = vtk.vtkReverseSense()
    rev.SetInputData(surface)
    rev.ReverseCellsOn()
    rev.ReverseNormalsOff()
    rev.Update()
    out = vtk.vtkPolyData()
    out.ShallowCopy(rev.GetOutput())
    return out


def _decimated(surface: vtk.vtkPolyData, polys: int) -> vtk.vtkPolyData:
    """At most about ``polys`` triangles, smooth normals recomputed (winding kept)."""
    n = surface.GetNumberOfPolys()
    if n <= polys:
        out = vtk.vtkPolyData()
        out.ShallowCopy(surface)
        return out
    dec = vtk.vtkQuadricDecimation()
    dec.SetInputData(surface)
    dec.SetTargetReduction(1.0 - polys / n)
    dec.Update()
    normals = vtk.vtkPolyDataNormals()
    normals.SetInputConnection(dec.GetOutputPort())
    normals.SplittingOff()
    normals.ConsistencyOff()
    normals.AutoOrientNormalsOff()
    normals.Update()
    out = vtk.vtkPolyData()
    out.ShallowCopy(normals.GetOutput())
    return out


class SurfaceScene:
    def __init__(self) -> None:
        self.renderer = vtk.vtkRenderer()
        self.renderer.SetBackground(0.08, 0.09, 0.12)
        self.mapper = vtk.vtkPolyDataMapper()
        self.mapper.ScalarVisibilityOff()
        self.actor = vtk.vtkActor()
        self.actor.SetMapper(self.mapper)
        prop = self.actor.GetProperty()
        prop.SetColor(0.93, 0.89, 0.80)
        prop.SetSpecular(0.0)      # specular highlights cost half the frame on llvmpipe
        prop.BackfaceCullingOn()   # the surface is closed: its back faces are never seen
        self.surface: BoneSurface | None = None
        sphere = vtk.vtkSphereSource()
        sphere.SetRadius(2.5)
        sm = vtk.vtkPolyDataMapper()
        sm.SetInputConnection(sphere.GetOutputPort())
        self.marker = vtk.vtkActor()
        self.marker.SetMapper(sm)
        self.marker.GetProperty().SetColor(0.1, 0.85, 0.3)
        self.label = vtk.vtkTextActor()
        self.set_banner("")
        self.label.GetTextProperty().SetFontSize(12)
        self.label.GetTextProperty().SetColor(1.0, 0.85, 0.2)
        self.label.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self.label.GetTextProperty().SetVerticalJustificationToTop()
        self.label.GetPositionCoordinate().SetValue(0.01, 0.99)
        self.renderer.AddViewProp(self.label)
        self.orientation_axes: vtk.vtkOrientationMarkerWidget | None = None
        self.needles = NeedleTubes(self.renderer)

    def set_banner(self, text: str) -> None:
        self.label.SetInput(f"{text}\n3D  (bone surface, posterior view)" if text else
                            "3D  (bone surface, posterior view)")

    def set_surface(self, surface: BoneSurface, affine: np.ndarray) -> None:
        self.surface = surface
        self.mapper.SetInputData(surface.full)
        self.actor.SetUserMatrix(matrix_to_vtk(affine))
        if not self.renderer.HasViewProp(self.actor):
            self.renderer.AddActor(self.actor)
            self.renderer.AddActor(self.marker)
        self.reset_camera()

    def set_interactive(self, on: bool) -> None:
        """Draw the lighter surface while something is dragged, the full one at rest."""
        if self.surface is not None:
            self.mapper.SetInputData(self.surface.light if on else self.surface.full)

    def reset_camera(self) -> None:
        """Posterior view (the operator's side of a prone patient), head up."""
        cam = self.renderer.GetActiveCamera()
        self.renderer.ResetCamera()
        fp = np.array(cam.GetFocalPoint())
        dist = cam.GetDistance()
        cam.SetPosition(*(fp + np.array([0.0, 1.0, 0.0]) * dist))
        cam.SetViewUp(0.0, 0.0, 1.0)
        self.renderer.ResetCamera()
        self.renderer.ResetCameraClippingRange()

    def focus(self, point: np.ndarray, distance_mm: float = FOCUS_DISTANCE_MM) -> None:
        """Look at ``point`` from behind (posterior view), close enough to plan a level."""
        cam = self.renderer.GetActiveCamera()
        p = np.asarray(point, float)
        cam.SetFocalPoint(*p)
        cam.SetPosition(*(p + np.array([0.0, 1.0, 0.0]) * distance_mm))
        cam.SetViewUp(0.0, 0.0, 1.0)
        self.renderer.ResetCameraClippingRange()

    def set_cursor(self, cursor: np.ndarray) -> None:
        self.marker.SetPosition(*cursor)
