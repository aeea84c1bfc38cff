"""Pedicles: the bony bridges from the body to the posterior arch, lateral to the canal.

Cross-sections perpendicular to the anterior axis locate the bridge behind the posterior
wall (a filled cortical ring); a line through their centres is the first axis estimate;
the isthmus outline is then measured at half maximum in the plane perpendicular to that
axis, so the width is the one a needle meets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy import ndimage
from scipy.stats import theilslopes

from planner.core.anatomy.frame import Frame, unit
from planner.core.anatomy.profiles import (Edge, circular_median_fill, outer_crossing,
                                           polygon_centroid, sample_rays, smooth,
                                           wall_from_inside)
from planner.core.volume import Volume

Stop = Literal["wall", "bone", "spurs"]

GRID_MM = 0.5
BONE_HU = 180.0
MIN_RING_AREA_MM2 = 4.0
MAX_RING_AREA_MM2 = 150.0
MIN_BONE_AREA_MM2 = 6.0
MAX_RING_OFFSET_MM = 7.0
MAX_PEDICLE_DEPTH_MM = 18.0
MAX_TILT = np.tan(np.radians(20.0))
RING_CORTEX_MM = 1.0
RING_BESIDE_CANAL_MM = 3.5    # a pedicle's ring interior begins this near the canal's wall
RING_CONVERGENCE = 0.2        # ... and this much further out per mm behind the body
N_RAYS = 72
STEP = 0.2
TIE_MM = 1e-6   # grid positions and limits on the same grid: a tie goes one way


@dataclass
class Pedicle:
    side: str
    isthmus: np.ndarray          # centre of the narrowest cross-section, LPS
    axis: np.ndarray             # unit, pointing anteriorly (into the body)
    outline: np.ndarray          # (n, 3) outer cortical outline at the isthmus
    width_mm: float              # perpendicular to the axis, in the transverse direction
    height_mm: float             # perpendicular to the axis, cranio-caudal
    lateral: np.ndarray          # unit, in the outline plane, pointing away from the canal
    up: np.ndarray               # unit, in the outline plane, toward cranial
    centres: np.ndarray          # cross-section centres used for the axis
    stop: Stop = "wall"          # how the isthmus outline's rays stopped (``_outline``)
    # the outer cortex either side of the isthmus: offsets along the axis (mm) and, per
    # offset, the radius from the axis on each of ``N_RAYS`` rays (angle 0 along
    # ``lateral``, then toward ``up``); None until measured (``with_sections``)
    sections: tuple[np.ndarray, np.ndarray] | None = None

    def to_json(self) -> dict:
        return {"side": self.side, "isthmus_center": self.isthmus.tolist(),
                "axis_direction": self.axis.tolist(), "width_mm": self.width_mm,
                "height_mm": self.height_mm}


def _section_centre(volume: Volume, frame: Frame, origin: np.ndarray, s: float,
                    u_range: tuple[float, float], w_range: tuple[float, float],
                    expect: tuple[float, float], medial_limit: float
                    ) -> tuple[np.ndarray, float, float] | None:
    """Centroid, width and height of the bone component near ``expect`` in the plane
    through ``origin`` spanned by left and cranial; a cortical ring counts only where its
    interior begins within ``medial_limit`` of the midline."""
    u, w = _grid(*u_range), _grid(*w_range)
    uu, ww = np.meshgrid(u, w, indexing="ij")
    pts = origin + s * uu[..., None] * frame.left + ww[..., None] * frame.cranial
    hu = volume.sample(pts.reshape(-1, 3)).reshape(uu.shape)
    cortex = np.nan_to_num(hu, nan=-1000) > BONE_HU
    filled = ndimage.binary_fill_holes(cortex)
    ring = _ring_interior(filled & ~cortex, uu, ww, expect, medial_limit)
    if ring is not None:
        # a closed cortical ring: its interior is the pedicle's core, even where the ring
        # touches other bone (the body's rim, the articular processes)
        cu, cw, width, height = ring
        return origin + s * cu * frame.left + cw * frame.cranial, width, height
    bone = ndimage.binary_opening(filled, iterations=1)
    lab, n = ndimage.label(bone)
    if n == 0:
        return None
    # specks of bone (a trabecula, noise on osteoporotic bone) are no pedicle's section:
    # TPTBox L3 left, two 1.5 mm wide specks made the "narrowest section"
    area = ndimage.sum_labels(bone, lab, np.arange(1, n + 1)) * GRID_MM ** 2
    lab[np.isin(lab, 1 + np.nonzero(area < MIN_BONE_AREA_MM2)[0])] = 0
    if not lab.any():
        return None
    iu = int(np.clip(np.searchsorted(u, expect[0] - TIE_MM), 0, len(u) - 1))
    iw = int(np.clip(np.searchsorted(w, expect[1] - TIE_MM), 0, len(w) - 1))
    dist = ndimage.distance_transform_edt(lab == 0)
    if dist[iu, iw] * GRID_MM > 6.0:
        return None
    if lab[iu, iw] == 0:
        # nearest labelled pixel
        _, idx = ndimage.distance_transform_edt(lab == 0, return_indices=True)
        iu, iw = idx[0][iu, iw], idx[1][iu, iw]
    comp = lab == lab[iu, iw]
    cu, cw = uu[comp].mean(), ww[comp].mean()
    width = float(np.ptp(uu[comp]) + GRID_MM)
    height = float(np.ptp(ww[comp]) + GRID_MM)
    centre = origin + s * cu * frame.left + cw * frame.cranial
    return centre, width, height


def _grid(start: float, stop: float) -> np.ndarray:
    """Positions ``GRID_MM`` apart from ``start`` up to before ``stop``, as many whatever
    the rounding of a span that is a whole number of steps (``np.arange``'s count turned
    on the last bit of it, and with it the sections' and the model's plan)."""
    return start + GRID_MM * np.arange(int(np.ceil((stop - start) / GRID_MM - TIE_MM)))


def _ring_interior(holes: np.ndarray, uu: np.ndarray, ww: np.ndarray,
                   expect: tuple[float, float], medial_limit: float
                   ) -> tuple[float, float, float, float] | None:
    """Centre and outer size of the hole (ring interior) nearest ``expect`` among those
    beginning within ``medial_limit`` of the midline. A pedicle's medial cortex is the
    canal's wall, so its ring begins just beside the canal; a ring further out is the rib
    head's beside it (chest T7 left, T3 right: a narrow thoracic pedicle shows no hole
    on 2.5 mm slices, and the rib head's ring, 4-7 mm lateral, was taken for it)."""
    lab, n = ndimage.label(holes)
    best = None
    for k in range(1, n + 1):
        comp = lab == k
        area = comp.sum() * GRID_MM ** 2
        if area < MIN_RING_AREA_MM2 or area > MAX_RING_AREA_MM2:
            continue
        if uu[comp].min() > medial_limit + TIE_MM:
            continue
        cu, cw = uu[comp].mean(), ww[comp].mean()
        d = np.hypot(cu - expect[0], cw - expect[1])
        if d <= MAX_RING_OFFSET_MM and (best is None or d < best[0]):
            best = (d, cu, cw, float(np.ptp(uu[comp]) + GRID_MM + 2 * RING_CORTEX_MM),
                    float(np.ptp(ww[comp]) + GRID_MM + 2 * RING_CORTEX_MM))
    return None if best is None else best[1:]


def _outline(volume: Volume, centre: np.ndarray, axis: np.ndarray, frame: Frame,
             s: float, stop: Stop = "wall"
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Outer cortical outline in the plane perpendicular to ``axis`` (half maximum);
    with ``stop`` "bone" rays also stop where they leave the bone, with "spurs" the
    outline also loses any spur of bone running out of it."""
    up = unit(frame.cranial - (frame.cranial @ axis) * axis)
    lateral = unit(np.cross(up, axis)) * 1.0
    if lateral @ (s * frame.left) < 0:
        lateral = -lateral
    ang = np.arange(N_RAYS) * 2 * np.pi / N_RAYS
    dirs = np.cos(ang)[:, None] * lateral + np.sin(ang)[:, None] * up
    radii = np.arange(0.0, 16.0, STEP)
    raw = sample_rays(volume, centre, dirs, radii)
    prof = smooth(raw, 0.5 / STEP)
    inside = float(np.nanmedian(prof[:, :int(1.5 / STEP)]))
    edge = wall_from_inside(prof, radii, inside, 60.0, start=0.5, outer=True,
                            window_mm=3.0, min_peak=BONE_HU)
    if edge.found.mean() < MIN_OUTLINE_FOUND:
        _merged_walls(prof, radii, edge)
    if stop != "wall":
        _out_of_bone(prof, radii, edge)
    r, _ = circular_median_fill(edge.position, edge.found, width=3, max_jump=3.0)
    if stop == "spurs":
        r = _without_spurs(r, ang)
    return centre + dirs * r[:, None], lateral, up, edge.found


MIN_OUTLINE_FOUND = 0.6
MERGED_CORE_MM = 1.5
MERGED_MIN_FALL_HU = 60.0


def _merged_walls(prof: np.ndarray, radii: np.ndarray, edge: Edge) -> None:
    """Rays with no wall rising beyond the core, where too few have one: on thick slices
    (3 mm) the blur merges the cortex with a pedicle's core, and the profile only falls
    from the centre outward. The bone's outer surface is then where it falls half-way
    from the core's brightest sample (bone) to the lowest value within 4 mm beyond (in
    place). Only as a fallback: where most rays meet a wall, the others are better filled
    from their neighbours."""
    for n in np.nonzero(~edge.found)[0]:
        r = _fall_from_core(prof[n], radii)
        if r is not None:
            edge.position[n] = r
            edge.found[n] = True


def _fall_from_core(p: np.ndarray, radii: np.ndarray) -> float | None:
    """Where a ray starting in bone falls half-way from the core's brightest sample to
    the lowest value within 4 mm beyond; None when the core is no bone or it falls by
    less than ``MERGED_MIN_FALL_HU``."""
    head = p[:int(MERGED_CORE_MM / STEP) + 1]
    if np.all(np.isnan(head)):
        return None
    k = int(np.nanargmax(head))
    if p[k] < BONE_HU:
        return None
    hit = outer_crossing(p, k, int(4.0 / STEP), MERGED_MIN_FALL_HU)
    return None if hit is None else float(radii[hit[0]] + STEP * hit[1])


def _out_of_bone(prof: np.ndarray, radii: np.ndarray, edge: Edge) -> None:
    """Rays that start in bone and fall below bone density (``BONE_HU``) before the wall
    they found (or find none): the bone ended at that fall. Not only where they fall to
    soft tissue: on 2.5 mm slices the joint between a pedicle and the rib head beside it
    reads 125-190 HU (chest T9 left: 19 mm wide with the rib head, 8 mm without). A small
    dense pedicle (chest T8 on 2.5 mm slices) reads as bright in its core as in its
    cortex, so no wall rises beyond the core; the rays crossed the fat beside it and
    stopped on the rib's neck, and the outline took in both (19 mm wide, its centroid
    between them, outside the vertebra).
    Only where the outline is too wide for a pedicle: used on every outline it moved the
    abdomen's (3 mm voxels) into the bone and changed the plans of levels whose outlines
    were right."""
    for n in range(len(prof)):
        r = _fall_from_core(prof[n], radii)
        if r is None:
            continue
        stop = edge.position[n] if edge.found[n] else radii[-1]
        between = prof[n, (radii > r) & (radii < stop)]
        if r < stop and len(between) and np.nanmin(between) < BONE_HU:
            edge.position[n] = r
            edge.found[n] = True


SPUR_MM = 1.5
SPUR_HARMONICS = 2


def _without_spurs(r: np.ndarray, ang: np.ndarray) -> np.ndarray:
    """An outline with no spur of bone running out of it: radii more than ``SPUR_MM``
    beyond a smooth closed curve (harmonics up to the second, fitted to the other rays
    again and again) are brought back onto it. A rib head or neck joined to the pedicle
    with no gap the slices resolve (chest T5 left: the rays at 20-60 degrees above the
    lateral ran on through the rib, 14 mm wide) is such a spur; a pedicle's own section,
    round to oblong, is not."""
    cols = [np.ones_like(ang)]
    for k in range(1, SPUR_HARMONICS + 1):
        cols += [np.cos(k * ang), np.sin(k * ang)]
    a = np.stack(cols, 1)
    keep = np.ones(len(r), bool)
    for _ in range(10):
        coef = np.linalg.lstsq(a[keep], r[keep], rcond=None)[0]
        fit = a @ coef
        new = r - fit <= SPUR_MM
        if np.array_equal(new, keep):
            break
        keep = new
    return np.where(keep, r, np.minimum(r, fit))


def _robust_axis(c: np.ndarray, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """Line through the section centres, robust to sections that caught other bone (the
    articular processes): Theil-Sen slopes of the lateral and cranial offsets against
    depth, the cranial slope bounded (pedicles run close to the transverse plane)."""
    rel = c - frame.origin
    depth = rel @ frame.anterior
    lat = theilslopes(rel @ frame.left, depth)[0]
    up = float(np.clip(theilslopes(rel @ frame.cranial, depth)[0], -MAX_TILT, MAX_TILT))
    axis = unit(frame.anterior + lat * frame.left + up * frame.cranial)
    centre = frame.origin + (np.median(rel @ frame.left) * frame.left +
                             np.median(depth) * frame.anterior +
                             np.median(rel @ frame.cranial) * frame.cranial)
    return centre, axis


FRONT_ISTHMUS_MM = 1.0       # the forward isthmus lies at most this behind the canal's middle
MIN_FRONT_SECTIONS = 3
ISTHMUS_WIDTH_TIE_MM = 2 * GRID_MM
ISTHMUS_RUN_MM = 1.5          # sections this close to the narrowest width form the isthmus
ISTHMUS_SOFTNESS_MM = 0.5


def _isthmus_depth(rel: np.ndarray, axis: np.ndarray, widths: np.ndarray) -> float:
    """Where along the axis the pedicle is narrowest: the run of sections around the
    narrowest one, each weighted by how close its width comes to the narrowest. Widths
    are measured on a 0.5 mm grid, so along a pedicle of even width the single narrowest
    section (or a hard cut-off) jumps from click to click; soft weights do not."""
    # widths are whole grid steps: rounded, equal ones tie exactly and the run's limit
    # is not decided by the last bit of a sum
    w = np.round(ndimage.uniform_filter1d(widths, 3, mode="nearest") / TIE_MM) * TIE_MM
    k = int(np.argmin(w))
    near = w <= w[k] + ISTHMUS_RUN_MM + TIE_MM
    lo, hi = k, k
    while lo > 0 and near[lo - 1]:
        lo -= 1
    while hi + 1 < len(w) and near[hi + 1]:
        hi += 1
    weight = np.exp(-(w[lo:hi + 1] - w[k]) / ISTHMUS_SOFTNESS_MM)
    return float(np.sum(weight * (rel[lo:hi + 1] @ axis)) / np.sum(weight))


def _isthmus_outline(volume: Volume, frame: Frame, s: float, mean: np.ndarray,
                     axis: np.ndarray, c: np.ndarray, widths: np.ndarray, front: np.ndarray,
                     stop: Stop = "wall"
                     ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
    """(width, outline, lateral, up) at the isthmus: of the narrowest section of
    all and the narrowest of those in ``front`` (of the canal's middle), the one whose
    outline closes round it and is the narrower; the first unless the other is narrower
    by more than two grid steps (0.2 mm apart on abdomen L4 right, where the forward
    one's outline lay 2.8 mm inside the bone).

    A section's width is its bony ring's where it has one, else its bone's: the narrowest
    of all may be a small ring deep in the arch (chest L1 right: 13 mm behind the wall
    from six clicks of eight, at the wall from the others) or a C-shaped section whose
    centre is in the fat (abdomen L3 left: no outline closed round it). The outlines
    measure both alike."""
    subsets = [np.ones(len(c), bool)]
    if MIN_FRONT_SECTIONS <= front.sum() < len(c):
        subsets.append(front)
    best, tried = None, []
    for sub in subsets:
        at = mean + _isthmus_depth(c[sub] - mean, axis, widths[sub]) * axis
        if any(np.linalg.norm(at - t) < GRID_MM for t in tried):
            continue
        tried.append(at)
        outline, lateral, up, found = _outline(volume, at, axis, frame, s, stop)
        if found.mean() < MIN_OUTLINE_FOUND:
            continue
        width = float(np.ptp(outline @ lateral))
        if best is None or width < best[0] - ISTHMUS_WIDTH_TIE_MM:
            best = (width, outline, lateral, up)
    return best


def find_pedicle(volume: Volume, frame: Frame, side: str, posterior_wall_mm: float,
                 canal_half_width: float, canal_depth: float, canal_middle_mm: float,
                 height: float, max_width_mm: float = np.inf) -> Pedicle | None:
    """``posterior_wall_mm``: distance from the frame origin back to the posterior wall;
    ``canal_middle_mm``: from the posterior wall back to the canal's centroid (half the
    canal's extent varied by 2 mm from click to click: a ray into the lamina's gap)."""
    s = 1.0 if side == "left" else -1.0
    back = -frame.anterior
    centres, widths, depths = [], [], []
    # the pedicle spans from the posterior wall to about the canal's middle; deeper
    # sections meet the articular processes and laminae instead
    for d in np.arange(1.0, min(canal_depth + 4.0, MAX_PEDICLE_DEPTH_MM), 1.0):
        origin = frame.origin + back * (posterior_wall_mm + d)
        found = _section_centre(volume, frame, origin, s,
                                (canal_half_width - 4.0, canal_half_width + 24.0),
                                (-0.6 * height, 0.75 * height),
                                (canal_half_width + 4.0, 0.15 * height),
                                canal_half_width + RING_BESIDE_CANAL_MM
                                + RING_CONVERGENCE * d)
        if found is not None:
            centres.append(found[0])
            widths.append(found[1])
            depths.append(d)
    if len(centres) < 4:
        return None
    c = np.array(centres)
    mean, axis = _robust_axis(c, frame)
    front = np.array(depths) <= canal_middle_mm + FRONT_ISTHMUS_MM
    best = _isthmus_outline(volume, frame, s, mean, axis, c, np.array(widths), front)
    used: Stop = "wall"
    for stop in ("bone", "spurs"):
        # wider than a pedicle can be: the rays ran on into the rib, across soft tissue
        # or a joint, or through bone joined to the pedicle's
        if best is None or best[0] <= max_width_mm:
            break
        again = _isthmus_outline(volume, frame, s, mean, axis, c, np.array(widths), front,
                                 stop)
        if again is not None:
            best, used = again, stop
    if best is None:
        return None
    width, outline, lateral, up = best
    isthmus = polygon_centroid(outline)
    rel = outline - isthmus
    h = float(np.ptp(rel @ up))
    return Pedicle(side, isthmus, axis, outline, width, h, lateral, up, c, used)


SECTION_OFFSETS_MM = (-4.0, -2.0, 0.0, 2.0, 4.0)


def with_sections(volume: Volume, frame: Frame, ped: Pedicle) -> Pedicle:
    """``ped`` with its outer cortex measured across its axis ``SECTION_OFFSETS_MM``
    from the isthmus, as the isthmus outline is (sections whose walls are mostly not
    found are left out). The needle is judged against the isthmus outline along the
    whole pedicle; where the pedicle turns or narrows beside the isthmus its wall there
    is nearer (chest T8 right: 3.7 mm in front of the isthmus the lateral cortex 1.0 mm
    from the needle's axis, the 11G surface 0.5 mm out of the vertebra, judged inside).
    The checks read them on the lateral side only (``walls.pedicle_breaches``)."""
    s = 1.0 if ped.side == "left" else -1.0
    offsets, radii = [], []
    for off in SECTION_OFFSETS_MM:
        centre = ped.isthmus + off * ped.axis
        outline, _, _, found = _outline(volume, centre, ped.axis, frame, s, ped.stop)
        if found.mean() < MIN_OUTLINE_FOUND:
            continue
        offsets.append(off)
        radii.append(np.linalg.norm(outline - centre, axis=1))
    if not offsets:
        return ped
    return replace(ped, sections=(np.array(offsets), np.array(radii)))
