"""The 3-D bone surface: placed in LPS, lit on the viewer's side, closed where the scan
cuts bone (so culling back faces changes nothing), and a lighter copy for drags."""

import numpy as np
import pytest
import vtk

from planner.core.volume import Volume
from planner.render.surface_scene import INTERACTIVE_POLYS, SurfaceScene, bone_surface
from planner.render.vtk_util import read_pixels
from tests.conftest import blob_volume, oblique_affine, permuted_affine


def _boundary_edges(polydata) -> int:
    fe = vtk.vtkFeatureEdges()
    fe.SetInputData(polydata)
    fe.BoundaryEdgesOn()
    fe.FeatureEdgesOff()
    fe.ManifoldEdgesOff()
    fe.NonManifoldEdgesOff()
    fe.Update()
    return fe.GetOutput().GetNumberOfCells()


def _cut_bone(affine: np.ndarray) -> Volume:
    """A rough bone column running out of the scan at the top and bottom and touching
    one side wall, with a hole through it: many triangles, open without capping."""
    rng = np.random.default_rng(3)
    k, j, i = np.indices((40, 48, 56))
    arr = np.full(k.shape, -900.0)
    column = (j - 24) ** 2 + (i - 14) ** 2 <= 14 ** 2 + 6 * np.sin(k / 3.0)
    arr[column] = 700.0
    arr[(j - 24) ** 2 + (k - 20) ** 2 <= 16] = -900.0          # a tunnel through it
    arr += rng.normal(0, 60, arr.shape)
    return Volume(arr.astype(np.int16), affine)


@pytest.mark.parametrize("affine", [permuted_affine(), oblique_affine()],
                         ids=["permuted", "oblique"])
def test_bone_surface_sits_at_the_lps_point(affine):
    """The 3-D surface is built in index space; the actor's matrix must put it in LPS."""
    vol, centre = blob_volume(affine, radius_mm=4.0)
    scene = SurfaceScene()
    scene.set_surface(bone_surface(vol), vol.affine)
    b = np.array(scene.actor.GetBounds()).reshape(3, 2)
    assert np.allclose(b.mean(axis=1), centre, atol=0.6)
    assert np.all(b[:, 1] - b[:, 0] < 2 * 4.0 + 2 * vol.spacing.max() + 1.0)  # voxelised ball


@pytest.mark.parametrize("mirror", [False, True], ids=["proper", "mirrored"])
def test_bone_surface_is_lit_from_the_viewer_side(render_window, mirror):
    """A mirroring affine (a NIfTI stored L-A-S) must not turn the lit side of the surface
    inward: the ball facing the camera renders bright, not dark (or culled away)."""
    affine = np.diag([-1.0 if mirror else 1.0, 1.0, 1.0, 1.0])
    vol, centre = blob_volume(affine, radius_mm=6.0)
    assert (np.linalg.det(vol.affine[:3, :3]) < 0) == mirror
    scene = SurfaceScene()
    scene.set_surface(bone_surface(vol), vol.affine)
    scene.focus(centre, 60.0)
    render_window.AddRenderer(scene.renderer)
    render_window.Render()
    rgb = read_pixels(render_window).astype(int)
    h, w, _ = rgb.shape
    centre_px = rgb[h // 2 - 3:h // 2 + 4, w // 2 - 3:w // 2 + 4]
    assert centre_px.mean() > 150, centre_px.mean()        # lit bone, not a dark back


@pytest.mark.parametrize("mirror", [False, True], ids=["proper", "mirrored"])
def test_bone_cut_by_the_scan_is_capped(mirror):
    vol = _cut_bone(np.diag([-0.8 if mirror else 0.8, 0.8, 1.2, 1.0]))
    surface = bone_surface(vol)
    assert surface.full.GetNumberOfPolys() > INTERACTIVE_POLYS
    for pd in (surface.full, surface.light):
        assert _boundary_edges(pd) == 0
    # capped at the scan's edge, not beyond it: index bounds within a voxel of the array
    b = np.array(surface.full.GetBounds()).reshape(3, 2)
    shape_ijk = np.array(vol.array.shape[::-1])
    assert np.all(b[:, 0] >= -1.0) and np.all(b[:, 1] <= shape_ijk)
    assert b[2, 0] < 0.5 and b[2, 1] > shape_ijk[2] - 1.5     # runs out top and bottom


@pytest.mark.parametrize("mirror", [False, True], ids=["proper", "mirrored"])
@pytest.mark.parametrize("light", [False, True], ids=["full", "light"])
def test_culling_back_faces_changes_no_pixel(render_window, mirror, light):
    """Back faces are culled for speed; on a closed, outward-wound surface that must look
    exactly like drawing them, from any side."""
    vol = _cut_bone(np.diag([-0.8 if mirror else 0.8, 0.8, 1.2, 1.0]))
    scene = SurfaceScene()
    scene.set_surface(bone_surface(vol), vol.affine)
    scene.set_interactive(light)
    assert scene.mapper.GetInput().GetNumberOfPolys() <= (
        INTERACTIVE_POLYS * 1.05 if light else np.inf)
    scene.marker.VisibilityOff()
    scene.label.VisibilityOff()
    render_window.AddRenderer(scene.renderer)
    centre = vol.index_to_world((np.array(vol.array.shape[::-1]) - 1) / 2)
    for direction in ([0, 1, 0], [1, -0.3, 0.2], [0, 0.2, 1]):      # incl. the cut top
        cam = scene.renderer.GetActiveCamera()
        d = np.asarray(direction, float) / np.linalg.norm(direction)
        cam.SetFocalPoint(*centre)
        cam.SetPosition(*(centre + 150 * d))
        cam.SetViewUp(*((0, 0, 1) if abs(d[2]) < 0.9 else (0, -1, 0)))
        scene.renderer.ResetCameraClippingRange()
        images = []
        for cull in (True, False):
            scene.actor.GetProperty().SetBackfaceCulling(cull)
            render_window.Render()
            images.append(read_pixels(render_window).astype(int))
        bone = (images[1] - np.array([20, 23, 31])).max(axis=-1) > 30
        assert bone.mean() > 0.05, "the bone is not in view"
        differs = np.abs(images[0] - images[1]).max(axis=-1) > 24
        assert differs.mean() < 0.002, (direction, differs.mean())
