"""Vertebral body heights on the mid-sagittal plane and the Genant grade they give.

Genant's semiquantitative grade compares the anterior, middle and posterior heights of a
body with what they should be: the same heights of the adjacent levels, or, within the
body, its own posterior height (a wedge lowers the front, a biconcave fracture the
middle). Heights are measured between the endplates' outer surfaces on a small bundle of
rays either side of the midline. Near the anterior and posterior cortex the wall itself,
the rounded corners and the ring apophyses spoil the endplate profiles, so the heights
there are fitted by a line over a span further inside and carried out to the wall (a
wedge's front is lower at the wall than inside it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.core.anatomy.body import endplate_distances
from planner.core.volume import Volume

WALL_MARGIN_MM = 5.0        # the endplate profiles are trusted this far inside the cortex
FIT_SPAN_MM = 8.0           # heights over this span further in give the slope to the wall
FIT_STEP_MM = 2.0
LATERAL_OFFSETS_MM = (-3.0, -1.5, 0.0, 1.5, 3.0)
MIN_RAYS = 3                               # of five, for a height to count
POSITIONS = ("anterior", "middle", "posterior")
DISC_MM = 8.0                              # a typical disc, to step to the next level
# Genant 1993: grade 0 below 20 % loss, 1: 20-25 %, 2: 25-40 %, 3: over 40 %
GENANT_LIMITS = (0.20, 0.25, 0.40)


@dataclass
class Heights:
    """Anterior, middle and posterior heights (mm; None where not measured) and where
    each was measured (inferior and superior endplate points, LPS mm)."""

    mm: dict[str, float | None]
    points: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {f"{k}_mm": (None if v is None else round(float(v), 2))
                for k, v in self.mm.items()}


def vertebral_heights(volume: Volume, model: Any) -> Heights:
    """Heights of the model's body at its anterior, middle and posterior thirds."""
    from planner.core.anatomy.frame_fit import posterior_wall_depth

    f = model.frame
    front = float(model.body_stack.extent(0.0, f.anterior))
    back = posterior_wall_depth(f, model.outlines)
    inner = {"anterior": front - WALL_MARGIN_MM, "posterior": -(back - WALL_MARGIN_MM)}
    wall = {"anterior": front, "middle": (front - back) / 2.0, "posterior": -back}
    inside = float(np.median([o.inside_hu for o in model.outlines]))
    noise = float(np.median([o.noise_hu for o in model.outlines]))
    mm: dict[str, float | None] = {}
    points = {}
    for name, at in wall.items():
        if name == "middle":
            depths = at + np.array([-1.0, 0.0, 1.0])
        else:
            inward = -1.0 if name == "anterior" else 1.0
            depths = inner[name] + inward * np.arange(0.0, FIT_SPAN_MM + 0.1, FIT_STEP_MM)
        found = [(a, _height_at(volume, f, a, inside, noise)) for a in depths]
        found = [(a, r) for a, r in found if r is not None]
        if len(found) < (2 if name == "middle" else 3):
            mm[name] = None
            continue
        a_s = np.array([a for a, _ in found])
        h_s = np.array([r[0] for _, r in found])
        if name == "middle":
            h = float(np.median(h_s))
        else:           # a line through the inner heights, carried out to the wall
            slope, icept = np.polyfit(a_s, h_s, 1)
            h = float(slope * at + icept)
        mm[name] = h
        a0, (_, down, up) = found[0]
        mid = f.origin + f.anterior * a0
        points[name] = ((mid - f.cranial * down).tolist(), (mid + f.cranial * up).tolist())
    return Heights(mm, points)


def _height_at(volume: Volume, f: Any, a: float, inside: float, noise: float
               ) -> tuple[float, float, float] | None:
    """(height, distance down, distance up) at depth ``a`` along the anterior axis on the
    mid-sagittal plane: medians over the ray bundle; None when too few rays agree."""
    starts = f.origin + f.anterior * a + np.asarray(LATERAL_OFFSETS_MM)[:, None] * f.left
    up = endplate_distances(volume, starts, f.cranial, inside, noise)
    down = endplate_distances(volume, starts, -f.cranial, inside, noise)
    ok = np.isfinite(up) & np.isfinite(down)
    if ok.sum() < MIN_RAYS:
        return None
    return (float(np.median(up[ok] + down[ok])), float(np.median(down[ok])),
            float(np.median(up[ok])))


def adjacent_seeds(model: Any) -> dict[str, np.ndarray]:
    """Points inside the bodies above and below (one body height plus a disc away along
    the level's cranial axis)."""
    step = model.height_mm + DISC_MM
    return {"above": model.centre + model.frame.cranial * step,
            "below": model.centre - model.frame.cranial * step}


def genant_grade(loss: float) -> int:
    """0 below 20 %, 1 from 20 to below 25 %, 2 from 25 to 40 %, 3 above 40 %."""
    low, mid, high = GENANT_LIMITS
    return 0 if loss < low else 1 if loss < mid else 2 if loss <= high else 3


def _own_shape_loss(h: dict[str, float | None]) -> float:
    """Height lost at the front or middle against the body's own back (1.0 when
    unknown): an adjacent level that is itself fractured is no reference."""
    post = h.get("posterior")
    vals = [h.get("anterior"), h.get("middle")]
    if not post or not all(vals):
        return 1.0
    return max(0.0, 1.0 - min(vals) / post)


def genant(heights: dict[str, float | None],
           adjacent: list[dict[str, float | None]] | None = None) -> dict[str, Any]:
    """Genant grade from a level's heights (``anterior``/``middle``/``posterior`` mm),
    against the adjacent levels' same heights where they are known, else against the
    level's own posterior height (a crush of the whole body is then not seen, and the
    result says so). An adjacent level that is itself deformed is not used. Unknown (grade None) when the heights needed are missing."""
    refs: dict[str, float] = {}
    normal = [a for a in (adjacent or []) if _own_shape_loss(a) < GENANT_LIMITS[0]]
    for name in POSITIONS:
        vals = [a.get(name) for a in normal if a.get(name)]
        if vals:
            refs[name] = float(np.mean(vals))
    losses: dict[str, float] = {}
    basis = "adjacent levels"
    for name in POSITIONS:
        h = heights.get(name)
        if h and name in refs:
            losses[name] = 1.0 - h / refs[name]
    if not losses:
        basis = "the level's own posterior height (a uniform crush is not detected)"
        post = heights.get("posterior")
        for name in ("anterior", "middle"):
            h = heights.get(name)
            if h and post:
                losses[name] = 1.0 - h / post
    if not losses:
        return {"grade": None, "loss": None, "worst": None, "basis": None,
                "reason": "the heights needed were not measured"}
    worst = max(losses, key=losses.get)
    loss = max(0.0, losses[worst])
    return {"grade": genant_grade(loss), "loss": round(loss, 3), "worst": worst,
            "basis": basis, "losses": {k: round(v, 3) for k, v in losses.items()}}


def heights_with_neighbours(volume: Volume, model: Any) -> tuple[Heights, list[dict]]:
    """The level's heights and those of the levels above and below that could be
    modelled (a neighbour outside the CT or not found is left out)."""
    from planner.core.anatomy.model import ModelError, build_model

    own = vertebral_heights(volume, model)
    adjacent = []
    for seed in adjacent_seeds(model).values():
        try:
            adjacent.append(vertebral_heights(volume, build_model(volume, seed)).mm)
        except ModelError:
            continue
    return own, adjacent
