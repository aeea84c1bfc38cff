"""Checks read on the fluoroscopic views: the AP-view rule and the entry's clock position.

The level's true AP view is modelled as a projection along the vertebra's anterior axis,
the true lateral as one along its left axis (orthographic; the C-arm's perspective is a
later refinement)."""

from __future__ import annotations

import numpy as np

from planner.core.checks.result import FAIL, PASS, WARN, CheckResult, CheckSettings, unknown
from planner.core.trajectory import Trajectory

CLOCK_TARGET = {"left": 10.0, "right": 2.0}
CLOCK_ON_THE_HOUR = 0.25   # an entry this close to an hour is shown as sitting on it


def _side_sign(side: str) -> float:
    return 1.0 if side == "left" else -1.0


def medial_pedicle_margin(model, side: str) -> float | None:
    """Distance from the midline to the pedicle's medial margin on the AP view."""
    ped = model.pedicles.get(side)
    if ped is None:
        return None
    lateral = (ped.outline - model.frame.origin) @ model.frame.left * _side_sign(side)
    return float(lateral.min())


def ap_view_rule(model, traj: Trajectory, s: CheckSettings, margin: float) -> CheckResult:
    rule = ("on the AP view the needle's medial edge must not cross the medial pedicle "
            "margin before the tip has passed the posterior body wall on the lateral view")
    m = medial_pedicle_margin(model, traj.side)
    if m is None:
        return unknown("ap_view_rule", "mm", rule,
                       model.missing.get(f"{traj.side}_pedicle", "no pedicle"))
    f = model.frame
    pts, _ = traj.judged_points()
    h = (pts - f.origin) @ f.cranial
    depth = (pts - f.origin) @ f.anterior
    wall = -model.body_stack.extent(h, -f.anterior)
    before = depth < wall
    if not np.any(before):
        return unknown("ap_view_rule", "mm", rule, "the entry is already in the body")
    medial_edge = (pts[before] - f.origin) @ f.left * _side_sign(traj.side) - traj.radius_mm
    crossing = float(np.max(m - medial_edge))
    verdict = FAIL if crossing > 0 else WARN if crossing > -margin else PASS
    return CheckResult("ap_view_rule", verdict, crossing, "mm", rule,
                       {"crossing_depth_mm": max(0.0, crossing),
                        "medial_margin_from_midline_mm": m})


def hours_apart(a: float, b: float) -> float:
    """Hours between two clock positions, the short way round the face."""
    return abs((a - b + 6.0) % 12.0 - 6.0)


def clock_position(model, side: str, entry: np.ndarray) -> tuple[float, str] | None:
    """Clock hour of the entry on the pedicle seen from behind on the AP view (12 =
    cranial, patient's left on the viewer's left), with its quadrant word."""
    ped = model.pedicles.get(side)
    if ped is None:
        return None
    f = model.frame
    rel = entry - ped.isthmus
    x_left, y_up = float(rel @ f.left), float(rel @ f.cranial)
    clockwise = np.degrees(np.arctan2(-x_left, y_up)) % 360.0
    hour = clockwise / 30.0
    hour = 12.0 if hour < 0.5 else hour
    lateral = x_left * _side_sign(side) > 0
    word = ("supero" if y_up >= 0 else "infero") + ("lateral" if lateral else "medial")
    return hour, word


def entry_clock(model, traj: Trajectory, s: CheckSettings) -> CheckResult:
    target = CLOCK_TARGET[traj.side]
    rule = (f"entry at {target:.0f}:00 on the {traj.side} pedicle (superolateral) on the AP "
            f"view, within {s.clock_pass_hours:.0f} h")
    found = clock_position(model, traj.side, traj.entry)
    if found is None:
        return unknown("entry_clock", "h", rule,
                       model.missing.get(f"{traj.side}_pedicle", "no pedicle"))
    hour, word = found
    diff = hours_apart(hour, target)
    verdict = PASS if diff <= s.clock_pass_hours else WARN
    minutes = int(round(hour * 60)) % 720
    label = f"{minutes // 60 or 12}:{minutes % 60:02d}, {word}"
    return CheckResult("entry_clock", verdict, float(hour), "h", rule,
                       {"clock": label, "hours_from_target": diff})
