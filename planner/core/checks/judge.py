"""Judge one trajectory with every check and assemble the contract's JSON."""

from __future__ import annotations

from typing import Any

from planner.core.checks import anterior, path, views, walls
from planner.core.checks.result import PASS, WARN, CheckSettings, gertzbein_robbins, worst
from planner.core.trajectory import Trajectory, needle_angles


def judge(volume, model, traj: Trajectory, settings: CheckSettings | None = None
          ) -> dict[str, Any]:
    """Every check for one trajectory (LPS mm); unknown wherever the model lacks a part."""
    s = settings or CheckSettings()
    m = model.uncertainty_margin_mm
    why_ped = model.missing.get(f"{traj.side}_pedicle", "the needle does not pass the "
                                "pedicle's isthmus")
    breach = walls.pedicle_breaches(model, traj)
    checks = [walls.medial_wall(model, traj, s, m),
              views.ap_view_rule(model, traj, s, m),
              anterior.anterior_cortex(model, traj, s, m),
              walls.lateral_wall(breach, s, m, why_ped),
              walls.superior_inferior_wall(breach, s, m, why_ped),
              walls.endplate(model, traj, s, m),
              walls.pedicle_fit(model, traj, s, m),
              views.entry_clock(model, traj, s)]
    skin = path.skin_entry(volume, traj)
    checks.append(path.lung_and_ribs(traj, skin))
    checks.append(path.fat_before_body(volume, model, traj))
    beside = traj.approach == "parapedicular"
    if beside:
        checks.append(path.rib_head(volume, model, traj, skin, s, m))
    by_id = {c.id: c for c in checks}
    medial = by_id["medial_wall"].value
    # beside the pedicle on purpose: its lateral wall is not breached, it is passed
    depth = {k: max(0.0, v) for k, v in (breach or {}).items()
             if not (beside and k == "lateral")}
    if medial is not None:
        depth["medial"] = max(depth.get("medial", 0.0), max(0.0, -medial))
    grade = gertzbein_robbins(max(depth.values())) if depth else None
    if beside:
        for cid in ("lateral_wall", "pedicle_fit", "entry_clock"):
            by_id[cid].verdict, by_id[cid].details["reason"] = "n/a", \
                "does not apply to a parapedicular approach"
    verdict = worst([c.verdict for c in checks if c.verdict != "n/a"])
    if not model.settled and verdict == PASS:
        verdict = WARN       # the model itself may be off the body: no check can pass it
    skin_json = {k: v for k, v in skin.items() if not k.startswith("_")}
    clock = views.clock_position(model, traj.side, traj.entry)
    skin_json.update(_ap_offsets(model, traj, skin["point"]))
    return {
        "side": traj.side, "entry": traj.entry.tolist(), "target": traj.target.tolist(),
        "gauge": traj.gauge, "diameter_mm": traj.diameter_mm, "approach": traj.approach,
        "checks": [c.to_json() for c in checks],
        "medial_clearance_mm": medial,
        "tip_to_anterior_cortex_mm": by_id["anterior_cortex"].value,
        "tip_to_cortex_along_needle_mm":
            by_id["anterior_cortex"].details.get("tip_to_cortex_along_needle_mm"),
        "breach_mm": depth, "gr_grade": grade,
        "entry_clock": None if clock is None else by_id["entry_clock"].details.get("clock"),
        "skin_entry": skin_json, "needle_length_mm": traj.length_mm,
        "angles": needle_angles(model.frame, traj),
        "hu_profile": path.hu_profile(volume, traj, skin),
        "verdict": verdict,
        "uncertainty_margin_mm": m,
    }


def _ap_offsets(model, traj: Trajectory, skin_point) -> dict[str, Any]:
    """Skin entry on the AP view: lateral offset from the midline and from the pedicle."""
    import numpy as np

    f = model.frame
    p = np.asarray(skin_point)
    out = {"offset_from_midline_mm": float((p - f.origin) @ f.left),
           "offset_cranial_mm": float((p - f.origin) @ f.cranial)}
    ped = model.pedicles.get(traj.side)
    if ped is not None:
        out["offset_from_pedicle_mm"] = float((p - ped.isthmus) @ f.left)
    return out
