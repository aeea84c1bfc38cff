"""The tip against the anterior cortex: on the lateral view and along the needle."""

from __future__ import annotations

import numpy as np

from planner.core.checks.result import FAIL, PASS, WARN, CheckResult, CheckSettings
from planner.core.trajectory import Trajectory

MARCH_STEP_MM = 0.25
MARCH_MAX_MM = 60.0


def tip_to_anterior_cortex(model, tip: np.ndarray) -> float:
    """Along the anterior axis, from the tip to the most anterior point of the body's
    outer cortex at the tip's height (what a true lateral view shows)."""
    f = model.frame
    h = float((tip - f.origin) @ f.cranial)
    reach = model.body_stack.extent(h, f.anterior)
    return reach - float((tip - f.origin) @ f.anterior)


def tip_to_cortex_along_needle(model, traj: Trajectory) -> float:
    """From the tip along the needle's own line to the body's outer cortex (0 when the
    tip is already outside the body)."""
    s = np.arange(0.0, MARCH_MAX_MM, MARCH_STEP_MM)
    pts = traj.target + s[:, None] * traj.direction
    outside = model.outside_body(pts)
    if not np.any(outside):
        return float(MARCH_MAX_MM)
    return float(s[int(np.argmax(outside))])


def anterior_cortex(model, traj: Trajectory, s: CheckSettings, margin: float
                    ) -> CheckResult:
    lo_p, hi_p = s.anterior_pass
    lo_w, hi_w = s.anterior_warn
    rule = (f"tip {lo_p + margin:.1f}-{hi_p:.0f} mm behind the anterior cortex on the "
            f"lateral view (warn {lo_w + margin:.1f}-{lo_p + margin:.1f} or {hi_p:.0f}-"
            f"{hi_w:.0f} mm, fail nearer or through it); warn when the cortex is under "
            f"{s.along_needle_warn_mm + margin:.1f} mm ahead along the needle")
    d = tip_to_anterior_cortex(model, traj.target)
    along = tip_to_cortex_along_needle(model, traj)
    through = d < 0
    tip_outside = bool(model.outside_body(traj.target)[0])
    if through or tip_outside or d < lo_w + margin:
        verdict = FAIL
    elif d < lo_p + margin or d > hi_p:
        verdict = WARN
    else:
        verdict = PASS
    if verdict == PASS and along < s.along_needle_warn_mm + margin:
        verdict = WARN
    return CheckResult("anterior_cortex", verdict, d, "mm", rule,
                       {"tip_to_cortex_along_needle_mm": along, "through_cortex": through,
                        "tip_outside_body": tip_outside})
