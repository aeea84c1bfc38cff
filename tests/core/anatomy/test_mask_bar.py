"""The bar's own measure of the needle's distance from the canal (mask_bar), on a ring of
known radii: the real-data tests trust it as ground truth, so it is held to the geometry."""

from __future__ import annotations

from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pytest

from planner.core.anatomy.frame import Frame
from planner.core.trajectory import Trajectory
from planner.io.label_mask import LabelMask
from tests.core.anatomy.mask_bar import mask_canal_clearance

CANAL_MM, OUTER_MM, VOXEL = 6.0, 15.0, 0.5


def _ring(tmp_path, gap_mm: float) -> tuple[LabelMask, np.ndarray]:
    """A vertebral ring 20 mm tall round a canal 6 mm in radius (voxel centres 6-15 mm
    from the axis), broken on one side by a gap ``gap_mm`` wide (a mask drawn with the
    ring open, as thick slices leave it); and the canal's centre in LPS."""
    i, j, _ = np.meshgrid(np.arange(80), np.arange(100), np.arange(40), indexing="ij")
    r = np.hypot(i - 40, j - 50) * VOXEL
    data = ((r >= CANAL_MM) & (r <= OUTER_MM)).astype(np.uint8)
    data[(np.abs(j - 50) * VOXEL < gap_mm / 2) & (i > 40)] = 0
    path = tmp_path / "ring.nii.gz"
    nib.save(nib.Nifti1Image(data, np.diag([VOXEL, VOXEL, VOXEL, 1.0])), str(path))
    mask = LabelMask(path, [1])
    return mask, mask.affine[:3, :3] @ [40, 50, 20] + mask.affine[:3, 3]


@pytest.mark.parametrize("gap_mm", [0.0, 1.5])
@pytest.mark.parametrize("offset_mm", [9.0, 7.5, 4.0])
def test_clearance_from_the_canal_the_mask_encloses(tmp_path, gap_mm, offset_mm):
    """A needle running front to back ``offset_mm`` beside the canal's axis is that less
    the canal's radius and its own from the canal, within half a voxel (the ring closed
    across a 1.5 mm gap alike); a needle in the canal reads no more than minus its
    radius."""
    mask, centre = _ring(tmp_path, gap_mm)
    frame = Frame.patient(centre + 15.0 * np.array([0.0, -1.0, 0.0]))
    side = np.array([offset_mm, 0.0, 0.0])
    traj = Trajectory("left", centre + side + [0, 10.0, 0], centre + side - [0, 10.0, 0])
    got = mask_canal_clearance(mask, SimpleNamespace(frame=frame), traj)
    if offset_mm < CANAL_MM:
        assert got <= -traj.radius_mm
    else:
        assert got == pytest.approx(offset_mm - CANAL_MM - traj.radius_mm, abs=VOXEL)


def test_no_closed_canal_is_unknown(tmp_path):
    """A ring open by 10 mm closes no canal: unknown, never a clearance."""
    mask, centre = _ring(tmp_path, 10.0)
    frame = Frame.patient(centre + 15.0 * np.array([0.0, -1.0, 0.0]))
    side = np.array([9.0, 0.0, 0.0])
    traj = Trajectory("left", centre + side + [0, 10.0, 0], centre + side - [0, 10.0, 0])
    assert mask_canal_clearance(mask, SimpleNamespace(frame=frame), traj) is None
