"""3-D view content: the bone surface (fast on software OpenGL) and the cursor marker."""

from __future__ import annotations

import numpy as np
from planner.render import vtk_api as vtk

from planner.render.plan_overlay import NeedleTubes
from planner.render.vtk_util import array_to_image, matrix_to_vtk

BONE_THRESHOLD_HU = 160.0
SMOOTH_SIGMA_VOXELS = 0.7   # closes pin-holes in thin, noisy cortex before the iso-surface
MAX_SURFACE_VOXELS = 6_000_000
MAX_SURFACE_POLYS = 25_000          # a few vertebrae (the sample case)
MAX_SURFACE_POLYS_LARGE = 60_000    # a whole chest or abdomen keeps its shape
FOCUS_DISTANCE_MM = 380.0


def bone_surface(volume, threshold: float = BONE_THRESHOLD_HU) -> vtk.vtkPolyData:
    """Iso-surface of bone in index space (apply the volume's affine on the actor).

    Large volumes are block-averaged first so the surface stays light; safe to call off the
    GUI thread (no rendering involved)."""
    arr = volume.array
    step = 1
    while arr[::step, ::step, ::step].size > MAX_SURFACE_VOXELS:
        step += 1
    if step > 1:
        k, j, i = (s // step * step for s in arr.shape)
        arr = arr[:k, :j, :i].reshape(k // step, step, j // step, step, i // step, step)
        arr = arr.mean(axis=(1, 3, 5), dtype=np.float32)
    from scipy.ndimage import gaussian_filter

    img = array_to_image(gaussian_filter(arr.astype(np.float32), SMOOTH_SIGMA_VOXELS))
    img.SetSpacing(step, step, step)
    origin = (step - 1) / 2.0
    img.SetOrigin(origin, origin, origin)
    fe = vtk.vtkFlyingEdges3D()
    fe.SetInputData(img)
    fe.SetValue(0, threshold)
    fe.ComputeNormalsOn()
    fe.Update()
    surface = fe.GetOutput()
    n = surface.GetNumberOfPolys()
    cap = int(np.clip(n // 5, MAX_SURFACE_POLYS, MAX_SURFACE_POLYS_LARGE))
    if n > cap:
        # software OpenGL spends its time per vertex: a lighter mesh keeps the 3-D view
        # interactive while a needle is dragged (about 8 ms at 25k triangles instead of 18 at 86k)
        dec = vtk.vtkQuadricDecimation()
        dec.SetInputData(surface)
        dec.SetTargetReduction(1.0 - cap / n)
        dec.Update()
        normals = vtk.vtkPolyDataNormals()
        normals.SetInputConnection(dec.GetOutputPort())
        normals.SplittingOff()
        normals.Update()
        surface = normals.GetOutput()
    if np.linalg.det(volume.affine[:3, :3]) < 0:
        # a mirroring index->LPS affine (NIfTI stored L-A-S, for one) reverses the
        # triangles' winding on the actor: OpenGL then takes the outside for the back
        # and two-sided lighting darkens it. The normals transform correctly; only the
        # winding is reversed here.
        rev = vtk.vtkReverseSense()
        rev.SetInputData(surface)
        rev.ReverseCellsOn()
        rev.ReverseNormalsOff()
        rev.Update()
        surface = rev.GetOutput()
    out = vtk.vtkPolyData()
    out.ShallowCopy(surface)
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

    def set_surface(self, polydata: vtk.vtkPolyData, affine: np.ndarray) -> None:
        self.mapper.SetInputData(polydata)
        self.actor.SetUserMatrix(matrix_to_vtk(affine))
        if not self.renderer.HasViewProp(self.actor):
            self.renderer.AddActor(self.actor)
            self.renderer.AddActor(self.marker)
        self.reset_camera()

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
