"""Label masks: the signed depth against a box of voxels of known extent."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from planner.io.label_mask import LabelMask


@pytest.fixture
def box(tmp_path):
    """Voxels 10..19 x 10..19 x 4..7 labelled 3 on 0.5 x 0.5 x 2.5 mm voxels: in LPS the
    labelled boxes span x, y in [-9.75, -4.75] mm (RAS axes flipped) and z in [8.75, 18.75]."""
    data = np.zeros((30, 30, 12), np.uint8)
    data[10:20, 10:20, 4:8] = 3
    path = tmp_path / "box.nii.gz"
    nib.save(nib.Nifti1Image(data, np.diag([0.5, 0.5, 2.5, 1.0])), str(path))
    return LabelMask(path, [3])


def test_depth_is_to_the_voxel_boxes_not_their_centres(box):
    centre = np.array([-7.25, -7.25, 13.75])
    up = centre + [0, 0, 4.0]                      # 1.0 mm below the top face
    out = centre + [0, 0, 6.0]                     # 1.0 mm above it
    side = centre + [2.0, 0, 0]                    # 0.5 mm inside the face at x = -4.75
    d = box.depth(np.array([centre, up, out, side]))
    assert d[0] == pytest.approx(2.5)              # nearest faces: x and y, 2.5 mm away
    assert d[1] == pytest.approx(1.0)
    assert d[2] == pytest.approx(-1.0)
    assert d[3] == pytest.approx(0.5)
    # the centres of the surface voxels lie 1.25 mm inside the top face: the old distance
    # read 0.25 mm where the box gives 1.0 (and does not say outside from inside)
    assert box.surface_distance(up[None])[0] == pytest.approx(0.25)
    assert box.surface_distance(out[None])[0] > 0


def test_depth_is_clipped_at_its_reach(box):
    far = np.array([[100.0, 100.0, 100.0]])
    assert box.depth(far, reach_mm=3.0)[0] == -3.0
