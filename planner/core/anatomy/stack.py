"""Star-shaped outlines stacked along an axis, queried as a solid: inside test, signed
distance, extent in a direction at a height. Used for the canal and the vertebral body.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from planner.core.anatomy.frame import Frame


class OutlineStack:
    """Outlines in planes normal to ``frame.cranial``; every outline uses the same ray
    angles (measured in the left-anterior plane from the left axis)."""

    def __init__(self, frame: Frame, centres: np.ndarray, radii: np.ndarray,
                 densify: int = 2):
        self.frame = frame
        self.centres = np.asarray(centres, float)              # (S, 3)
        self.radii = np.asarray(radii, float)                  # (S, N)
        self.heights = (self.centres - frame.origin) @ frame.cranial
        order = np.argsort(self.heights)
        self.centres, self.radii, self.heights = (self.centres[order], self.radii[order],
                                                  self.heights[order])
        n = self.radii.shape[1]
        self.angles = np.arange(n) * 2 * np.pi / n
        fine = np.arange(n * densify) * 2 * np.pi / (n * densify)
        r_fine = np.array([np.interp(fine, self.angles, r, period=2 * np.pi)
                           for r in self.radii])
        dirs = np.cos(fine)[:, None] * frame.left + np.sin(fine)[:, None] * frame.anterior
        pts = self.centres[:, None, :] + r_fine[:, :, None] * dirs[None, :, :]
        self.surface = pts.reshape(-1, 3)
        self._tree = cKDTree(self.surface)

    def _bracket(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For heights h (clamped to the stack): the sections below and above each, and
        the weight of the one above."""
        h = np.clip(h, self.heights[0], self.heights[-1])
        if len(self.heights) == 1:
            i = np.zeros(len(h), int)
            return i, i, np.zeros(len(h))
        i = np.clip(np.searchsorted(self.heights, h) - 1, 0, len(self.heights) - 2)
        h0, h1 = self.heights[i], self.heights[i + 1]
        w = np.where(h1 > h0, (h - h0) / np.where(h1 > h0, h1 - h0, 1.0), 0.0)
        return i, i + 1, w

    def section_at(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Centre and radii interpolated at heights h (clamped to the stack)."""
        i, j, w = self._bracket(h)
        w = w[:, None]
        return (self.centres[i] * (1 - w) + self.centres[j] * w,
                self.radii[i] * (1 - w) + self.radii[j] * w)

    def outline_radius(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For points p (M, 3): (in-plane distance from the section centre, outline radius
        in that direction). Only the two rays either side of each point's direction are
        interpolated between the sections (not every ray: this runs on every needle point
        while a needle is dragged)."""
        p = np.atleast_2d(p)
        i, j, w = self._bracket((p - self.frame.origin) @ self.frame.cranial)
        c = self.centres[i] * (1 - w[:, None]) + self.centres[j] * w[:, None]
        d = p - c
        x, y = d @ self.frame.left, d @ self.frame.anterior
        ang = np.mod(np.arctan2(y, x), 2 * np.pi)
        n = self.radii.shape[1]
        f = ang / (2 * np.pi) * n
        k0 = np.floor(f).astype(int) % n
        k1 = (k0 + 1) % n
        t = f - np.floor(f)
        r0 = self.radii[i, k0] * (1 - w) + self.radii[j, k0] * w
        r1 = self.radii[i, k1] * (1 - w) + self.radii[j, k1] * w
        return np.hypot(x, y), r0 * (1 - t) + r1 * t

    def contains(self, p: np.ndarray) -> np.ndarray:
        """Inside the outline of the point's own height (clamped to the stack's range)."""
        dist, radius = self.outline_radius(p)
        return dist < radius

    def signed_distance(self, p: np.ndarray) -> np.ndarray:
        """Distance to the stacked surface, negative inside (mm)."""
        p = np.atleast_2d(p)
        d, _ = self._tree.query(p)
        return np.where(self.contains(p), -d, d)

    def nearest_signed_distance(self, p: np.ndarray) -> tuple[float, int]:
        """The least of ``signed_distance(p)`` and the index of its point, exactly as that
        gives it, but faster (the needle's clearance is re-judged while it is dragged):
        points outside the stack are queried only within the distance of the one whose
        outline gap is least, a bound on the least distance."""
        p = np.atleast_2d(p)
        dist, radius = self.outline_radius(p)
        inside = dist < radius
        if inside.any():
            idx = np.nonzero(inside)[0]
            d, _ = self._tree.query(p[idx])
            k = int(np.argmax(d))
            return -float(d[k]), int(idx[k])
        first = int(np.argmin(dist - radius))
        bound, _ = self._tree.query(p[first])
        d, _ = self._tree.query(p, distance_upper_bound=float(bound) * (1 + 1e-9) + 1e-9)
        k = int(np.argmin(d))
        return float(d[k]), k

    def extent(self, h: float | np.ndarray, direction: np.ndarray) -> float | np.ndarray:
        """Largest reach of the outline at height(s) h along a unit in-plane direction,
        measured from the frame origin (e.g. the anterior cortex line on a lateral view):
        each section's reach, interpolated between sections (clamped at the ends). The
        radii are median-filtered over 5 rays first: the maximum of noisy radii would be
        biased outward, an optimistic error."""
        key = tuple(np.round(direction, 9))
        reach = self._reach.get(key) if hasattr(self, "_reach") else None
        if reach is None:
            n = self.radii.shape[1]
            idx = (np.arange(n)[:, None] + np.arange(-2, 3)[None, :]) % n
            r = np.median(self.radii[:, idx], axis=2)
            dirs = (np.cos(self.angles)[:, None] * self.frame.left +
                    np.sin(self.angles)[:, None] * self.frame.anterior)
            pts = self.centres[:, None, :] + r[:, :, None] * dirs[None, :, :]
            reach = np.max((pts - self.frame.origin) @ direction, axis=1)
            self._reach = getattr(self, "_reach", {})
            self._reach[key] = reach
        out = np.interp(h, self.heights, reach)
        return float(out) if np.ndim(out) == 0 else out
