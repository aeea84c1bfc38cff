"""The suggested plan: transpedicular trajectories for one level."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.core.checks import walls
from planner.core.checks.result import PASS, CheckSettings
from planner.core.checks.views import CLOCK_TARGET
from planner.core.trajectory import GAUGES_BY_SIZE, Trajectory

BONE_END_HU = 150.0
ENTRY_RADIUS_FRACTION = 0.35  # entry this far out toward the pedicle's rim on the AP view


@dataclass
class SuggestedPlan:
    trajectories: list[Trajectory]
    warnings: list[str] = field(default_factory=list)


def _tip(model, lateral_mm: float, s: CheckSettings) -> np.ndarray:
    """Tip at mid-height, ``lateral_mm`` left of the midline, the target distance behind
    the anterior cortex on the lateral view."""
    f = model.frame
    p = f.origin + lateral_mm * f.left
    reach = model.body_stack.extent(0.0, f.anterior)
    return p + (reach - s.anterior_target_mm - (p - f.origin) @ f.anterior) * f.anterior


def _entry(volume, start: np.ndarray, back: np.ndarray, max_mm: float = 35.0) -> np.ndarray:
    """Where a line leaves bone going back from ``start``: the posterior surface."""
    s = np.arange(0.0, max_mm, 0.5)
    hu = volume.sample(start + s[:, None] * back)
    soft = np.nan_to_num(hu, nan=-1000.0) < BONE_END_HU
    for k in range(len(s) - 4):
        if soft[k:k + 4].all():
            return start + s[max(k - 1, 0)] * back
    return start + s[-1] * back


def entry_at_clock(volume, model, side: str, hour: float) -> np.ndarray:
    """Entry on the posterior bony surface, seen on the AP view at ``hour`` on the clock
    face of the pedicle (12 cranial, clockwise with the patient's left on the viewer's
    left), part of the way from the isthmus centre to the outline's rim."""
    ped = model.pedicles[side]
    f = model.frame
    theta = np.radians(30.0 * hour)
    toward = -np.sin(theta) * f.left + np.cos(theta) * f.cranial
    rim = float(((ped.outline - ped.isthmus) @ toward).max())
    q = ped.isthmus + ENTRY_RADIUS_FRACTION * rim * toward
    return _entry(volume, q, -f.anterior)


def _through_pedicle(volume, model, side: str, tip: np.ndarray, gauge: str,
                     approach: str) -> Trajectory:
    """Entry seen at 10:00 (left) or 2:00 (right) on the pedicle in the AP view, on the
    posterior bony surface; the needle runs from there to the tip."""
    entry = entry_at_clock(volume, model, side, CLOCK_TARGET[side])
    return Trajectory(side, entry, tip, gauge, approach)


def _fitting_gauge(model, traj: Trajectory, s: CheckSettings, start: str) -> str:
    """The largest gauge, from ``start`` down, that leaves bone on both sides."""
    sizes = GAUGES_BY_SIZE[GAUGES_BY_SIZE.index(start):]
    for g in sizes:
        t = Trajectory(traj.side, traj.entry, traj.target, g, traj.approach)
        if walls.pedicle_fit(model, t, s, model.uncertainty_margin_mm).verdict == PASS:
            return g
    return sizes[-1]


def suggest_plan(volume, model, gauge: str = "11G", approach: str = "bipedicular",
                 settings: CheckSettings | None = None) -> SuggestedPlan:
    s = settings or CheckSettings()
    plan = SuggestedPlan([])
    sides = [k for k in ("left", "right") if k in model.pedicles]
    for k in ("left", "right"):
        if k not in model.pedicles:
            plan.warnings.append(f"no {k} trajectory: {model.missing.get(f'{k}_pedicle')}")
    if not sides:
        return plan
    if approach == "unipedicular":
        side = max(sides, key=lambda k: model.pedicles[k].width_mm)
        traj = _through_pedicle(volume, model, side, _tip(model, 0.0, s), gauge, approach)
        clearance = walls.canal_clearance(model, traj)
        if clearance is None or clearance[0] < s.medial_pass_mm + model.uncertainty_margin_mm:
            plan.warnings.append(f"the {side} pedicle cannot reach the midline safely: a "
                                 "bipedicular approach is advised")
        trajs = [traj]
    else:
        offset = float(np.mean(s.target_offset_mm))
        trajs = [_through_pedicle(volume, model, k, _tip(model, offset if k == "left" else
                                                         -offset, s), gauge, approach)
                 for k in sides]
    for n, t in enumerate(trajs):
        g = _fitting_gauge(model, t, s, gauge)
        if g != gauge:
            plan.warnings.append(f"{t.side} pedicle too narrow for {gauge} with "
                                 f"{s.pedicle_bone_per_side_mm:.0f} mm of bone per side: "
                                 f"{g} suggested")
            trajs[n] = Trajectory(t.side, t.entry, t.target, g, t.approach)
    plan.trajectories = trajs
    return plan
