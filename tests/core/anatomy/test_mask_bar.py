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
from tests.core.anatomy.mask_bar import mask_canal_clearance, surely_inside

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


def test_a_ring_closed_only_in_leaning_planes_is_measured_in_them(tmp_path):
    """A ring 4 mm thick leaning 30 degrees forward (the arch of a leaning vertebra as 3 mm
    voxels leave it): planes across the model's upright axis cut it open, so the canal is
    sought in planes leaning 10 and 20 degrees, and a needle 9 mm beside the canal's axis
    reads 3 mm less its radius from it, within half a voxel."""
    lean = np.radians(30.0)
    axis = np.array([0.0, np.sin(lean), np.cos(lean)])
    idx = np.stack(np.meshgrid(np.arange(80), np.arange(100), np.arange(40), indexing="ij"),
                   axis=-1) * VOXEL - np.array([40, 50, 20]) * VOXEL
    along = idx @ axis
    r = np.linalg.norm(idx - along[..., None] * axis, axis=-1)
    data = ((r >= CANAL_MM) & (r <= OUTER_MM) & (np.abs(along) <= 2.0)).astype(np.uint8)
    path = tmp_path / "leaning.nii.gz"
    nib.save(nib.Nifti1Image(data, np.diag([VOXEL, VOXEL, VOXEL, 1.0])), str(path))
    mask = LabelMask(path, [1])
    centre = mask.affine[:3, :3] @ [40, 50, 20] + mask.affine[:3, 3]
    frame = Frame.patient(centre + 15.0 * np.array([0.0, -1.0, 0.0]))
    side = np.array([9.0, 0.0, 0.0])
    traj = Trajectory("left", centre + side + [0, 8.0, 0], centre + side - [0, 8.0, 0])
    got = mask_canal_clearance(mask, SimpleNamespace(frame=frame), traj)
    assert got == pytest.approx(9.0 - CANAL_MM - traj.radius_mm, abs=VOXEL)
    # the model's own planes alone close no canal here
    assert mask_canal_clearance(mask, SimpleNamespace(frame=frame), traj, tilts=()) is None


def test_surely_inside_takes_no_point_within_half_a_voxel_of_the_mask_boxes(tmp_path):
    """A block of voxels 0.5 x 0.5 x 2.5 mm whose centres span z 5-15 mm (boxes 3.75-16.25
    mm): a point in the edge slice's boxes but beyond the last centres (z 4 or 16 mm) may
    be soft tissue the slice took in, not surely bone; between centres it is."""
    data = np.zeros((40, 40, 10), np.uint8)
    data[10:30, 10:30, 2:7] = 1
    path = tmp_path / "block.nii.gz"
    nib.save(nib.Nifti1Image(data, np.diag([0.5, 0.5, 2.5, 1.0])), str(path))
    mask = LabelMask(path, [1])
    lps = mask.affine[:3, :3] @ [20, 20, 0] + mask.affine[:3, 3]
    z = mask.affine[:3, :3] @ [0, 0, 1] / 2.5        # a unit step along the slices' axis
    for height, sure in ((4.0, False), (5.5, True), (10.0, True), (14.5, True),
                         (16.0, False), (17.0, False)):
        point = lps + height * z
        assert mask.contains(point[None])[0] == (3.75 <= height <= 16.25)
        assert surely_inside(mask, point) is sure
