"""Needles and trajectories (LPS mm)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Outer diameters of bone needles by gauge (CLINICAL.md)
GAUGE_DIAMETER_MM = {"8G": 4.191, "10G": 3.404, "11G": 3.048, "13G": 2.413, "15G": 1.829}
GAUGES_BY_SIZE = sorted(GAUGE_DIAMETER_MM, key=GAUGE_DIAMETER_MM.get, reverse=True)
APPROACHES = ("bipedicular", "unipedicular", "parapedicular")
BESIDE_PEDICLE_MM = 30.0
NEEDLE_LENGTHS_MM = (100.0, 125.0, 150.0)
SAMPLE_STEP_MM = 0.5


@dataclass
class Trajectory:
    side: str                 # "left" or "right" (patient's)
    entry: np.ndarray         # where the needle enters bone
    target: np.ndarray        # the planned tip
    gauge: str = "11G"
    approach: str = "bipedicular"

    def __post_init__(self) -> None:
        self.entry = np.asarray(self.entry, float)
        self.target = np.asarray(self.target, float)
        if self.gauge not in GAUGE_DIAMETER_MM:
            raise ValueError(f"unknown gauge {self.gauge}; one of "
                             + ", ".join(GAUGE_DIAMETER_MM))
        if self.approach not in APPROACHES:
            raise ValueError(f"unknown approach {self.approach}; one of "
                             + ", ".join(APPROACHES))
        if self.side not in ("left", "right"):
            raise ValueError("side must be left or right")
        if self.length_mm < 1.0:
            raise ValueError("entry and target coincide")

    @property
    def diameter_mm(self) -> float:
        return GAUGE_DIAMETER_MM[self.gauge]

    @property
    def radius_mm(self) -> float:
        return self.diameter_mm / 2.0

    @property
    def direction(self) -> np.ndarray:
        d = self.target - self.entry
        return d / np.linalg.norm(d)

    @property
    def length_mm(self) -> float:
        return float(np.linalg.norm(self.target - self.entry))

    def points(self, step: float = SAMPLE_STEP_MM) -> tuple[np.ndarray, np.ndarray]:
        """Points on the axis from entry to tip and their distance from the entry."""
        n = max(2, int(np.ceil(self.length_mm / step)) + 1)
        t = np.linspace(0.0, self.length_mm, n)
        return self.entry + t[:, None] * self.direction, t

    def judged_points(self, step: float = SAMPLE_STEP_MM) -> tuple[np.ndarray, np.ndarray]:
        """The points the pedicle and AP-view checks judge. Through the pedicle: entry to
        tip. Parapedicular: the needle passes beside the pedicle before it reaches its entry
        on the body, so the last ``BESIDE_PEDICLE_MM`` of its way there are judged too (at
        negative distances from the entry)."""
        pts, t = self.points(step)
        if self.approach != "parapedicular":
            return pts, t
        back = np.arange(-BESIDE_PEDICLE_MM, 0.0, step)
        return (np.vstack([self.entry + back[:, None] * self.direction, pts]),
                np.concatenate([back, t]))


def needle_angles(frame, traj: Trajectory) -> dict[str, float]:
    """The needle's angles in the vertebra's own frame, as an operator aims it:
    ``medial_deg`` in the axial plane from the anterior axis toward the midline (a
    converging needle is positive), ``craniocaudal_deg`` in the sagittal plane from the
    anterior axis, positive when the tip runs caudal of the entry."""
    d = traj.direction
    toward_midline = -frame.left if traj.side == "left" else frame.left
    a = float(d @ frame.anterior)
    return {"medial_deg": float(np.degrees(np.arctan2(d @ toward_midline, a))),
            "craniocaudal_deg": float(np.degrees(np.arctan2(-(d @ frame.cranial), a)))}
