"""A known LPS point appears where it should in every slice view, for identity, permuted
and oblique volumes (VTK ignores direction matrices unless they are handled)."""

import numpy as np
import pytest

from planner.render.slice_scene import ORIENTATIONS, SliceScene
from planner.render.vtk_util import read_pixels
from tests.conftest import blob_volume, oblique_affine, permuted_affine
from tests.render.conftest import SIZE


def _grey_bright(rgb):
    """Bright grey image pixels (the yellow annotations have little blue)."""
    return (rgb[..., 0] > 128) & (rgb[..., 2] > 128)


@pytest.mark.parametrize("affine", [np.diag([1.0, 1.0, 1.5, 1.0]), permuted_affine(),
                                    oblique_affine()], ids=["identity", "permuted", "oblique"])
@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_known_point_lands_on_its_pixel(render_window, affine, orientation):
    vol, centre = blob_volume(affine)
    scene = SliceScene(orientation)
    render_window.AddRenderer(scene.renderer)
    scene.set_volume(vol)
    scene.set_window(2000, 0)
    scene.set_cursor(centre)
    scene.crosshair.VisibilityOff()
    render_window.Render()
    ys, xs = np.nonzero(_grey_bright(read_pixels(render_window)))
    assert len(xs) > 4, "the ball is not on the slice through its centre"
    x_exp, y_exp = scene.world_to_display(centre)
    assert xs.mean() == pytest.approx(x_exp, abs=1.5)
    assert ys.mean() == pytest.approx(SIZE - 1 - y_exp, abs=1.5)
    # moving the slice 10 mm away along the view normal leaves the ball behind
    scene.set_cursor(centre + scene.normal * 10)
    render_window.Render()
    assert np.count_nonzero(_grey_bright(read_pixels(render_window))) == 0


def test_radiological_screen_directions(render_window):
    """Axial/coronal: patient left on screen right; sagittal: anterior on screen left."""
    vol, centre = blob_volume(np.eye(4))
    expectations = {"axial": ([1, 0, 0], "right"), "coronal": ([1, 0, 0], "right"),
                    "sagittal": ([0, -1, 0], "left")}
    for name, (direction, side) in expectations.items():
        scene = SliceScene(name)
        render_window.AddRenderer(scene.renderer)
        scene.set_volume(vol)
        scene.set_cursor(centre)
        x0, _ = scene.world_to_display(centre)
        x1, _ = scene.world_to_display(centre + np.array(direction) * 5)
        assert (x1 > x0) == (side == "right"), name
        assert scene.orientation.letters[1 if side == "right" else 0] in "LA"
        render_window.RemoveRenderer(scene.renderer)
