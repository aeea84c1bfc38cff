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
