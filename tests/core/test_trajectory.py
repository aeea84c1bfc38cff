"""Needle angles in the vertebra's frame, against constructed directions."""

import numpy as np
import pytest

from planner.core.anatomy.frame import Frame
from planner.core.trajectory import Trajectory, needle_angles


def _rot(axis, deg):
    a = np.radians(deg)
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(a) * K + (1 - np.cos(a)) * K @ K


@pytest.mark.parametrize("spin", [0.0, 17.0, -35.0])
@pytest.mark.parametrize("side, medial, caudal", [("left", 15.0, 10.0),
                                                  ("right", 12.0, -5.0),
                                                  ("left", -4.0, 0.0)])
def test_angles_in_a_rotated_frame(spin, side, medial, caudal):
    R = _rot([1.0, 2.0, 0.5], spin)
    frame = Frame.from_axes(np.array([5.0, -3.0, 40.0]), R @ [0, -1.0, 0], R @ [0, 0, 1.0])
    toward_midline = -frame.left if side == "left" else frame.left
    m, c = np.radians(medial), np.radians(caudal)
    # a direction with tan(medial) = midline/anterior and tan(caudal) = -cranial/anterior
    d = frame.anterior + np.tan(m) * toward_midline - np.tan(c) * frame.cranial
    entry = frame.origin - 40 * frame.anterior
    traj = Trajectory(side, entry, entry + 45 * d / np.linalg.norm(d))
    got = needle_angles(frame, traj)
    assert got["medial_deg"] == pytest.approx(medial, abs=1e-6)
    assert got["craniocaudal_deg"] == pytest.approx(caudal, abs=1e-6)
