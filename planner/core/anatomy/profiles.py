"""Ray profiles through the CT and wall detection at half maximum.

Thin cortex on clinical CT is blurred to 150-300 HU, so a fixed bone threshold misplaces
or loses it. A wall is found instead where the profile crosses half-way between the value
on one side (the canal, the cancellous core) and the wall's own peak (DESIGN.md).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from planner.core.volume import Volume

OUTSIDE_FOV_HU = -1500.0   # anything below is a scanner's "no data" fill, not air


def sample_rays(volume: Volume, origins: np.ndarray, directions: np.ndarray,
                radii: np.ndarray) -> np.ndarray:
    """HU along rays: origins (n, 3) or (3,), directions (n, 3), radii (m,) -> (n, m).

    Points outside the grid or in the scanner's no-data fill come back as NaN."""
    o = np.broadcast_to(np.asarray(origins, float), directions.shape)
    pts = o[:, None, :] + directions[:, None, :] * radii[None, :, None]
    vals = volume.sample(pts.reshape(-1, 3)).reshape(len(directions), len(radii))
    vals[vals < OUTSIDE_FOV_HU] = np.nan
    return vals


def smooth(profiles: np.ndarray, sigma_samples: float) -> np.ndarray:
    """Gaussian smoothing along each profile; NaN stays NaN."""
    if sigma_samples <= 0:
        return profiles
    nan = np.isnan(profiles)
    filled = np.where(nan, np.nanmedian(profiles) if np.any(~nan) else 0.0, profiles)
    out = gaussian_filter1d(filled, sigma_samples, axis=-1, mode="nearest")
    out[nan] = np.nan
    return out


@dataclass
class Edge:
    """Where a wall was found along one profile (NaN when it was not)."""

    position: np.ndarray   # radius of the half-maximum crossing, mm
    peak: np.ndarray       # HU at the wall's peak
    peak_position: np.ndarray
    found: np.ndarray      # bool


def wall_from_inside(profiles: np.ndarray, radii: np.ndarray, inside: np.ndarray,
                     min_rise: np.ndarray | float, start: float = 0.0,
                     outer: bool = True, window_mm: float = 4.0,
                     min_peak: float = -np.inf, floor: float = -np.inf) -> Edge:
    """For each profile, the first wall met going outward from ``start``.

    The wall is the first local maximum that rises at least ``min_rise`` above ``inside``
    (the value on the near side) and reaches ``min_peak``. With ``outer`` the edge is the
    half-maximum crossing on the wall's far side (between the peak and the lowest value
    within ``window_mm`` beyond it, no lower than ``floor``): the outer surface of a
    cortex. Otherwise it is the crossing on the near side, half-way between the peak and
    the lowest value within ``window_mm`` before it: where a cavity (the canal) ends."""
    n = profiles.shape[0]
    step = float(radii[1] - radii[0])
    inside = np.broadcast_to(np.asarray(inside, float), (n,))
    rise = np.broadcast_to(np.asarray(min_rise, float), (n,))
    thresh = np.maximum(inside + rise, min_peak)
    k0 = int(np.searchsorted(radii, start))
    win = max(1, int(round(window_mm / step)))
    j, frac, k = _walls_kernel()(np.ascontiguousarray(profiles, dtype=np.float64), k0,
                                 np.ascontiguousarray(thresh), win, outer, float(floor))
    found = j >= 0
    pos = np.where(found, radii[np.maximum(j, 0)] + step * frac, np.nan)
    peak = np.where(found, profiles[np.arange(n), np.maximum(k, 0)], np.nan)
    peak_pos = np.where(found, radii[np.maximum(k, 0)], np.nan)
    return Edge(pos, peak, peak_pos, found)


def _first_walls(profiles, k0, thresh, win, outer, floor):   # pragma: no cover - compiled
    """Per profile (sample j, fraction toward j+1 of the half-maximum crossing, peak
    sample k) of the first wall at or above ``thresh[r]`` from sample ``k0``; j = -1 where
    there is none. Written as plain loops for numba: the model runs it on ~10^4 rays."""
    n, m = profiles.shape
    js = np.full(n, -1, np.int64)
    ks = np.full(n, -1, np.int64)
    fr = np.zeros(n)
    for r in range(n):
        p = profiles[r]
        k = -1
        for i in range(k0, m):
            if p[i] >= thresh[r]:
                k = i
                break
        if k < 0:
            continue
        while k + 1 < m and not np.isnan(p[k + 1]) and p[k + 1] > p[k]:
            k += 1                                   # climb to the wall's local maximum
        low = np.inf
        lo, hi = (k + 1, min(m, k + win + 1)) if outer else (max(k0, k - win), k + 1)
        for i in range(lo, hi):
            if not np.isnan(p[i]) and p[i] < low:
                low = p[i]
        if low == np.inf:
            continue
        if outer and low < floor:
            low = floor
        half = (p[k] + low) / 2.0
        j = k
        if outer:    # beyond the peak: the outer surface of a cortex
            if p[k] < low:
                continue
            while j + 1 < m and not np.isnan(p[j + 1]) and p[j + 1] > half:
                j += 1
            if j + 1 >= m or np.isnan(p[j + 1]):
                continue
            a, b = p[j], p[j + 1]
            js[r], ks[r] = j, k
            fr[r] = (a - half) / (a - b) if a != b else 0.0
        else:        # before the peak: where a cavity ends
            while j - 1 >= k0 and p[j - 1] > half:
                j -= 1
            if j - 1 < 0:
                continue
            a, b = p[j - 1], p[j]
            js[r], ks[r] = j - 1, k
            fr[r] = (half - a) / (b - a) if a != b else 1.0
    return js, fr, ks


_KERNEL = None


def _walls_kernel():
    """``_first_walls`` compiled by numba (cached on disk where it can be); the plain
    function without numba."""
    global _KERNEL
    if _KERNEL is None:
        try:
            import numba
        except ImportError:
            _KERNEL = _first_walls
        else:
            try:
                _KERNEL = numba.njit(cache=True)(_first_walls)
            except RuntimeError:     # no place to cache (a frozen application)
                _KERNEL = numba.njit(_first_walls)
    return _KERNEL


def outer_crossing(p: np.ndarray, k: int, win: int, min_fall: float = 0.0,
                   floor: float = -np.inf) -> tuple[int, float] | None:
    """Half-maximum crossing beyond the peak at sample k, between the peak and the lowest
    value within ``win`` samples after it (no lower than ``floor``): (sample j,
    fraction toward j+1); None if the profile does not fall by ``min_fall`` or runs out."""
    m = len(p)
    seg = p[k + 1:min(m, k + win + 1)]
    if len(seg) == 0 or np.all(np.isnan(seg)):
        return None
    low = max(float(np.nanmin(seg)), floor)
    if p[k] - low < min_fall:
        return None
    half = (p[k] + low) / 2.0
    j = k
    while j + 1 < m and not np.isnan(p[j + 1]) and p[j + 1] > half:
        j += 1
    if j + 1 >= m or np.isnan(p[j + 1]):
        return None
    a, b = p[j], p[j + 1]
    return j, (a - half) / (a - b) if a != b else 0.0


def circular_median_fill(values: np.ndarray, found: np.ndarray, width: int = 5,
                         max_jump: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Repair a closed outline given as radii on evenly spaced angles: rays with no wall,
    or that jump more than ``max_jump`` from their circular median, take that median.
    Returns (radii, trusted) where trusted marks the rays kept as measured."""
    n = len(values)
    v = np.where(found, values, np.nan)
    idx = (np.arange(n)[:, None] + np.arange(-width, width + 1)[None, :]) % n
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # all-NaN windows -> NaN
        med = np.nanmedian(v[idx], axis=1)
    trusted = found.copy()
    if max_jump is not None:
        trusted &= np.abs(v - med) <= max_jump
    out = np.where(trusted, v, med)
    if np.any(np.isnan(out)):
        good = ~np.isnan(out)
        if not np.any(good):
            return out, trusted
        ang = np.arange(n)
        out = np.interp(ang, ang[good], out[good], period=n)
    return out, trusted


def polygon_centroid(points: np.ndarray) -> np.ndarray:
    """Area centroid of a closed planar polygon given as (n, 3) points in order (a
    star-shaped outline from rays): unlike the mean of the points it does not lean toward
    where the rays are dense."""
    ref = points.mean(axis=0)
    p, q = points - ref, np.roll(points, -1, axis=0) - ref
    tri = np.cross(p, q)
    normal = tri.sum(axis=0)
    norm = np.linalg.norm(normal)
    if norm == 0:
        return ref
    w = tri @ (normal / norm)
    return ref + ((p + q) / 3.0 * w[:, None]).sum(axis=0) / w.sum()


@dataclass
class StarOutline:
    """A closed planar outline seen from ``centre``: one radius per ray direction."""

    centre: np.ndarray
    directions: np.ndarray
    radii: np.ndarray

    @property
    def points(self) -> np.ndarray:
        return self.centre + self.directions * self.radii[:, None]

    @property
    def centroid(self) -> np.ndarray:
        return polygon_centroid(self.points)

    def contains(self, point: np.ndarray) -> bool:
        """Whether a point (projected onto the outline's plane) lies inside it, by the
        radius of the nearest ray."""
        d = np.asarray(point, float) - self.centre
        normal = np.cross(self.directions[0], self.directions[len(self.directions) // 4])
        d = d - (d @ normal) / (normal @ normal) * normal
        r = float(np.linalg.norm(d))
        return r == 0.0 or r < self.radii[int(np.argmax(self.directions @ (d / r)))]


def consistent_in_height(radii: np.ndarray, window: int = 5, tol_mm: float = 2.0
                         ) -> tuple[np.ndarray, np.ndarray]:
    """A stack of outlines' radii (sections at successive heights, same rays) with each
    radius that differs by more than ``tol_mm`` from the median of its ray over
    ``window`` sections around it replaced by that median; and where that was done.
    NaN radii (known wrong) neither vote nor are repaired.

    Walls run smoothly along the spine's axis, but a ray in one plane can stop on a
    sclerotic trabecula or run through a vein's foramen into the marrow."""
    radii = np.asarray(radii, float)
    half = window // 2
    out = radii.copy()
    odd = np.zeros(radii.shape, bool)
    for n in range(len(radii)):
        near = radii[max(0, n - half):n + half + 1]
        if len(near) < 3:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)    # all-NaN: nothing to repair
            med = np.nanmedian(near, axis=0)
        odd[n] = np.abs(radii[n] - med) > tol_mm
        out[n] = np.where(odd[n], med, radii[n])
    return out, odd
