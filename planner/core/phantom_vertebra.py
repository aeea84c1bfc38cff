"""One vertebra of the synthetic spine: its frame, dimensions and signed-distance parts.

Local coordinates are (u left, v posterior, w cranial) about the body's ellipse centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.core import sdf

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
