"""Digitally reconstructed radiographs: perspective line integrals of attenuation.

The CT is turned once into linear attenuation (per mm, water 0.02/mm at fluoroscopy
energies, air and the scanner's no-data fill 0), optionally block-averaged (a 2x smaller
volume keeps dragging interactive), then each detector pixel's ray from the source is
marched through it with trilinear sampling. A numba kernel does the marching on all cores;
without numba the same integral is computed with scipy's map_coordinates (slower).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.core.carm import CArm
from planner.core.volume import Volume

MU_WATER_PER_MM = 0.02
NO_DATA_HU = -1500.0


@dataclass
class AttenuationVolume:
    mu: np.ndarray            # (k, j, i) float32, per mm
    affine: np.ndarray        # index (i, j, k) -> LPS

    def __post_init__(self) -> None:
        self._layouts: dict[int, AttenuationVolume] = {}

    @property
    def step_mm(self) -> float:
        return float(np.min(np.linalg.norm(self.affine[:3, :3], axis=0)))

    def along(self, axis: int) -> "AttenuationVolume":
        """The same volume stored with index axis ``axis`` (0 i, 1 j, 2 k) contiguous in
        memory: rays running mostly along it then read neighbouring bytes (the march is
        bound by memory, not arithmetic). Kept once made."""
        if axis == 0:
            return self
        if axis not in self._layouts:
            perm = (axis, *(a for a in (0, 1, 2) if a != axis))   # new (i', j', k')
            mu = np.ascontiguousarray(self.mu.transpose([2 - perm[2], 2 - perm[1],
                                                         2 - perm[0]]))
            p = np.eye(4)[:, [*perm, 3]]
            self._layouts[axis] = AttenuationVolume(mu, self.affine @ p)
        return self._layouts[axis]


def attenuation(volume: Volume, downsample: int = 1) -> AttenuationVolume:
    """Linear attenuation from HU; ``downsample`` block-averages by that factor."""
    hu = volume.array.astype(np.float32)
    hu[hu < NO_DATA_HU] = -1000.0
    mu = np.maximum(MU_WATER_PER_MM * (1.0 + hu / 1000.0), 0.0).astype(np.float32)
    affine = volume.affine.copy()
    if downsample > 1:
        f = downsample
        k, j, i = (n // f * f for n in mu.shape)
        mu = mu[:k, :j, :i].reshape(k // f, f, j // f, f, i // f, f).mean(axis=(1, 3, 5))
        scale = np.diag([f, f, f, 1.0]).astype(float)
        shift = np.eye(4)
        shift[:3, 3] = (f - 1) / 2.0
        affine = affine @ shift @ scale
    return AttenuationVolume(np.ascontiguousarray(mu, dtype=np.float32), affine)


def _rays(carm: CArm, size: int) -> np.ndarray:
    """Detector points (size*size, 3) of a size x size image covering the detector."""
    scale = carm.pixels / size
    grid = (np.arange(size) + 0.5) * scale - 0.5
    cols, rows = np.meshgrid(grid, grid)
    return carm.pixel_points(cols, rows).reshape(-1, 3)


def render(att: AttenuationVolume, carm: CArm, size: int | None = None,
           use_numba: bool = True) -> np.ndarray:
    """Line integrals of attenuation, (size, size) float32, row 0 at the top."""
    size = size or carm.pixels
    targets = _rays(carm, size)
    beam = np.linalg.inv(att.affine[:3, :3]) @ carm.detector_direction
    att = att.along(int(np.argmax(np.abs(beam))))
    inv = np.linalg.inv(att.affine)
    kernel = _numba_kernel() if use_numba else None
    if kernel is not None:
        out = np.empty(len(targets), np.float32)
        kernel(att.mu, inv[:3, :].astype(np.float64), carm.source.astype(np.float64),
               targets.astype(np.float64), out)
    else:
        out = _render_scipy(att, inv, carm.source, targets)
    return out.reshape(size, size)


def _clip_to_box(s_i: np.ndarray, d_i: np.ndarray, shape_ijk: np.ndarray,
                 length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slab method in index space: the mm range of each ray inside the grid."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (0.0 - s_i) / d_i
        b = (shape_ijk - 1.0 - s_i) / d_i
    lo = np.where(d_i == 0, np.where((s_i >= 0) & (s_i <= shape_ijk - 1), -np.inf, np.inf),
                  np.minimum(a, b))
    hi = np.where(d_i == 0, np.where((s_i >= 0) & (s_i <= shape_ijk - 1), np.inf, -np.inf),
                  np.maximum(a, b))
    t0 = np.maximum(lo.max(axis=-1), 0.0)
    t1 = np.minimum(hi.min(axis=-1), length)
    return t0, t1


def _render_scipy(att: AttenuationVolume, inv: np.ndarray, source: np.ndarray,
                  targets: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """The same integral with map_coordinates (reference and fallback)."""
    from scipy.ndimage import map_coordinates

    step = att.step_mm
    shape_ijk = np.array(att.mu.shape[::-1], float)
    out = np.zeros(len(targets), np.float32)
    s_i = inv[:3, :3] @ source + inv[:3, 3]
    for a in range(0, len(targets), chunk):
        tg = targets[a:a + chunk]
        d = tg - source
        length = np.linalg.norm(d, axis=1)
        d /= length[:, None]
        d_i = d @ inv[:3, :3].T
        t0, t1 = _clip_to_box(s_i[None, :], d_i, shape_ijk, length)
        n = int(np.ceil(np.max(np.maximum(t1 - t0, 0)) / step)) + 1
        if n <= 1:
            continue
        ts = t0[:, None] + (np.arange(n)[None, :] + 0.5) * step
        valid = ts < t1[:, None]
        pts = s_i[None, None, :] + ts[..., None] * d_i[:, None, :]
        vals = map_coordinates(att.mu, pts.reshape(-1, 3)[:, ::-1].T, order=1,
                               mode="constant", cval=0.0).reshape(ts.shape)
        out[a:a + chunk] = (vals * valid).sum(axis=1) * step
    return out


_KERNEL = None


def _numba_kernel():
    """Compile (once, cached on disk where numba can) the parallel ray-marcher; None
    without numba."""
    global _KERNEL
    if _KERNEL is not None:
        return _KERNEL
    try:
        import numba
    except ImportError:
        return None

    def march(mu, inv, src, targets, out):   # pragma: no cover - compiled
        # Joseph's method: step one slice at a time along the index axis the ray runs
        # most along (stored contiguous by the caller), interpolate bilinearly within
        # the slice, weight by the path length per slice.
        nk, nj, ni = mu.shape
        flat = mu.ravel()
        sj, sk = ni, ni * nj
        sx = inv[0, 0] * src[0] + inv[0, 1] * src[1] + inv[0, 2] * src[2] + inv[0, 3]
        sy = inv[1, 0] * src[0] + inv[1, 1] * src[1] + inv[1, 2] * src[2] + inv[1, 3]
        sz = inv[2, 0] * src[0] + inv[2, 1] * src[1] + inv[2, 2] * src[2] + inv[2, 3]
        lim = (ni - 1.0, nj - 1.001, nk - 1.001)
        for r in numba.prange(targets.shape[0]):
            dx = targets[r, 0] - src[0]
            dy = targets[r, 1] - src[1]
            dz = targets[r, 2] - src[2]
            length = np.sqrt(dx * dx + dy * dy + dz * dz)
            dx /= length
            dy /= length
            dz /= length
            di = (inv[0, 0] * dx + inv[0, 1] * dy + inv[0, 2] * dz,
                  inv[1, 0] * dx + inv[1, 1] * dy + inv[1, 2] * dz,
                  inv[2, 0] * dx + inv[2, 1] * dy + inv[2, 2] * dz)
            out[r] = 0.0
            if abs(di[0]) < 1e-12:
                continue
            s = (sx, sy, sz)
            t0 = 0.0
            t1 = length
            for a in range(3):
                if di[a] == 0.0:
                    if s[a] < 0.0 or s[a] > lim[a]:
                        t1 = -1.0
                else:
                    ta = (0.0 - s[a]) / di[a]
                    tb = (lim[a] - s[a]) / di[a]
                    if ta > tb:
                        ta, tb = tb, ta
                    t0 = max(t0, ta)
                    t1 = min(t1, tb)
            if t1 <= t0:
                continue
            xa = sx + t0 * di[0]
            xb = sx + t1 * di[0]
            if xa > xb:
                xa, xb = xb, xa
            first = int(np.ceil(xa))
            last = int(np.floor(xb))
            if last > ni - 1:
                last = ni - 1
            if first < 0:
                first = 0
            ky = di[1] / di[0]           # change of y and z per slice along x
            kz = di[2] / di[0]
            y = sy + (first - sx) * ky
            z = sz + (first - sx) * kz
            acc = 0.0
            for x in range(first, last + 1):
                j0 = int(y)
                k0 = int(z)
                if j0 >= 0 and k0 >= 0 and j0 < nj - 1 and k0 < nk - 1:
                    fy = y - j0
                    fz = z - k0
                    o = k0 * sk + j0 * sj + x
                    c0 = flat[o] + fy * (flat[o + sj] - flat[o])
                    c1 = flat[o + sk] + fy * (flat[o + sk + sj] - flat[o + sk])
                    acc += c0 + fz * (c1 - c0)
                y += ky
                z += kz
            out[r] = acc / abs(di[0])

    try:
        _KERNEL = numba.njit(parallel=True, fastmath=True, cache=True)(march)
    except RuntimeError:    # no place to cache (e.g. a frozen application without sources)
        _KERNEL = numba.njit(parallel=True, fastmath=True)(march)
    return _KERNEL


BODY_INTEGRAL = 1.0       # rays below this crossed little more than air


def to_display(line_integrals: np.ndarray, invert: bool = False,
               centre_fraction: float = 0.5) -> np.ndarray:
    """uint8 image like a fluoroscope: log-domain (line integral) window, bone dark and
    air white (``invert`` makes bone bright). The window is set on the rays through the
    body in the central part of the image, where the level (the isocentre) is, so the
    vertebra keeps its contrast when the liver or the heart fill the rest."""
    li = line_integrals.astype(np.float64)
    h, w = li.shape
    mh, mw = int(h * (1 - centre_fraction) / 2), int(w * (1 - centre_fraction) / 2)
    centre = li[mh:h - mh, mw:w - mw]
    body = centre[centre > BODY_INTEGRAL]
    if body.size < 16:
        body = li[li > BODY_INTEGRAL] if np.count_nonzero(li > BODY_INTEGRAL) >= 16 \
            else li.ravel()
    lo, hi = np.percentile(body, [1.0, 99.5])
    img = 1.0 - np.clip((li - lo) / max(hi - lo, 1e-12), 0.0, 1.0)
    if invert:
        img = 1.0 - img
    return (img * 255.0 + 0.5).astype(np.uint8)
