"""Synthetic thoracolumbar CT with known anatomy: the built-in sample case and test phantom.

The anatomy is a set of signed-distance shapes in each vertebra's own frame (left,
posterior, cranial), placed along a curved spine with one axially rotated level and one
wedge (Genant grade 2) compression fracture. It is imaged like a scanner would: partial
volume from supersampling, in-plane blur, a slice profile and noise. Everything the later
checks need as ground truth is exposed both as JSON-ready numbers (``truth``) and as
signed-distance functions (``SpinePhantom.canal_sdf`` and friends).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.core import sdf
from planner.core.volume import Volume

# HU of the tissues (CLINICAL.md densities)
HU = {"air": -1000.0, "fat": -90.0, "muscle": 45.0, "organ": 35.0, "csf": 8.0,
      "cord": 35.0, "epidural_fat": -80.0, "disc": 85.0, "cortical": 750.0,
      "cancellous": 105.0, "posterior_cancellous": 160.0, "lung": -850.0, "blood": 42.0,
      "kidney": 32.0}

# Per-level anatomy (mm): body width, depth, height; pedicle width, height, medial angle
# (deg); canal width, depth; transverse process length; disc height below.
LEVELS: dict[str, dict[str, float]] = {
    "T10": dict(W=36, D=29, H=22, pw=7.0, ph=14.0, ang=5, cw=18, cd=16, tp=22, disc=6),
    "T11": dict(W=38, D=30, H=23, pw=7.8, ph=15.0, ang=4, cw=19, cd=16, tp=14, disc=6.5),
    "T12": dict(W=40, D=31, H=24, pw=8.3, ph=15.5, ang=6, cw=20, cd=17, tp=8, disc=7.5),
    "L1": dict(W=42, D=32, H=25, pw=8.7, ph=15.5, ang=12, cw=22, cd=17, tp=18, disc=9),
    "L2": dict(W=44, D=33, H=26, pw=8.9, ph=15.0, ang=13, cw=23, cd=17, tp=24, disc=10),
    "L3": dict(W=46, D=34, H=27, pw=10.3, ph=14.5, ang=16, cw=24, cd=17, tp=28, disc=10),
}
THORACIC_WITH_RIBS = {"T10", "T11", "T12"}
CORD_LEVELS = {"T10", "T11", "T12", "L1"}
CORTEX_MM = 1.0


@dataclass
class PhantomSpec:
    """What to build. Defaults give the built-in sample case."""

    levels: tuple[str, ...] = ("T11", "T12", "L1", "L2")
    spacing: tuple[float, float, float] = (0.75, 0.75, 1.0)   # i, j, k in mm
    seed: int = 0
    wedge_level: str | None = "L1"
    wedge_loss: float = 0.32          # anterior height loss (Genant grade 2: 25-40 %)
    rotated_level: str | None = "T12"
    rotation_deg: float = 8.0
    sagittal_curvature_deg_per_100mm: float = 8.0
    coronal_curvature_deg_per_100mm: float = -4.0
    noise_hu: float = 12.0
    blur_mm: float = 0.4
    supersample: int = 2
    fov_lr_mm: float = 336.0
    fov_ap_mm: float = 240.0
    margin_mm: float = 14.0


@dataclass
class Vertebra:
    """One level's frame and dimensions, with the shapes derived from them."""

    label: str
    center: np.ndarray          # LPS, ellipse centre of the body at mid-height
    left: np.ndarray
    posterior: np.ndarray
    cranial: np.ndarray
    dims: dict[str, float]
    wedge_loss: float = 0.0
    rotation_deg: float = 0.0
    derived: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        d = self.dims
        a, b = d["W"] / 2, d["D"] / 2
        pw = 0.8 * b                      # posterior wall (flat) in the posterior axis
        vc = pw + d["cd"] / 2             # canal centre
        w_p = d["H"] / 2 - d["ph"] / 2 - 1.0   # pedicles sit on the upper body
        v_a, v_b = pw - 9.0, vc + d["cd"] / 2 + 2.0
        th = np.radians(d["ang"])
        ped = {}
        for side, s in (("left", 1.0), ("right", -1.0)):
            def u_at(v: float, s: float = s) -> float:
                return s * (d["cw"] / 2 + d["pw"] / 2 + np.tan(th) * (v - vc))
            ped[side] = (np.array([u_at(v_a), v_a, w_p]), np.array([u_at(v_b), v_b, w_p]))
        self.derived = dict(a=a, b=b, pw=pw, vc=vc, w_p=w_p, v_a=v_a, v_b=v_b, ped=ped,
                            lam_lo=w_p - d["ph"] / 2 - 7.0, lam_hi=w_p + d["ph"] / 2)

    # --- frames -----------------------------------------------------------------------
    @property
    def rotation(self) -> np.ndarray:
        """Columns: left, posterior, cranial unit vectors (local -> LPS)."""
        return np.stack([self.left, self.posterior, self.cranial], axis=1)

    def to_local(self, p: np.ndarray) -> np.ndarray:
        return (p - self.center) @ self.rotation

    def to_world(self, local: np.ndarray) -> np.ndarray:
        return np.asarray(local, float) @ self.rotation.T + self.center

    # --- heights ----------------------------------------------------------------------
    def top(self, v: np.ndarray) -> np.ndarray:
        """Upper endplate height (local w) at posterior coordinate v (wedge lowers the
        front)."""
        d, g = self.dims, self.derived
        frac = np.clip((g["pw"] - v) / (g["pw"] + g["b"]), 0.0, 1.0)
        return d["H"] / 2 - self.wedge_loss * d["H"] * frac

    def heights(self) -> dict[str, float]:
        g, h = self.derived, self.dims["H"]
        return {"anterior_mm": float(self.top(np.array(-g["b"])) + h / 2),
                "middle_mm": float(self.top(np.array((g["pw"] - g["b"]) / 2)) + h / 2),
                "posterior_mm": float(self.top(np.array(g["pw"])) + h / 2)}

    # --- signed distances in local coordinates (u left, v posterior, w cranial) ---------
    def canal_local(self, q: np.ndarray) -> np.ndarray:
        d, g = self.dims, self.derived
        return sdf.ellipse(q[..., 0], q[..., 1] - g["vc"], d["cw"] / 2, d["cd"] / 2)

    def body_local(self, q: np.ndarray) -> np.ndarray:
        d, g = self.dims, self.derived
        u, v, w = q[..., 0], q[..., 1], q[..., 2]
        slope = self.wedge_loss * d["H"] / (g["pw"] + g["b"])
        top = (w - self.top(v)) / np.sqrt(1.0 + slope ** 2)
        return np.maximum.reduce([sdf.ellipse(u, v, g["a"], g["b"]), v - g["pw"], top,
                                  -d["H"] / 2 - w])

    def pedicle_local(self, q: np.ndarray, side: str) -> np.ndarray:
        d = self.dims
        a, b = self.derived["ped"][side]
        axis = (b - a) / np.linalg.norm(b - a)
        lat = np.array([axis[1], -axis[0], 0.0])
        r = q - a
        t = r @ axis
        return np.maximum.reduce([sdf.ellipse(r @ lat, r[..., 2], d["pw"] / 2, d["ph"] / 2),
                                  -t, t - np.linalg.norm(b - a)])

    def _parts(self) -> list[tuple[Any, np.ndarray, np.ndarray]]:
        """Bone parts as (local signed distance, local box lo, hi); each is evaluated only
        inside its own box, which keeps rendering fast."""
        d, g = self.dims, self.derived
        lt = 5.0   # lamina thickness
        parts: list[tuple[Any, np.ndarray, np.ndarray]] = []
        parts.append((self.body_local, np.array([-g["a"], -g["b"], -d["H"] / 2]),
                      np.array([g["a"], g["pw"], d["H"] / 2])))
        for side in ("left", "right"):
            a, b = g["ped"][side]
            r = max(d["pw"], d["ph"]) / 2
            parts.append((lambda q, side=side: self.pedicle_local(q, side),
                          np.minimum(a, b) - r, np.maximum(a, b) + r))
            # the pedicle's root fills the corner between the posterior body wall and the
            # canal, so the canal's wall there is its own ellipse (as the truth says)
            s_ = 1.0 if side == "left" else -1.0
            lo = np.array([d["cw"] / 2 - 7.0, g["pw"] - 3.0, g["w_p"] - d["ph"] / 2 + 1.0])
            hi = np.array([d["cw"] / 2 + 3.0, g["vc"], g["w_p"] + d["ph"] / 2 - 1.0])
            centre = (lo + hi) / 2 * np.array([s_, 1.0, 1.0])
            half = (hi - lo) / 2
            parts.append((lambda q, c=centre, h=half: sdf.box(q - c, h) - 0.0,
                          centre - half, centre + half))

        def ring(q: np.ndarray) -> np.ndarray:
            u, v, w = q[..., 0], q[..., 1], q[..., 2]
            return np.maximum.reduce([
                sdf.ellipse(u, v - g["vc"], d["cw"] / 2 + lt, d["cd"] / 2 + lt),
                g["vc"] - v, w - g["lam_hi"], g["lam_lo"] - w])
        parts.append((ring, np.array([-d["cw"] / 2 - lt, g["vc"], g["lam_lo"]]),
                      np.array([d["cw"] / 2 + lt, g["vc"] + d["cd"] / 2 + lt, g["lam_hi"]])))
        # spinous process: a plate running posteriorly and (thoracic) caudally
        phi = np.radians(28.0 if self.label.startswith("T") else 8.0)
        lam_mid = (g["lam_lo"] + g["lam_hi"]) / 2
        s0 = np.array([0.0, g["vc"] + d["cd"] / 2 + lt - 2.0, lam_mid])
        axis = np.array([0.0, np.cos(phi), -np.sin(phi)])
        up = np.array([0.0, np.sin(phi), np.cos(phi)])
        length = 32.0

        def spinous(q: np.ndarray) -> np.ndarray:
            r = q - s0
            loc = np.stack([r[..., 0], r @ axis - length / 2, r @ up], axis=-1)
            return sdf.box(loc, (3.0, length / 2, 7.0)) - 0.5
        tip = s0 + axis * length
        parts.append((spinous, np.minimum(s0, tip) - 8.5, np.maximum(s0, tip) + 8.5))
        for side, s in (("left", 1.0), ("right", -1.0)):
            _, pb = g["ped"][side]
            x_sup = s * (d["cw"] / 2 + d["pw"] * 0.9)
            x_inf = x_sup - s * 7.0
            capsules = [
                # transverse process
                (pb + np.array([s * 2.0, 2.0, 0.0]),
                 pb + np.array([s * d["tp"], 6.0 + 0.2 * d["tp"], 1.0]), 4.0),
                # superior articular process rises above the pedicle
                (np.array([x_sup, pb[1] + 1.0, g["w_p"]]),
                 np.array([x_sup, pb[1] + 3.0, d["H"] / 2 + 6.0]), 3.2),
                # inferior articular process hangs below the lamina
                (np.array([x_inf, pb[1] + 3.0, g["lam_lo"] + 3.0]),
                 np.array([x_inf, pb[1] + 4.0, -d["H"] / 2 - 7.0]), 3.0)]
            for p0, p1, rad in capsules:
                parts.append((lambda q, p0=p0, p1=p1, rad=rad: sdf.capsule(q, p0, p1, rad),
                              np.minimum(p0, p1) - rad, np.maximum(p0, p1) + rad))
        return parts

    def bone_local(self, q: np.ndarray, margin: float = 3.0) -> np.ndarray:
        """Signed distance to the vertebra's bone (union of parts minus the canal).
        Beyond ``margin`` mm from every part the value is clamped to ``margin``."""
        d = sdf.union(q, self._parts(), margin)
        near = d < margin
        d[near] = np.maximum(d[near], -self.canal_local(q[near]))
        return d

    def local_box(self) -> tuple[np.ndarray, np.ndarray]:
        """Local bounding box of the bone (generous)."""
        d = self.dims
        half_w = max(d["W"] / 2, d["cw"] / 2 + d["pw"] + d["tp"] + 5.0)
        return (np.array([-half_w - 3, -d["D"] / 2 - 3, -d["H"] / 2 - 20]),
                np.array([half_w + 3, self.derived["vc"] + d["cd"] / 2 + 45, d["H"] / 2 + 12]))

    def world_box(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                            for z in (lo[2], hi[2])])
        w = self.to_world(corners)
        return w.min(axis=0), w.max(axis=0)

    def rib_polyline(self, side: str) -> np.ndarray:
        """Centre line of this level's rib (LPS): head at the body, neck past the
        transverse process, then the shaft curving laterally, anteriorly and caudally."""
        d, g = self.dims, self.derived
        s = 1.0 if side == "left" else -1.0
        head = np.array([s * g["a"] * 0.75, g["pw"] - 3.0, d["H"] / 2 - 5.0])
        neck = np.array([s * (d["cw"] / 2 + d["pw"] + 10.0), g["vc"] + 12.0, d["H"] / 2 - 8.0])
        r = 112.0
        t0 = np.arcsin(abs(neck[0]) / r)
        yc = neck[1] - r * np.cos(t0)
        sweep = {"T10": 1.6, "T11": 1.4, "T12": 1.0}.get(self.label, 1.0)
        t = np.linspace(t0, t0 + sweep, 10)
        shaft = np.stack([s * r * np.sin(t), yc + r * np.cos(t),
                          neck[2] - 5.0 * np.arange(1, len(t) + 1)], axis=-1)
        return self.to_world(np.vstack([head, neck, shaft]))


def _frames(spec: PhantomSpec) -> list[Vertebra]:
    """Place the levels along a gently curved spine (not axis-aligned)."""
    rng = np.random.default_rng(spec.seed)
    dims = []
    for label in spec.levels:
        base = dict(LEVELS[label])
        scale = 1.0 + rng.uniform(-0.03, 0.03)
        for key in ("W", "D", "H"):
            base[key] *= scale
        dims.append(base)
    # arc length of each body centre, from the top
    s_c = [0.0]
    for n in range(1, len(dims)):
        s_c.append(s_c[-1] + dims[n - 1]["H"] / 2 + dims[n - 1]["disc"] + dims[n]["H"] / 2)
    s_c = np.array(s_c)
    s_c -= s_c.mean()
    ka = np.radians(spec.sagittal_curvature_deg_per_100mm) / 100.0
    kg = np.radians(spec.coronal_curvature_deg_per_100mm) / 100.0
    a0, g0 = np.radians(-3.0), np.radians(2.5)
    ds = 0.5
    grid = np.arange(s_c.min() - 1, s_c.max() + 1 + ds, ds)

    def tangent(s: np.ndarray) -> np.ndarray:
        alpha, gamma = a0 + ka * s, g0 + kg * s
        # going caudally (increasing s) the centre moves -z; tilts move it in x and y
        t = np.stack([np.sin(gamma), np.sin(alpha), np.ones_like(s)], axis=-1)
        return t / np.linalg.norm(t, axis=-1, keepdims=True)

    steps = -tangent(grid)       # caudal direction
    pos = np.cumsum(steps * ds, axis=0)
    pos -= np.interp(0.0, grid, np.arange(len(grid))) * 0 + pos[np.argmin(np.abs(grid))]
    out = []
    for label, d, s in zip(spec.levels, dims, s_c):
        c = np.array([np.interp(s, grid, pos[:, i]) for i in range(3)])
        c += np.array([0.0, 20.0, 0.0])          # spine sits posterior in the torso
        cranial = tangent(np.array([s]))[0]
        left0 = np.array([1.0, 0.0, 0.0]) - cranial[0] * cranial
        left0 /= np.linalg.norm(left0)
        post0 = np.cross(cranial, left0)
        rot = np.radians(spec.rotation_deg if label == spec.rotated_level else
                         rng.uniform(-1.5, 1.5))
        left = np.cos(rot) * left0 + np.sin(rot) * post0
        post = np.cross(cranial, left)
        out.append(Vertebra(label, c, left, post, cranial, d,
                            spec.wedge_loss if label == spec.wedge_level else 0.0,
                            float(np.degrees(rot))))
    return out


class SpinePhantom:
    """The analytic anatomy; ``render()`` images it into a CT Volume."""

    def __init__(self, spec: PhantomSpec | None = None):
        self.spec = spec or PhantomSpec()
        self.vertebrae = _frames(self.spec)
        self.torso = (160.0, 112.0)   # skin ellipse semi-axes (x, y), centred at 0

    # --- analytic queries (LPS points (..., 3)) ----------------------------------------
    def vertebra(self, label: str) -> Vertebra:
        return next(v for v in self.vertebrae if v.label == label)

    def canal_sdf(self, p: np.ndarray, label: str) -> np.ndarray:
        """Signed distance to the spinal canal of one level (infinite along its axis)."""
        v = self.vertebra(label)
        return v.canal_local(v.to_local(p))

    def bone_sdf(self, p: np.ndarray, label: str) -> np.ndarray:
        v = self.vertebra(label)
        return v.bone_local(v.to_local(p))

    def body_sdf(self, p: np.ndarray, label: str) -> np.ndarray:
        v = self.vertebra(label)
        return v.body_local(v.to_local(p))

    def pedicle_sdf(self, p: np.ndarray, label: str, side: str) -> np.ndarray:
        v = self.vertebra(label)
        return v.pedicle_local(v.to_local(p), side)

    # --- imaging --------------------------------------------------------------------------
    def grid(self) -> tuple[np.ndarray, tuple[int, int, int]]:
        """Axial acquisition grid (identity directions) covering the torso and levels."""
        sp = np.array(self.spec.spacing, float)
        tops = [v.to_world([0, 0, v.dims["H"] / 2])[2] for v in self.vertebrae]
        bots = [v.to_world([0, 0, -v.dims["H"] / 2])[2] for v in self.vertebrae]
        z0, z1 = min(bots) - self.spec.margin_mm, max(tops) + self.spec.margin_mm
        ni = int(round(self.spec.fov_lr_mm / sp[0]))
        nj = int(round(self.spec.fov_ap_mm / sp[1]))
        nk = int(np.ceil((z1 - z0) / sp[2])) + 1
        affine = np.diag([sp[0], sp[1], sp[2], 1.0])
        affine[:3, 3] = [-(ni - 1) * sp[0] / 2, -(nj - 1) * sp[1] / 2 + 5.0, z0]
        return affine, (ni, nj, nk)

    def render(self) -> Volume:
        from scipy.ndimage import gaussian_filter

        spec = self.spec
        rng = np.random.default_rng(spec.seed + 1)
        affine, (ni, nj, nk) = self.grid()
        sp, origin = np.array(spec.spacing), affine[:3, 3]
        hu = np.full((nk, nj, ni), HU["air"], np.float32)
        paint = sdf.Painter(hu, origin, sp)
        ss = (spec.supersample,) * 3
        one = (1, 1, 1)
        rx, ry = self.torso
        zlo, zhi = origin[2] - 5, origin[2] + nk * sp[2] + 5

        paint.paint_prism(lambda x, y: sdf.ellipse(x, y, rx, ry), [-rx - 3, -ry - 3, zlo],
                          [rx + 3, ry + 3, zhi], [(0.0, HU["fat"]), (14.0, HU["organ"])])
        spine_xy = np.mean([v.center for v in self.vertebrae], axis=0)
        # paraspinal muscles and the posterior abdominal wall
        for s in (1.0, -1.0):
            c = spine_xy + np.array([s * 38.0, 52.0, 0.0])

            paint.paint_prism(lambda x, y, c=c: sdf.ellipse(x - c[0], y - c[1], 34.0, 30.0),
                              [c[0] - 36, c[1] - 32, zlo], [c[0] + 36, c[1] + 32, zhi],
                              [(0.0, HU["muscle"])])
        self._paint_viscera(paint, spine_xy, zlo, zhi)
        # fat around the canal and in the foramina, then discs, then bone, then canal
        for v in self.vertebrae:
            d, g = v.dims, v.derived

            def fat(p: np.ndarray, v: Vertebra = v) -> np.ndarray:
                q = v.to_local(p)
                return sdf.ellipse(q[..., 0], q[..., 1] - v.derived["vc"] + 2.0,
                                   v.dims["cw"] / 2 + 14.0, v.dims["cd"] / 2 + 6.0)
            lo, hi = v.world_box(np.array([-d["cw"] / 2 - 16, g["pw"] - 10, -d["H"]]),
                                 np.array([d["cw"] / 2 + 16, g["vc"] + d["cd"] / 2 + 10,
                                           d["H"]]))
            paint.paint(fat, lo, hi, [(0.0, HU["fat"])], ss=one)
        for upper, lower in zip(self.vertebrae[:-1], self.vertebrae[1:]):
            self._paint_disc(paint, upper, lower)
        texture = gaussian_filter(rng.normal(0.0, 1.0, hu.shape).astype(np.float32), 1.2)
        texture *= 22.0 / max(float(texture.std()), 1e-6)
        cancellous = texture + HU["cancellous"]
        for v in self.vertebrae:
            lo, hi = v.world_box(*v.local_box())

            def bone(p: np.ndarray, v: Vertebra = v) -> np.ndarray:
                return v.bone_local(v.to_local(p))
            paint.paint(bone, lo, hi, [(0.0, HU["cortical"]), (CORTEX_MM, cancellous)], ss=ss)
            if v.label in THORACIC_WITH_RIBS:
                for side in ("left", "right"):
                    self._paint_rib(paint, v.rib_polyline(side), cancellous)
        for v in self.vertebrae:
            self._paint_canal(paint, v)
        # scanner: in-plane PSF, slice profile, noise
        sig = [spec.blur_mm / sp[2] * 0.6, spec.blur_mm / sp[1], spec.blur_mm / sp[0]]
        hu[:] = gaussian_filter(hu, sig)
        if spec.noise_hu > 0:
            noise = gaussian_filter(rng.normal(0.0, 1.0, hu.shape).astype(np.float32), 0.6)
            hu += noise * (spec.noise_hu / max(float(noise.std()), 1e-6))
        arr = np.clip(np.rint(hu), -1024, 3071).astype(np.int16)
        meta = {"modality": "CT", "series_uid": "", "patient_position": "HFS",
                "slice_thickness": float(sp[2]), "source": "phantom",
                "patient_name": "Sample^Spine", "patient_id": "PP-SAMPLE",
                "study_description": "Synthetic thoracolumbar spine",
                "series_description": f"Sample case seed {spec.seed}"}
        return Volume(arr, affine, meta)

    def _paint_viscera(self, paint: sdf.Painter, spine: np.ndarray, zlo: float, zhi: float
                       ) -> None:
        front = spine[1] - 22.0
        for x, hu_v, r in ((22.0, HU["blood"], 11.0), (-20.0, HU["blood"], 12.0)):
            c = np.array([spine[0] + x, front - r])

            paint.paint_prism(lambda x, y, c=c, r=r: np.hypot(x - c[0], y - c[1]) - r,
                              [c[0] - r - 2, c[1] - r - 2, zlo],
                              [c[0] + r + 2, c[1] + r + 2, zhi], [(0.0, hu_v)])
        verts = {v.label: v for v in self.vertebrae}
        # lungs: above the diaphragm, reaching the posterior recess near T12-L1
        top = max(v.center[2] for v in self.vertebrae)
        ref = verts.get("T12") or self.vertebrae[0]
        base_z = ref.center[2] - 10.0
        for s in (1.0, -1.0):
            c = np.array([spine[0] + s * 66.0, spine[1] + 2.0, base_z + 140.0])

            def lung(p: np.ndarray, c: np.ndarray = c) -> np.ndarray:
                e = np.sqrt(((p[..., 0] - c[0]) / 40.0) ** 2 + ((p[..., 1] - c[1]) / 34.0) ** 2
                            + ((p[..., 2] - c[2]) / 150.0) ** 2)
                keep_out = 36.0 - np.hypot(p[..., 0] - spine[0], p[..., 1] - spine[1])
                return np.maximum((e - 1.0) * 34.0, keep_out)
            if base_z - 10 < top + 40:
                paint.paint(lung, [c[0] - 46, c[1] - 42, base_z - 12], c + [46, 42, 200],
                            [(0.0, HU["lung"])], ss=(2, 2, 1))
        # kidneys at L1-L2
        for lab in ("L1", "L2"):
            if lab in verts:
                for s in (1.0, -1.0):
                    c = np.array([spine[0] + s * 68.0, spine[1] + 10.0, verts[lab].center[2]])

                    def kidney(p: np.ndarray, c: np.ndarray = c) -> np.ndarray:
                        e = np.sqrt(((p[..., 0] - c[0]) / 26.0) ** 2 +
                                    ((p[..., 1] - c[1]) / 22.0) ** 2 +
                                    ((p[..., 2] - c[2]) / 30.0) ** 2)
                        return (e - 1.0) * 22.0
                    paint.paint(kidney, c - [30, 26, 34], c + [30, 26, 34],
                                [(-4.0, HU["fat"]), (0.0, HU["kidney"])], ss=(2, 2, 1))
                break

    def _paint_disc(self, paint: sdf.Painter, upper: Vertebra, lower: Vertebra) -> None:
        c = (upper.center + lower.center) / 2
        cranial = upper.cranial + lower.cranial
        cranial /= np.linalg.norm(cranial)
        left = upper.left - (upper.left @ cranial) * cranial
        left /= np.linalg.norm(left)
        post = np.cross(cranial, left)
        rot = np.stack([left, post, cranial], axis=1)
        a = (upper.derived["a"] + lower.derived["a"]) / 2
        b = (upper.derived["b"] + lower.derived["b"]) / 2
        half = np.linalg.norm(upper.center - lower.center) / 2 - 1.0

        def disc(p: np.ndarray) -> np.ndarray:
            q = (p - c) @ rot
            return np.maximum.reduce([sdf.ellipse(q[..., 0], q[..., 1], a, b),
                                      q[..., 1] - 0.8 * b, np.abs(q[..., 2]) - half])
        r = max(a, b, half) + 3
        paint.paint(disc, c - r, c + r, [(0.0, HU["disc"])], ss=(1, 1, 1))

    def _paint_rib(self, paint: sdf.Painter, line: np.ndarray, cancellous: np.ndarray) -> None:
        r = 4.5
        parts = [(lambda p, p0=p0, p1=p1: sdf.capsule(p, p0, p1, r),
                  np.minimum(p0, p1) - r, np.maximum(p0, p1) + r)
                 for p0, p1 in zip(line[:-1], line[1:])]
        paint.paint(lambda p: sdf.union(p, parts), line.min(axis=0) - 8, line.max(axis=0) + 8,
                    [(0.0, HU["cortical"]), (1.2, cancellous)])

    def _paint_canal(self, paint: sdf.Painter, v: Vertebra) -> None:
        d, g = v.dims, v.derived
        half = d["H"] / 2 + d["disc"] / 2 + 1.0
        cord = v.label in CORD_LEVELS

        def canal(p: np.ndarray) -> np.ndarray:
            q = v.to_local(p)
            return np.maximum(v.canal_local(q), np.abs(q[..., 2]) - half)

        def cord_sdf(p: np.ndarray) -> np.ndarray:
            q = v.to_local(p)
            return np.maximum(sdf.ellipse(q[..., 0], q[..., 1] - g["vc"] + 0.5, 5.0, 4.0),
                              np.abs(q[..., 2]) - half)
        lo, hi = v.world_box(np.array([-d["cw"] / 2 - 1, g["pw"] - 1, -half]),
                             np.array([d["cw"] / 2 + 1, g["vc"] + d["cd"] / 2 + 1, half]))
        paint.paint(canal, lo, hi, [(0.0, HU["epidural_fat"]), (2.0, HU["csf"])],
                    ss=(self.spec.supersample,) * 3)
        if cord:
            paint.paint(cord_sdf, lo, hi, [(0.0, HU["cord"])], ss=(1, 1, 1))

    # --- ground truth ----------------------------------------------------------------------
    def truth(self) -> dict[str, Any]:
        """Known anatomy in LPS mm, JSON-ready."""
        levels = []
        for v in self.vertebrae:
            d, g = v.dims, v.derived
            heights = v.heights()
            loss = 1.0 - heights["anterior_mm"] / heights["posterior_mm"]
            genant = 0 if loss < 0.20 else 1 if loss < 0.25 else 2 if loss <= 0.40 else 3
            peds = {}
            for side in ("left", "right"):
                a, b = g["ped"][side]
                axis = (b - a) / np.linalg.norm(b - a)
                isthmus_v = g["vc"]
                t_iso = (isthmus_v - a[1]) / axis[1]
                iso = a + axis * t_iso
                peds[side] = {
                    "axis_start": v.to_world(a).tolist(), "axis_end": v.to_world(b).tolist(),
                    "axis_direction": (v.rotation @ axis).tolist(),
                    "isthmus_center": v.to_world(iso).tolist(),
                    "width_mm": d["pw"], "height_mm": d["ph"],
                    "medial_angle_deg": d["ang"], "cortex_mm": CORTEX_MM,
                    "outline": {"center": v.to_world(iso).tolist(),
                                "width_axis": (v.rotation @ np.array([axis[1], -axis[0], 0])
                                               ).tolist(),
                                "height_axis": v.cranial.tolist(),
                                "semi_axes_mm": [d["pw"] / 2, d["ph"] / 2]},
                }
            levels.append({
                "label": v.label,
                "body_center": v.to_world([0.0, (g["pw"] - g["b"]) / 2, 0.0]).tolist(),
                "frame_origin": v.center.tolist(),
                "axes": {"anterior": (-v.posterior).tolist(), "left": v.left.tolist(),
                         "cranial": v.cranial.tolist()},
                "axial_rotation_deg": v.rotation_deg,
                "body": {"width_mm": d["W"], "depth_mm": g["b"] + g["pw"],
                         "height_mm": d["H"], "cortex_mm": CORTEX_MM,
                         "anterior_cortex_point": v.to_world([0.0, -g["b"], 0.0]).tolist(),
                         "posterior_wall_point": v.to_world([0.0, g["pw"], 0.0]).tolist(),
                         **heights, "wedge_loss": v.wedge_loss, "genant_grade": genant},
                "canal": {"center": v.to_world([0.0, g["vc"], 0.0]).tolist(),
                          "axis": v.cranial.tolist(),
                          "width_mm": d["cw"], "depth_mm": d["cd"]},
                "pedicles": peds,
                "ribs": ({s: v.rib_polyline(s).tolist() for s in ("left", "right")}
                         if v.label in THORACIC_WITH_RIBS else {}),
            })
        affine, shape = self.grid()
        return {"format": "pedicle-planner-phantom-truth", "version": 1,
                "coordinates": "LPS mm", "seed": self.spec.seed,
                "spacing_mm": list(self.spec.spacing), "shape_ijk": list(shape),
                "wedge_level": self.spec.wedge_level, "rotated_level": self.spec.rotated_level,
                "skin_ellipse_semi_axes_mm": list(self.torso), "levels": levels}
