"""Random needle paths around a level's pedicles, judged by medial_wall against a
phantom's analytic canal: shared by the property tests at several voxel sizes."""

from __future__ import annotations

import numpy as np

from planner.core.checks import walls
from planner.core.checks.result import CheckSettings
from planner.core.trajectory import Trajectory


def medial_wall_vs_truth(phantom, model, lev: dict, label: str, n: int, seed: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``n`` paths from behind either pedicle into the body (gauges 11G, 13G, 8G in
    turn): the true clearance of the needle surface from the canal (negative = inside),
    the clearance the check measured, and whether the check said pass."""
    rng = np.random.default_rng(seed)
    s = CheckSettings()
    truth, measured, passed = [], [], []
    for k in range(n):
        side = ("left", "right")[k % 2]
        ped = np.array(lev["pedicles"][side]["isthmus_center"])
        entry = ped + rng.normal(0, 5, 3) - 15 * np.array(lev["axes"]["anterior"])
        target = np.array(lev["body_center"]) + rng.normal(0, 7, 3)
        traj = Trajectory(side, entry, target, ("11G", "13G", "8G")[k % 3])
        pts, _ = traj.points()
        truth.append(float((phantom.canal_sdf(pts, label) - traj.radius_mm).min()))
        res = walls.medial_wall(model, traj, s, model.uncertainty_margin_mm)
        measured.append(res.value)
        passed.append(res.verdict == "pass")
    return np.array(truth), np.array(measured, float), np.array(passed)
