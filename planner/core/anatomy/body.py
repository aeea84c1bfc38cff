"""The vertebral body: outlines in planes across its height and its endplates."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from planner.core.anatomy.frame import Frame
from planner.core.anatomy.profiles import (StarOutline, circular_median_fill,
                                           consistent_in_height,
                                           outer_crossing, sample_rays, smooth,
                                           wall_from_inside)
from planner.core.volume import Volume

RAY_STEP_MM = 0.25
N_RAYS = 90
MAX_BODY_RADIUS_MM = 40.0
INSIDE_RADIUS_MM = 6.0


def _rise(inside_samples: np.ndarray) -> float:
    """How far above the core a wall must rise: beyond the noise, at least 50 HU."""
    x = inside_samples[~np.isnan(inside_samples)]
    if len(x) < 4:
        return 80.0
    sigma = 1.4826 * np.median(np.abs(np.diff(x))) / np.sqrt(2)
    return float(max(50.0, 3.0 * sigma))


@dataclass
class Outline(StarOutline):
    """A closed outline of the body's outer cortex in one plane."""

    trusted: np.ndarray      # rays whose wall was measured (the others are filled in)
    inside_hu: float
    noise_hu: float

    @property
    def fraction_found(self) -> float:
        return float(np.mean(self.trusted))


ENDPLATE_CORTEX_MM = 1.8     # from the half-rise on the inner side to the outer surface
POSTERIOR_CONE_COS = np.cos(np.radians(25.0))
RAN_ON_MM = 3.0
NEAR_WALL_BACK_COS = np.cos(np.radians(60.0))
# a cortex's outer surface lies half-way between its peak and the soft tissue beyond it
# (fat reads down to about -100 HU), not the lung beyond that: against the lung within
# the window the half maximum fell 1-2 mm out, in the pleura (chest T6's right side: the
# body's outline 1.9 mm outside its mask and a tip in fat judged inside the body)
SOFT_TISSUE_FLOOR_HU = -100.0


def body_outline(volume: Volume, frame: Frame, centre: np.ndarray,
                 n_rays: int = N_RAYS, slab_mm: float = 0.0,
                 back_wall_mm: float | None = None,
                 wall_at_most_mm: float | None = None,
                 near_wall_fraction: float = 0.0, floor_hu: float = -np.inf) -> Outline:
    """Outer cortical surface of the body in the plane through ``centre`` normal to the
    frame's cranial axis, by rays from the centre (half maximum beyond the cortex).

    Behind the posterior wall the body opens into the pedicles without a cortex between
    them, so the outline is closed by the posterior wall: the wall found by the rays
    within 25 degrees of straight back. With ``slab_mm`` the rays are averaged over a
    slab that thick along the cranial axis: the walls run along it, so they stay while the
    noise and trabecular texture of the core average out. With ``back_wall_mm`` (the
    canal's front wall, found from the canal side) the posterior wall is there instead:
    where the wall is no brighter than the core, rays straight back run on through the
    canal to the lamina. With ``wall_at_most_mm`` (the canal's front wall found at
    another height) the rays' own wall is kept unless it lies more than
    ``RAN_ON_MM`` behind that: then they ran on through the canal, and the wall is there.
    With ``near_wall_fraction`` (for a centre known to lie near the body's middle) a wall
    closer than that fraction of the walls' median distance, outside 60 degrees of
    straight back, is a sclerotic band inside the body, not its cortex: filled from the
    neighbouring rays (the posterior wall, the canal's front, may be that close)."""
    dirs, _ = frame.plane_directions(n_rays)
    radii = np.arange(0.0, MAX_BODY_RADIUS_MM, RAY_STEP_MM)
    offsets = np.linspace(-slab_mm / 2, slab_mm / 2, 5) if slab_mm > 0 else [0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        raw = np.nanmean([sample_rays(volume, centre + h * frame.cranial, dirs, radii)
                          for h in offsets], axis=0)
    prof = smooth(raw, 0.75 / RAY_STEP_MM)
    k_in = int(INSIDE_RADIUS_MM / RAY_STEP_MM)
    inside = float(np.nanmedian(prof[:, :k_in])) if np.any(~np.isnan(prof[:, :k_in])) \
        else np.nan
    edge = wall_from_inside(prof, radii, inside, _rise(raw[:, :k_in].ravel()),
                            start=3.0, outer=True, floor=floor_hu)
    # the smoothing that finds the wall also pushes its half maximum outward (an
    # optimistic error for the anterior cortex): place it on a lightly smoothed profile
    light = smooth(raw, 0.3 / RAY_STEP_MM)
    for k in np.nonzero(edge.found)[0]:
        t = _half_crossing_near(light[k], radii,
                                int(round(edge.peak_position[k] / RAY_STEP_MM)),
                                search_mm=1.0, beyond_mm=4.0, min_fall=30.0, floor=floor_hu)
        if t is not None:
            edge.position[k] = t
    back = dirs @ -frame.anterior
    found = edge.found
    if near_wall_fraction > 0 and np.any(found):
        away = back < NEAR_WALL_BACK_COS
        found = found & ~(away & (edge.position < near_wall_fraction *
                                  float(np.median(edge.position[found]))))
    r, trusted = circular_median_fill(edge.position, found, width=4, max_jump=6.0)
    cone = (back >= POSTERIOR_CONE_COS) & trusted
    wall = (float(back_wall_mm) if back_wall_mm is not None else
            float(np.median(r[cone] * back[cone])) if np.any(cone) else None)
    if wall_at_most_mm is not None and (wall is None or wall > wall_at_most_mm + RAN_ON_MM):
        wall = float(wall_at_most_mm)
    if wall is not None:
        behind = back > 1e-6
        limit = np.full_like(r, np.inf)
        limit[behind] = wall / back[behind]
        r = np.minimum(r, limit)
    x = prof[:, :k_in][~np.isnan(prof[:, :k_in])]
    noise = float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) > 4 else 40.0
    return Outline(np.asarray(centre, float), dirs, r, trusted, inside, noise)


SHORT_OF_STACK_MM = 3.0
SIDE_WALL_COS = np.cos(np.radians(45.0))


def consistent_outlines(outlines: list[Outline], left: np.ndarray) -> list[Outline]:
    """The outlines of a stack (same rays, successive heights) with each ray's outlier in
    height replaced by its neighbours' median (and no longer trusted): the thorax T12's
    outline at mid-height stopped 5 mm from the centre on one side, on a sclerotic
    trabecula, and a needle tip well inside the bone was judged outside the body.

    A side wall (within 45 degrees of ``left`` or right) found more than 3 mm inside the
    whole stack's median is replaced by that median too: on noisy osteoporotic bone the
    ray stops on trabeculae at several heights in a row (TPTBox L3: four of eleven, 6 mm
    from the centre with the wall at 21 mm), and the median of five neighbours is then one
    of them. Not the posterior wall (the canal's front and the basivertebral foramen vary
    with height) nor the anterior one (osteophytes)."""
    radii = np.array([o.radii for o in outlines])
    whole = np.median(radii, axis=0)
    side = np.abs(outlines[0].directions @ left) >= SIDE_WALL_COS
    short = (radii < whole - SHORT_OF_STACK_MM) & side[None, :]
    # the short side walls do not vote on their neighbours in height: next to the
    # endplate, where the body flares, the side wall found at the lowest height (TPTBox
    # L3, 24.5 mm out, the mask's 24.75) differed from the median of it and two short
    # neighbours (12 mm) and took the stack's median, 3 mm inside the bone's surface
    radii, odd = consistent_in_height(np.where(short, np.nan, radii))
    radii = np.where(short, whole, radii)
    odd |= short
    return [Outline(o.centre, o.directions, r, o.trusted & ~k, o.inside_hu, o.noise_hu)
            for o, r, k in zip(outlines, radii, odd)]


ENDPLATE_REACH_MM = 32.0       # how far the endplate search runs from its start
NEAR_EXPECTED_MM = 5.0         # an endplate sought where expected: this far either side
HUMP_TO_SURFACE_MM = 1.0       # from the hump's peak to the endplate's outer surface
MIN_RISE_HU = 30.0             # an endplate's hump on the rays' mean profile, over the core
MIN_RISE_NEAR_HU = 10.0        # ... where it is expected


def endplate_points(volume: Volume, frame: Frame, outline: Outline, scale: float = 0.55,
                    n: int = 12, max_mm: float = ENDPLATE_REACH_MM,
                    near_mm: tuple[float, float] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Outer surfaces of the superior and inferior endplates above and below points
    inside the outline (the centre and a ring at ``scale`` of the outline); with
    ``near_mm``, sought first near those distances above and below the outline
    (``endplate_distances``)."""
    idx = np.linspace(0, len(outline.radii), n, endpoint=False).astype(int)
    ring = outline.centre + outline.directions[idx] * (scale * outline.radii[idx, None])
    starts = np.vstack([outline.centre, ring])
    out = []
    for sign, near in zip((1.0, -1.0), near_mm or (None, None)):
        t = endplate_distances(volume, starts, sign * frame.cranial, outline.inside_hu,
                               outline.noise_hu, max_mm, near)
        ok = np.isfinite(t)
        out.append((starts[ok] + sign * frame.cranial * t[ok, None]).reshape(-1, 3))
    return out[0], out[1]


def endplate_distances(volume: Volume, starts: np.ndarray, direction: np.ndarray,
                       inside_hu: float, noise_hu: float,
                       max_mm: float = ENDPLATE_REACH_MM, near_mm: float | None = None
                       ) -> np.ndarray:
    """Distance from each start (inside the body) along ``direction`` to the endplate's
    outer surface; NaN where a ray does not find it. With ``near_mm`` (where it is
    expected), the endplate is sought first within ``NEAR_EXPECTED_MM`` of that distance,
    where a fainter one will do, and only then anywhere.

    The endplate-to-disc contrast is low on clinical CT and thick slices blur it along
    the axis, so the endplate is first found on the profile averaged over all the rays
    (texture and noise average out), then on each ray near that height."""
    starts = np.atleast_2d(np.asarray(starts, float))
    radii = np.arange(0.0, max_mm, RAY_STEP_MM)
    pts = starts[:, None, :] + np.asarray(direction, float)[None, None, :] * \
        radii[None, :, None]
    raw = volume.sample(pts.reshape(-1, 3)).reshape(len(starts), len(radii))
    raw[raw < -1500] = np.nan
    prof = smooth(raw, 1.0 / RAY_STEP_MM)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(prof, axis=0)
    out = np.full(len(starts), np.nan)
    within = (0.0, np.inf) if near_mm is None else \
        (near_mm - NEAR_EXPECTED_MM, near_mm + NEAR_EXPECTED_MM)
    # where expected, a fainter hump will do: a tilted faint endplate averages to one
    # (abdomen L2's superior, 15 HU above the core's median on the mean of rays that
    # each rise 50-90 HU to it, 4-13 mm up; the 30 HU asked took the next level's)
    least = MIN_RISE_HU if near_mm is None else MIN_RISE_NEAR_HU
    noise = 2.5 * noise_hu / np.sqrt(len(starts))
    k_peak = _first_hump(mean, radii, inside_hu, max(least, noise), within)
    if k_peak is None and near_mm is not None:
        # none where expected: the frame moved since (a round's full step)
        k_peak = _first_hump(mean, radii, inside_hu, max(MIN_RISE_HU, noise))
    if k_peak is None:
        return out
    for n_ray, p in enumerate(prof):
        t = _inner_rise_near(p, radii, k_peak, inside_hu, search_mm=3.0)
        if t is not None:
            out[n_ray] = t
    return out


def _first_hump(p: np.ndarray, radii: np.ndarray, inside: float, rise: float,
                within: tuple[float, float] = (0.0, np.inf), beyond_mm: float = 8.0
                ) -> int | None:
    """Index of the first local maximum at least ``rise`` above ``inside`` that falls back
    by 30 % of its height (or 25 HU) within ``beyond_mm``: an endplate and its disc; or,
    where it is cortex, dips by ``DISC_DIP_HU`` before the profile rises above it: the
    disc between two endplates blurred together (``_disc_before_next_hump``). Only
    from 2 mm on, and whose outer surface (about ``HUMP_TO_SURFACE_MM`` beyond) lies
    ``within`` the range of distances given."""
    step = float(radii[1] - radii[0])
    win = int(beyond_mm / step)
    k = int(max(2.0, within[0] - HUMP_TO_SURFACE_MM) / step)
    last = (within[1] - HUMP_TO_SURFACE_MM) / step
    m = len(p)
    while k < m:
        above = np.nonzero(p[k:] >= inside + rise)[0]
        if len(above) == 0:
            return None
        k += above[0]
        while k + 1 < m and not np.isnan(p[k + 1]) and p[k + 1] > p[k]:
            k += 1
        if k > last:
            return None
        seg = p[k + 1:min(m, k + win + 1)]
        if len(seg) == 0 or np.all(np.isnan(seg)):
            return None
        if p[k] - np.nanmin(seg) >= max(25.0, 0.3 * (p[k] - inside)):
            return k
        if p[k] >= CORTEX_MIN_PEAK_HU and _disc_before_next_hump(seg, p[k]):
            return k
        nxt = np.nonzero(p[k + 1:] < p[k] - 1e-6)[0]
        k = k + 1 + (nxt[0] if len(nxt) else m)
    return None


DISC_DIP_HU = 10.0
# the dip rule only for a hump that is cortex (as the canal's thinnest wall): in fatty
# osteoporotic marrow (TPTBox L3, 25 HU) trabecular humps of 60 HU have dips too
CORTEX_MIN_PEAK_HU = 120.0


def _disc_before_next_hump(seg: np.ndarray, peak: float) -> bool:
    """Whether the profile beyond a hump dips by ``DISC_DIP_HU`` and then rises above the
    hump: two endplates with a thin disc between them, blurred together by thick slices
    (thorax T12, 1.5 mm: its superior endplate at 162 HU, a dip of 12 HU, T11's inferior
    endplate at 227 HU 5 mm further; the fall test passed over it and the height took in
    the disc)."""
    v = np.nan_to_num(seg, nan=-np.inf)
    higher = np.nonzero(v > peak)[0]
    if len(higher) == 0 or higher[0] == 0:
        return False
    return bool(peak - np.min(seg[:higher[0]]) >= DISC_DIP_HU)


def _half_crossing_near(p: np.ndarray, radii: np.ndarray, k_expect: int, search_mm: float,
                        beyond_mm: float, min_fall: float, floor: float = -np.inf
                        ) -> float | None:
    """Outer half-maximum crossing of the peak nearest ``k_expect`` on one profile."""
    step = float(radii[1] - radii[0])
    m = len(p)
    lo = max(0, k_expect - int(search_mm / step))
    hi = min(m, k_expect + int(search_mm / step) + 1)
    window = p[lo:hi]
    if np.all(np.isnan(window)):
        return None
    k = lo + int(np.nanargmax(window))
    hit = outer_crossing(p, k, int(beyond_mm / step), min_fall, floor)
    return None if hit is None else float(radii[hit[0]] + step * hit[1])


def _inner_rise_near(p: np.ndarray, radii: np.ndarray, k_expect: int, inside: float,
                     search_mm: float) -> float | None:
    """The endplate's outer surface from its inner side: where the profile rises half-way
    from the cancellous core to the endplate's peak, plus the cortex's thickness.

    The far side is no guide: a thin disc between two blurred endplates leaves no dip,
    and the crossing beyond the peak lands on the next vertebra's endplate."""
    step = float(radii[1] - radii[0])
    lo = max(0, k_expect - int(search_mm / step))
    hi = min(len(p), k_expect + int(search_mm / step) + 1)
    window = p[lo:hi]
    if np.all(np.isnan(window)):
        return None
    k = lo + int(np.nanargmax(window))
    level = 0.5 * (inside + p[k])
    if not p[k] - inside >= 20.0:
        return None
    below = np.nonzero(~(p[:k] >= level))[0]
    if len(below) == 0:
        return None
    j = below[-1]                       # last sample below the level before the peak
    v0, v1 = p[j], p[j + 1]
    frac = (level - v0) / (v1 - v0) if np.isfinite(v0) and v1 != v0 else 0.0
    return float(radii[j] + step * np.clip(frac, 0.0, 1.0)) + ENDPLATE_CORTEX_MM


def fit_plane(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Least-squares plane: (centroid, unit normal, rms residual in mm)."""
    c = points.mean(axis=0)
    _, s, vt = np.linalg.svd(points - c)
    normal = vt[2]
    rms = float(s[2] / np.sqrt(len(points)))
    return c, normal, rms


def robust_plane(points: np.ndarray, tol_mm: float = 1.5) -> tuple[np.ndarray, np.ndarray,
                                                                   float, int]:
    """Plane fit that drops points further than ``tol_mm`` from a first fit."""
    if len(points) < 3:
        raise ValueError("too few points for a plane")
    c, n, rms = fit_plane(points)
    d = np.abs((points - c) @ n)
    keep = d <= max(tol_mm, 2.0 * np.median(d))
    if keep.sum() >= 3 and keep.sum() < len(points):
        c, n, rms = fit_plane(points[keep])
    return c, n, rms, int(keep.sum())
