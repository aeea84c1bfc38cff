"""Synthetic thoracolumbar CT with known anatomy: the built-in sample case and test phantom.

The anatomy is a set of signed-distance shapes in each vertebra's own frame (left,
posterior, cranial), placed along a curved spine with one axially rotated level and one
wedge (Genant grade 2) compression fracture. It is imaged like a scanner would: partial
volume from supersampling, in-plane blur, a slice profile and noise. Everything the later
checks need as ground truth is exposed both as JSON-ready numbers (``truth``) and as
signed-distance functions (``SpinePhantom.canal_sdf`` and friends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.core import sdf
from planner.core.phantom_vertebra import (CORD_LEVELS, CORTEX_MM, LEVELS,
                                           THORACIC_WITH_RIBS, Vertebra)
from planner.core.volume import Volume

# HU of the tissues (CLINICAL.md densities)
HU = {"air": -1000.0, "fat": -90.0, "muscle": 45.0, "organ": 35.0, "csf": 8.0,
      "cord": 35.0, "epidural_fat": -80.0, "disc": 85.0, "cortical": 750.0,
      "cancellous": 105.0, "posterior_cancellous": 160.0, "lung": -850.0, "blood": 42.0,
      "kidney": 32.0}

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
    pos -= pos[np.argmin(np.abs(grid))]          # the middle level's centre at the origin
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
