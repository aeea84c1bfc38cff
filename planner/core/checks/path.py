"""The path outside the vertebra: skin entry, lung and ribs, HU along the needle."""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.core.anatomy.profiles import sample_rays
from planner.core.checks.result import FAIL, PASS, WARN, CheckResult, CheckSettings, unknown
from planner.core.trajectory import BESIDE_PEDICLE_MM, NEEDLE_LENGTHS_MM, Trajectory

AIR_HU = -300.0
LUNG_HU = (-950.0, -400.0)
RIB_HU = 250.0
MAX_BACK_MM = 250.0
RIB_HEAD_ENTRY_MM = 0.5       # from just behind the entry (its own cortex is the body)
RIB_HEAD_SEARCH_MM = 10.0
CHEST_WALL_MM = 10           # tissue behind lung; clothes and pads behind the skin are thinner
RIB_HEAD_HU = 150.0          # thin ribs beside lung and thick slices rarely reach 250 HU


def skin_entry(volume, traj: Trajectory) -> dict[str, Any]:
    """Where the needle line, extended backwards from the entry, leaves the body.

    Lung on the way is not the outside: a run of air-like samples as dense as lung
    parenchyma with at least ``CHEST_WALL_MM`` of tissue behind it is walked through (the
    lung check then sees it)."""
    s = np.arange(0.0, MAX_BACK_MM, 1.0)
    pts = traj.entry - s[:, None] * traj.direction
    hu = volume.sample(pts, outside=np.nan)
    hu[hu < -1500] = np.nan             # scanner fill outside the field of view
    skin_k, cut = None, False
    k = 0
    while k < len(s):
        if np.isnan(hu[k]):
            cut = True
            skin_k = max(k - 1, 0)
            break
        if hu[k] < AIR_HU and np.all(hu[k:k + 3] < AIR_HU):
            j = k
            while j < len(s) and not np.isnan(hu[j]) and hu[j] < AIR_HU:
                j += 1
            wall = hu[j:j + CHEST_WALL_MM]
            if (len(wall) == CHEST_WALL_MM and np.all(wall >= AIR_HU)
                    and np.median(hu[k:j]) > LUNG_HU[0]):
                k = j          # lung (denser than the air outside), then the chest wall
                continue
            skin_k = max(k - 1, 0)
            break
        k += 1
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


FAT_HU = -30.0                # fat reads -120 to -60 HU; blurred beside bone, to about -30
FAT_RUN_FAIL_MM = 3.5
FAT_STEP_MM = 0.5
FAT_FROM_ENTRY_MM = 1.0       # the entry's own blur
FAT_AFTER_BONE_HU = 150.0


def fat_before_body(volume, model, traj: Trajectory) -> CheckResult:
    """Fat on the needle's axis from the first bone it meets to the vertebral body: fat
    there lies outside the bone (beside the pedicle, in the foramen), whatever the model's
    pedicle says. A check that rests on the image alone: with its pedicle found in the
    wrong place (chest T4 from a model 0.5 mm off, an isthmus outside the vertebra) a
    needle ran 15 mm outside the vertebra's mask, 7 mm of it through fat, and every wall
    check, measured against that pedicle, passed or warned. Marrow is no guide
    (osteoporotic marrow reads as low as muscle), fat is: of 1440 needles round the
    suggested ones on our real levels, none of the 956 that stay inside the vertebra's
    mask fails this check, 21 of the 308 that leave it by 3 mm or more do. A safety net
    under the wall checks, not one of them. Soft tissue before the first bone is not
    counted: an entry dragged off the bone has some."""
    rule = (f"no fat (under {FAT_HU:.0f} HU) for {FAT_RUN_FAIL_MM:.1f} mm or more in a row on "
            "the needle's axis from the first bone it meets to the vertebral body (fat there "
            "is outside the bone)")
    s = np.arange(FAT_FROM_ENTRY_MM, traj.length_mm, FAT_STEP_MM)
    pts = traj.entry + s[:, None] * traj.direction
    inside = np.nonzero(~model.outside_body(pts))[0]
    pts = pts[:inside[0] if len(inside) else len(pts)]
    hu = volume.sample(pts)
    if np.isnan(hu).any():
        return unknown("fat_before_body", "mm", rule, "the path leaves the scan")
    # from the first bone on: an entry dragged off the bone has soft tissue before it
    bone = np.nonzero(hu >= FAT_AFTER_BONE_HU)[0]
    hu = hu[bone[0]:] if len(bone) else hu[:0]
    run = longest = 0
    for fat in hu < FAT_HU:
        run = run + 1 if fat else 0
        longest = max(longest, run)
    mm = longest * FAT_STEP_MM
    return CheckResult("fat_before_body", FAIL if mm >= FAT_RUN_FAIL_MM else PASS, mm, "mm",
                       rule, {"path_before_body_mm": len(pts) * FAT_STEP_MM})


def rib_head(volume, model, traj: Trajectory, skin: dict[str, Any], s: CheckSettings,
             margin: float) -> CheckResult:
    """Parapedicular: the needle passes beside the pedicle, medial to the rib head.

    Clearance: from the needle's outer surface to the nearest bone around it along the last
    ``BESIDE_PEDICLE_MM`` before the entry, where the rib's head and neck and the transverse
    process lie. The needle runs along its own vertebra on purpose: bone of the body (the
    model's outline) and of the pedicle (a tube round its axis as wide as its outline) is
    not counted. Bone on the needle's own line before the entry: it must go through bone,
    fail."""
    rule = (f"needle surface at least {s.rib_head_pass_mm + margin:.1f} mm from the rib "
            f"head (and the transverse process) on its way to the entry; through bone: fail")
    d = traj.direction
    a = np.cross(d, [1.0, 0.0, 0.0] if abs(d[0]) < 0.9 else [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(d, a)
    ang = np.radians(np.arange(0.0, 360.0, 15.0))
    rays = np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * b
    span = min(BESIDE_PEDICLE_MM, float(skin["skin_to_tip_mm"]) - traj.length_mm)
    span = max(span, RIB_HEAD_ENTRY_MM)        # 1 mm apart or less, both ends included
    back = np.linspace(RIB_HEAD_ENTRY_MM, span, int(np.ceil(span - RIB_HEAD_ENTRY_MM)) + 1)
    radii = np.arange(0.0, RIB_HEAD_SEARCH_MM, 0.5)
    centres = traj.entry - back[:, None] * d
    shape = (len(back), len(rays), len(radii))
    hu = sample_rays(volume, np.repeat(centres, len(rays), axis=0),
                     np.tile(rays, (len(back), 1)), radii).reshape(shape)
    flat = (centres[:, None, None, :] + rays[None, :, None, :] *
            radii[None, None, :, None]).reshape(-1, 3)
    if np.isnan(hu[:, :, 0]).any():
        return unknown("rib_head", "mm", rule, "the path before the entry leaves the scan")
    hu = np.nan_to_num(hu, nan=-1000.0)
    maybe = np.nonzero(hu.ravel() >= RIB_HEAD_HU)[0]          # only bone can be the vertebra's
    own = np.zeros(hu.size, bool)
    own[maybe] = _own_vertebra(model, traj.side, flat[maybe])
    hu = np.where(own.reshape(hu.shape), -1000.0, hu)
    bone = hu >= RIB_HEAD_HU
    hit = bone.any(axis=2)
    k = np.argmax(bone, axis=2)
    # where the HU crosses the bone level, between the last sample before and the first in
    prev = np.take_along_axis(hu, np.maximum(k - 1, 0)[..., None], axis=2)[..., 0]
    cur = np.take_along_axis(hu, k[..., None], axis=2)[..., 0]
    frac = np.where((k > 0) & (cur > prev), (RIB_HEAD_HU - prev) / np.maximum(cur - prev, 1e-6),
                    1.0)
    step = float(radii[1] - radii[0])
    first = np.where(hit, radii[k] - step * (1.0 - np.clip(frac, 0.0, 1.0)), np.inf)
    k_ray = np.unravel_index(np.argmin(first), first.shape)
    nearest = float(first[k_ray])
    if not np.isfinite(nearest):
        return CheckResult("rib_head", PASS, None, "mm", rule,
                           {"reason": f"no bone within {RIB_HEAD_SEARCH_MM:.0f} mm of the "
                                      "needle but its own vertebra's"})
    clearance = nearest - traj.radius_mm
    where = centres[k_ray[0]] + rays[k_ray[1]] * nearest
    verdict = (FAIL if clearance < 0 else WARN if clearance < s.rib_head_pass_mm + margin
               else PASS)
    return CheckResult("rib_head", verdict, clearance, "mm", rule,
                       {"closest_point": where.tolist(),
                        "mm_before_entry": float(back[k_ray[0]])})


OWN_BONE_MM = 1.0


def _own_vertebra(model, side: str, p: np.ndarray) -> np.ndarray:
    """Points in (or within ``OWN_BONE_MM`` of) the body or the pedicle of ``side``."""
    own = model.body_signed_distance(p) <= OWN_BONE_MM
    ped = model.pedicles.get(side)
    if ped is not None:
        rel = p - ped.isthmus
        along = rel @ ped.axis
        radial = np.linalg.norm(rel - along[:, None] * ped.axis, axis=1)
        r = float(np.linalg.norm(ped.outline - ped.isthmus, axis=1).max())
        own |= radial <= r + OWN_BONE_MM
    return own
