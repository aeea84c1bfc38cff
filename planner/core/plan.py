"""The suggested plan for one level: transpedicular (bipedicular or unipedicular) or
parapedicular trajectories."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.core.anatomy.model import posterior_wall_depth
from planner.core.checks import walls
from planner.core.checks.judge import judge
from planner.core.checks.result import FAIL, PASS, SEVERITY, CheckSettings
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


def _into_body(model, start: np.ndarray, tip: np.ndarray, max_mm: float = 20.0
               ) -> np.ndarray:
    """Where the line from ``start`` toward ``tip`` enters the model's vertebral body: a
    parapedicular needle enters bone there. Never walked back: the way to the entry may
    cross the rib head, and that must stay before the entry, where its check looks."""
    d = (tip - start) / np.linalg.norm(tip - start)
    s = np.arange(0.0, max_mm, 0.25)
    inside = np.nonzero(model.body_signed_distance(start + s[:, None] * d) <= 0.0)[0]
    return start + (s[inside[0]] if len(inside) else 0.0) * d


def _beside_pedicle(volume, model, side: str, tip: np.ndarray, gauge: str,
                    s: CheckSettings) -> tuple[Trajectory, bool]:
    """Parapedicular (CLINICAL.md): the needle runs lateral to the pedicle on purpose and
    enters bone at the posterolateral junction of the pedicle and the body, medial to the
    rib head: the pedicle's lateral rim where its axis meets the posterior wall.

    The rib's head and neck lie right there, so a few entries up and down the pedicle's
    side and tips toward the midline are tried; among the best overall verdicts the one
    with the most room at the rib head is returned, with whether it clears the rib head
    and fails no check."""
    ped = model.pedicles[side]
    f = model.frame
    wall = f.origin - posterior_wall_depth(f, model.outlines) * f.anterior
    base = ped.isthmus + ((wall - ped.isthmus) @ f.anterior) / (ped.axis @ f.anterior) * \
        ped.axis
    rel = ped.outline - ped.isthmus
    rim = float((rel @ ped.lateral).max())
    half_h = float(np.ptp(rel @ ped.up)) / 2
    midline = tip - ((tip - f.origin) @ f.left) * f.left
    best, best_key = None, None
    for h in (0.0, -0.5, 0.5, -1.0):
        junction = base + rim * ped.lateral + h * half_h * ped.up
        for towards in (0.0, 0.5, 1.0):
            aim = tip + towards * (midline - tip)
            t = Trajectory(side, _into_body(model, junction, aim), aim, gauge,
                           "parapedicular")
            res = judge(volume, model, t, s)
            rib = next(c for c in res["checks"] if c["id"] == "rib_head")
            key = (-SEVERITY[res["verdict"]], rib["verdict"] == PASS,
                   np.inf if rib["value"] is None else rib["value"])
            if best_key is None or key > best_key:
                best, best_key = t, key
    return best, bool(best_key[1] and best_key[0] > -SEVERITY[FAIL])


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
        tips = {k: _tip(model, offset if k == "left" else -offset, s) for k in sides}
        if approach == "parapedicular":
            for k in sides:          # the pedicle's width does not limit the gauge here
                traj, clear = _beside_pedicle(volume, model, k, tips[k], gauge, s)
                plan.trajectories.append(traj)
                if not clear:
                    plan.warnings.append(f"no {k} parapedicular path found that clears the "
                                         "rib head and fails no check: check it, or go "
                                         "through the pedicle")
            return plan
        trajs = [_through_pedicle(volume, model, k, tips[k], gauge, approach)
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
