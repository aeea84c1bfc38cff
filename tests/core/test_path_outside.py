"""The needle's way outside the vertebra: the skin is where the body ends, not the first
air met (lung is air-like too), so lung on the way is seen."""

import numpy as np
import pytest

from planner.core.checks import path
from planner.core.trajectory import Trajectory
from planner.core.volume import Volume


def _body_with_lung(lung_hu: float) -> Volume:
    """Soft tissue from y = -40 to +60 mm (1 mm voxels), air outside; a 25 mm lung pocket
    from y = 20 to 45 on the needle's way back from its entry at y = 0."""
    arr = np.full((40, 140, 40), -1000.0, np.float32)           # k, j, i; y = j - 60
    arr[:, 20:120, :] = 40.0
    arr[:, 80:105, :] = lung_hu
    aff = np.eye(4)
    aff[:3, 3] = [-20.0, -60.0, -20.0]
    return Volume(arr.astype(np.int16), aff)


def test_lung_on_the_way_is_not_the_skin():
    traj = Trajectory("left", np.array([0.0, 0.0, 0.0]), np.array([0.0, -30.0, 0.0]), "11G")
    skin = path.skin_entry(_body_with_lung(-850.0), traj)
    assert skin["point"][1] == pytest.approx(59.0, abs=1.5)         # the back's surface
    assert skin["skin_to_tip_mm"] == pytest.approx(89.0, abs=1.5)
    lung = path.lung_and_ribs(traj, skin)
    assert lung.verdict == "fail"
    assert lung.value == pytest.approx(25.0, abs=2.0)


def test_air_outside_is_the_skin():
    traj = Trajectory("left", np.array([0.0, 0.0, 0.0]), np.array([0.0, -30.0, 0.0]), "11G")
    vol = _body_with_lung(40.0)                                     # no lung: all tissue
    skin = path.skin_entry(vol, traj)
    assert skin["point"][1] == pytest.approx(59.0, abs=1.5)
    assert path.lung_and_ribs(traj, skin).verdict == "pass"


def test_clothes_behind_the_skin_are_not_a_chest_wall():
    """A 4 mm gap of pad-like density and a 3 mm blanket behind the back: the skin stays
    at the body's surface, and the gap is not counted as lung."""
    arr = np.full((40, 140, 40), -1000.0, np.float32)
    arr[:, 20:120, :] = 40.0
    arr[:, 120:124, :] = -700.0
    arr[:, 124:127, :] = 0.0
    aff = np.eye(4)
    aff[:3, 3] = [-20.0, -60.0, -20.0]
    vol = Volume(arr.astype(np.int16), aff)
    traj = Trajectory("left", np.array([0.0, 0.0, 0.0]), np.array([0.0, -30.0, 0.0]), "11G")
    skin = path.skin_entry(vol, traj)
    assert skin["point"][1] == pytest.approx(59.0, abs=1.5)
    assert path.lung_and_ribs(traj, skin).verdict == "pass"


class _BodyInFront:
    """The body's outline as the fat check reads it: everything in front of y = -20."""

    def outside_body(self, p):
        return np.atleast_2d(p)[:, 1] > -20.0


def _pedicle_then_gap(gap_mm: float, gap_hu: float) -> Volume:
    """Bone (300 HU) from the entry at y = 0 forward, a gap of ``gap_mm`` of ``gap_hu``
    starting 5 mm in, then bone again to the body at y = -20 (0.5 mm voxels)."""
    arr = np.full((20, 120, 20), 40.0, np.float32)                 # k, j, i; y = j/2 - 40
    y = np.arange(120) * 0.5 - 40.0
    arr[:, (y <= 0.0) & (y >= -40.0), :] = 300.0
    arr[:, (y < -5.0) & (y > -5.0 - gap_mm), :] = gap_hu
    aff = np.diag([0.5, 0.5, 0.5, 1.0])
    aff[:3, 3] = [-5.0, -40.0, -5.0]
    return Volume(arr.astype(np.int16), aff)


@pytest.mark.parametrize("gap_mm,gap_hu,verdict", [
    (6.0, -90.0, "fail"),     # fat: the needle has left the bone
    (4.0, -90.0, "fail"),
    (2.5, -90.0, "pass"),     # under the 3.5 mm run: a fat-rich pocket of marrow
    (6.0, 40.0, "pass"),      # muscle-dense: osteoporotic marrow reads as much
    (6.0, -10.0, "pass"),
])
def test_fat_between_the_entry_and_the_body_fails(gap_mm, gap_hu, verdict):
    traj = Trajectory("left", np.array([0.0, 0.0, 0.0]), np.array([0.0, -30.0, 0.0]), "11G")
    res = path.fat_before_body(_pedicle_then_gap(gap_mm, gap_hu), _BodyInFront(), traj)
    assert res.verdict == verdict
    if gap_hu < path.FAT_HU:
        assert res.value == pytest.approx(gap_mm, abs=1.0)


def test_soft_tissue_before_the_first_bone_is_not_counted():
    """An entry dragged 8 mm behind the bone, through fat, to bone with no gap: the fat
    lies behind the vertebra, not in it."""
    vol = _pedicle_then_gap(0.0, -90.0)
    arr = vol.array.copy()
    arr[:, 80:96, :] = -90                                         # y = 0 to 8 mm: fat
    vol = Volume(arr, vol.affine)
    traj = Trajectory("left", np.array([0.0, 8.0, 0.0]), np.array([0.0, -30.0, 0.0]), "11G")
    assert path.fat_before_body(vol, _BodyInFront(), traj).verdict == "pass"
