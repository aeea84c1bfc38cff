"""The vertebral body: outlines in planes across its height and its endplates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.core.anatomy.frame import Frame
from planner.core.anatomy.profiles import (circular_median_fill, polygon_centroid,
                                           sample_rays, smooth, wall_from_inside)
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
class Outline:
    """A closed body outline in one plane: radii from ``centre`` along ``directions``."""

    centre: np.ndarray
    directions: np.ndarray
    radii: np.ndarray
    trusted: np.ndarray
    inside_hu: float

    @property
    def points(self) -> np.ndarray:
        return self.centre + self.directions * self.radii[:, None]

    @property
    def centroid(self) -> np.ndarray:
        return polygon_centroid(self.points)

    @property
    def fraction_found(self) -> float:
        return float(np.mean(self.trusted))


POSTERIOR_CONE_COS = np.cos(np.radians(25.0))


def body_outline(volume: Volume, frame: Frame, centre: np.ndarray,
                 n_rays: int = N_RAYS) -> Outline:
    """Outer cortical surface of the body in the plane through ``centre`` normal to the
    frame's cranial axis, by rays from the centre (half maximum beyond the cortex).

    Behind the posterior wall the body opens into the pedicles without a cortex between
    them, so the outline is closed by the posterior wall: the wall found by the rays
    within 25 degrees of straight back."""
    dirs, _ = frame.plane_directions(n_rays)
    radii = np.arange(0.0, MAX_BODY_RADIUS_MM, RAY_STEP_MM)
    raw = sample_rays(volume, centre, dirs, radii)
    prof = smooth(raw, 0.75 / RAY_STEP_MM)
    k_in = int(INSIDE_RADIUS_MM / RAY_STEP_MM)
    inside = float(np.nanmedian(prof[:, :k_in])) if np.any(~np.isnan(prof[:, :k_in])) \
        else np.nan
    edge = wall_from_inside(prof, radii, inside, _rise(raw[:, :k_in].ravel()),
                            start=3.0, outer=True)
    r, trusted = circular_median_fill(edge.position, edge.found, width=4, max_jump=6.0)
    back = dirs @ -frame.anterior
    cone = (back >= POSTERIOR_CONE_COS) & trusted
    if np.any(cone):
        wall = float(np.median(r[cone] * back[cone]))
        behind = back > 1e-6
        limit = np.full_like(r, np.inf)
        limit[behind] = wall / back[behind]
        r = np.minimum(r, limit)
    return Outline(np.asarray(centre, float), dirs, r, trusted, inside)


def endplate_points(volume: Volume, frame: Frame, outline: Outline, scale: float = 0.55,
                    n: int = 12, max_mm: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """Outer surfaces of the superior and inferior endplates above and below points
    inside the outline (the centre and a ring at ``scale`` of the outline)."""
    idx = np.linspace(0, len(outline.radii), n, endpoint=False).astype(int)
    ring = outline.centre + outline.directions[idx] * (scale * outline.radii[idx, None])
    starts = np.vstack([outline.centre, ring])
    radii = np.arange(0.0, max_mm, RAY_STEP_MM)
    out = []
    for sign in (1.0, -1.0):
        d = np.broadcast_to(sign * frame.cranial, starts.shape)
        pts = starts[:, None, :] + d[:, None, :] * radii[None, :, None]
        raw = volume.sample(pts.reshape(-1, 3)).reshape(len(starts), len(radii))
        raw[raw < -1500] = np.nan
        prof = smooth(raw, 0.75 / RAY_STEP_MM)
        edge = wall_from_inside(prof, radii, outline.inside_hu,
                                _rise(raw[:, :int(4 / RAY_STEP_MM)].ravel()),
                                start=2.0, outer=True, window_mm=3.0)
        good = edge.found
        out.append(starts[good] + d[good] * edge.position[good, None])
    return out[0], out[1]


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
