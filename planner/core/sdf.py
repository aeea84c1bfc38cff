"""Signed distance primitives (negative inside, mm) and a partial-volume painter.

Used by the synthetic CT generator: anatomy is described by signed distances and turned
into voxels the way a scanner sees it (supersampled partial volume).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

Array = np.ndarray


def ellipse(x: Array, y: Array, a: float, b: float) -> Array:
    """Approximate signed distance to an ellipse with semi-axes a, b (exact on the
    boundary's normal direction to first order; good to ~0.1 mm for the shapes used)."""
    k0 = np.sqrt((x / a) ** 2 + (y / b) ** 2)
    k1 = np.sqrt((x / (a * a)) ** 2 + (y / (b * b)) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = k0 * (k0 - 1.0) / k1
    return np.where(k1 > 1e-9, d, -min(a, b))


def segment_distance(p: Array, a: Array, b: Array) -> Array:
    """Distance from points p (..., 3) to the segment a-b."""
    ab = (np.asarray(b, float) - np.asarray(a, float)).astype(np.float32)
    x, y, z = (p[..., n] - np.float32(a[n]) for n in range(3))
    t = np.clip((x * ab[0] + y * ab[1] + z * ab[2]) / np.float32(ab @ ab), 0.0, 1.0)
    return np.sqrt((x - t * ab[0]) ** 2 + (y - t * ab[1]) ** 2 + (z - t * ab[2]) ** 2)


def capsule(p: Array, a: Array, b: Array, r: float) -> Array:
    return segment_distance(p, np.asarray(a, float), np.asarray(b, float)) - r


def box(local: Array, half: Sequence[float]) -> Array:
    """Signed distance to an axis-aligned box centred at 0 in local coordinates."""
    q = np.abs(local) - np.asarray(half, float)
    outside = np.linalg.norm(np.maximum(q, 0.0), axis=-1)
    inside = np.minimum(np.max(q, axis=-1), 0.0)
    return outside + inside


def union(q: Array, parts: Sequence[tuple[Callable[[Array], Array], Array, Array]],
          margin: float = 3.0) -> Array:
    """Signed distance to the union of parts, each given with its (lo, hi) box in the
    coordinates of ``q``; a part is evaluated only inside its box (plus ``margin``), so far
    from every part the value is clamped to ``margin``. Cheap unions of many small parts:
    the box test narrows the candidates one axis at a time."""
    flat = q.reshape(-1, 3)
    axes = [np.ascontiguousarray(flat[:, n]) for n in range(3)]
    d = np.full(len(flat), margin, np.float32)
    for fn, lo, hi in parts:
        lo, hi = np.asarray(lo) - margin, np.asarray(hi) + margin
        idx = np.flatnonzero((axes[0] >= lo[0]) & (axes[0] <= hi[0]))
        for n in (1, 2):
            c = axes[n][idx]
            idx = idx[(c >= lo[n]) & (c <= hi[n])]
        if idx.size:
            d[idx] = np.minimum(d[idx], fn(flat[idx]))
    return d.reshape(q.shape[:-1])


class Painter:
    """Paints tissues into an axis-aligned output grid with supersampled partial volume.

    ``hu`` is the float32 output (k, j, i); voxel centre (i, j, k) sits at
    ``origin + (i, j, k) * spacing`` in LPS (identity direction).
    """

    def __init__(self, hu: Array, origin: Array, spacing: Array):
        self.hu = hu
        self.origin = np.asarray(origin, float)
        self.spacing = np.asarray(spacing, float)

    def _index_box(self, lo: Array, hi: Array) -> tuple[slice, slice, slice] | None:
        nk, nj, ni = self.hu.shape
        a = np.floor((np.asarray(lo) - self.origin) / self.spacing).astype(int) - 1
        b = np.ceil((np.asarray(hi) - self.origin) / self.spacing).astype(int) + 2
        a = np.maximum(a, 0)
        b = np.minimum(b, [ni, nj, nk])
        if np.any(b <= a):
            return None
        return slice(a[2], b[2]), slice(a[1], b[1]), slice(a[0], b[0])

    def paint_prism(self, sdf2d: Callable[[Array, Array], Array], lo: Array, hi: Array,
                    layers: Sequence[tuple[float, float | Array]], ss: int = 2) -> None:
        """Like ``paint`` for a shape extruded along z over the box: the partial volume is
        computed once on one slice and applied to every slice of the box."""
        sl = self._index_box(lo, hi)
        if sl is None:
            return
        ks, js, is_ = sl
        offs = (np.arange(ss) + 0.5) / ss - 0.5
        x = self.origin[0] + (np.arange(is_.start, is_.stop)[:, None] + offs).ravel() \
            * self.spacing[0]
        y = self.origin[1] + (np.arange(js.start, js.stop)[:, None] + offs).ravel() \
            * self.spacing[1]
        d = sdf2d(x[None, :].astype(np.float32), y[:, None].astype(np.float32))
        ramp = float(np.hypot(*self.spacing[:2])) / ss / np.sqrt(2.0)
        nj, ni = js.stop - js.start, is_.stop - is_.start
        region = self.hu[sl]
        for inset, value in layers:
            f = np.clip(0.5 - (d + inset) / ramp, 0.0, 1.0).reshape(nj, ss, ni, ss)
            f = f.mean(axis=(1, 3))[None]
            region += f * (np.float32(value) - region)
        self.hu[sl] = region

    def paint(self, sdf: Callable[[Array], Array], lo: Array, hi: Array,
              layers: Sequence[tuple[float, float | Array]], ss: Sequence[int] = (2, 2, 2)
              ) -> None:
        """Blend tissues of a shape into the voxels of the LPS box [lo, hi].

        ``sdf`` maps points (..., 3) LPS to signed distances in mm. For each
        (inset_mm, value) layer in order, ``value`` is blended by the fraction of each voxel
        lying deeper than ``inset_mm`` inside the shape. The fraction is exact (0 or 1) far
        from the surface and supersampled ``ss`` times per axis in a narrow band around it.
        A value may be an array shaped like the whole output (a texture).
        """
        sl = self._index_box(lo, hi)
        if sl is None:
            return
        ks, js, is_ = sl
        x = (self.origin[0] + np.arange(is_.start, is_.stop) * self.spacing[0])
        y = (self.origin[1] + np.arange(js.start, js.stop) * self.spacing[1])
        z = (self.origin[2] + np.arange(ks.start, ks.stop) * self.spacing[2])
        pts = np.stack(np.broadcast_arrays(x[None, None, :], y[None, :, None],
                                           z[:, None, None]), axis=-1).astype(np.float32)
        d0 = sdf(pts).astype(np.float32)
        half_diag = 0.5 * float(np.linalg.norm(self.spacing))
        insets = np.array([inset for inset, _ in layers], np.float32)
        band = np.zeros(d0.shape, bool)
        for inset in insets:
            band |= np.abs(d0 + inset) < half_diag + 0.05
        fine = self.spacing / np.array(ss, float)
        ramp = float(np.linalg.norm(fine)) / np.sqrt(3.0)
        frac_band = None
        if np.any(band):
            offs = np.stack(np.meshgrid(*[(np.arange(n) + 0.5) / n - 0.5 for n in ss],
                                        indexing="ij"), axis=-1).reshape(-1, 3)
            offs = (offs * self.spacing).astype(np.float32)
            sub = pts[band][:, None, :] + offs[None, :, :]
            d_sub = sdf(sub).astype(np.float32)
            frac_band = [np.clip(0.5 - (d_sub + inset) / ramp, 0.0, 1.0).mean(axis=1)
                         for inset in insets]
        region = self.hu[sl]
        for n, (inset, value) in enumerate(layers):
            f = (d0 + inset < 0).astype(np.float32)
            if frac_band is not None:
                f[band] = frac_band[n]
            if not np.any(f):
                continue
            v = value[sl] if isinstance(value, np.ndarray) and value.shape == self.hu.shape \
                else np.float32(value)
            region += f * (v - region)
        self.hu[sl] = region
