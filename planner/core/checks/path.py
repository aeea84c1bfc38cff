"""The path outside the vertebra: skin entry, lung and ribs, HU along the needle."""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.core.checks.result import FAIL, PASS, CheckResult
from planner.core.trajectory import NEEDLE_LENGTHS_MM, Trajectory

AIR_HU = -300.0
LUNG_HU = (-950.0, -400.0)
RIB_HU = 250.0
MAX_BACK_MM = 250.0


def skin_entry(volume, traj: Trajectory) -> dict[str, Any]:
    """Where the needle line, extended backwards from the entry, leaves the body."""
    s = np.arange(0.0, MAX_BACK_MM, 1.0)
    pts = traj.entry - s[:, None] * traj.direction
    hu = volume.sample(pts, outside=np.nan)
    hu[hu < -1500] = np.nan             # scanner fill outside the field of view
    skin_k, cut = None, False
    for k in range(len(s)):
        if np.isnan(hu[k]):
            cut = True
            skin_k = max(k - 1, 0)
            break
        if hu[k] < AIR_HU and np.all(hu[k:k + 3] < AIR_HU):
            skin_k = max(k - 1, 0)
            break
    if skin_k is None:
        skin_k, cut = len(s) - 1, True
    skin = pts[skin_k]
    length = float(np.linalg.norm(traj.target - skin))
    return {"point": skin.tolist(), "field_of_view_cut": cut,
            "skin_to_tip_mm": length,
            "skin_to_tip": (f">= {length:.0f} mm" if cut else f"{length:.0f} mm"),
            "needles": {f"{n / 10:g} cm": (None if cut and length < n else length <= n)
                        for n in NEEDLE_LENGTHS_MM},
            "_samples": (s[:skin_k + 1], hu[:skin_k + 1])}


def lung_and_ribs(traj: Trajectory, skin: dict[str, Any], exclude_last_mm: float = 8.0
                  ) -> CheckResult:
    """Lung (pleura) or ribs on the way from the skin to the entry (every level)."""
    rule = "the path from the skin to the entry crosses no lung (pneumothorax risk)"
    s, hu = skin["_samples"]
    keep = s > exclude_last_mm               # s counts back from the entry
    s, hu = s[keep], hu[keep]
    lung = (hu > LUNG_HU[0]) & (hu < LUNG_HU[1])
    ribs = []
    bone = hu > RIB_HU
    k = 0
    while k < len(bone):
        if bone[k]:
            j = k
            while j + 1 < len(bone) and bone[j + 1]:
                j += 1
            if j - k >= 1:
                mid = (s[k] + s[j]) / 2
                ribs.append({"mm_before_entry": float(mid),
                             "point": (traj.entry - mid * traj.direction).tolist()})
            k = j + 1
        else:
            k += 1
    lung_mm = float(np.sum(lung))
    verdict = FAIL if lung_mm >= 2 else PASS
    return CheckResult("lung", verdict, lung_mm, "mm", rule,
                       {"bone_crossed_before_entry": ribs})


def hu_profile(volume, traj: Trajectory, skin: dict[str, Any]) -> list[list[float]]:
    """HU every millimetre from the skin to the tip, as [mm from skin, HU]."""
    start = np.asarray(skin["point"])
    length = float(np.linalg.norm(traj.target - start))
    s = np.arange(0.0, length + 1e-6, 1.0)
    pts = start + s[:, None] * traj.direction
    hu = volume.sample(pts)
    return [[float(a), None if np.isnan(b) else round(float(b))] for a, b in zip(s, hu)]
