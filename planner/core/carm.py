"""C-arm geometry: source, isocentre and flat detector around the patient (LPS mm).

Angles follow DICOM and are relative to the patient: PositionerPrimaryAngle from RAO
(negative) to LAO (positive), PositionerSecondaryAngle from caudal (negative) to cranial
(positive). At 0/0 the detector is anterior of the patient; LAO moves it toward the
patient's left, cranial toward the head. A prone patient's PA view is therefore about 180
degrees primary. Because the angles are relative to the patient, the geometry in patient
coordinates does not depend on the table position; ``patient_position`` only says how the
patient lies, for the technologist.

The image is shown as seen from the detector looking toward the source: for a prone
patient's PA view the patient's left is on the viewer's left, as the operator sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

ANTERIOR = np.array([0.0, -1.0, 0.0])
LEFT = np.array([1.0, 0.0, 0.0])
SUPERIOR = np.array([0.0, 0.0, 1.0])


@dataclass
class CArm:
    primary_deg: float = 180.0            # prone PA by default
    secondary_deg: float = 0.0
    isocentre: np.ndarray = field(default_factory=lambda: np.zeros(3))
    sid_mm: float = 1000.0                # source to image (detector) distance
    sod_mm: float = 700.0                 # source to isocentre distance
    detector_mm: float = 300.0            # square flat detector side
    pixels: int = 512
    patient_position: str = "prone"

    def __post_init__(self) -> None:
        self.isocentre = np.asarray(self.isocentre, float)
        if not 0 < self.sod_mm < self.sid_mm:
            raise ValueError("the isocentre must lie between source and detector")

    def with_(self, **changes) -> "CArm":
        return replace(self, **changes)

    # --- axes -------------------------------------------------------------------------
    @property
    def detector_direction(self) -> np.ndarray:
        """Unit vector from the isocentre toward the detector."""
        a, b = np.radians(self.primary_deg), np.radians(self.secondary_deg)
        return np.cos(b) * (np.cos(a) * ANTERIOR + np.sin(a) * LEFT) + np.sin(b) * SUPERIOR

    @property
    def image_axes(self) -> tuple[np.ndarray, np.ndarray]:
        """(right, up) unit vectors of the displayed image in LPS."""
        d = self.detector_direction
        view = -d                                        # from the detector to the source
        up = SUPERIOR - (SUPERIOR @ d) * d
        if np.linalg.norm(up) < 1e-6:                     # looking along the body axis
            up = ANTERIOR - (ANTERIOR @ d) * d
        up /= np.linalg.norm(up)
        right = np.cross(view, up)
        return right, up

    @property
    def source(self) -> np.ndarray:
        return self.isocentre - self.detector_direction * self.sod_mm

    @property
    def detector_centre(self) -> np.ndarray:
        return self.isocentre + self.detector_direction * (self.sid_mm - self.sod_mm)

    @property
    def pixel_mm(self) -> float:
        return self.detector_mm / self.pixels

    @property
    def magnification(self) -> float:
        return self.sid_mm / self.sod_mm

    # --- projection -------------------------------------------------------------------
    def project(self, points: np.ndarray) -> np.ndarray:
        """LPS points (..., 3) -> detector pixel coordinates (..., 2) as (column, row),
        row 0 at the top, pixel centres at integers."""
        p = np.asarray(points, float)
        s, d, c = self.source, self.detector_direction, self.detector_centre
        t = ((c - s) @ d) / ((p - s) @ d)
        hit = s + t[..., None] * (p - s)
        right, up = self.image_axes
        half = (self.pixels - 1) / 2.0
        col = (hit - c) @ right / self.pixel_mm + half
        row = -((hit - c) @ up) / self.pixel_mm + half
        return np.stack([col, row], axis=-1)

    def pixel_points(self, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """LPS positions on the detector of pixel coordinates."""
        right, up = self.image_axes
        half = (self.pixels - 1) / 2.0
        cols, rows = np.asarray(cols, float), np.asarray(rows, float)
        return (self.detector_centre + ((cols - half) * self.pixel_mm)[..., None] * right
                - ((rows - half) * self.pixel_mm)[..., None] * up)

    def ray(self, col: float, row: float) -> tuple[np.ndarray, np.ndarray]:
        """Back-projection: (origin at the source, unit direction) through a pixel."""
        target = self.pixel_points(np.array(col), np.array(row))
        d = target - self.source
        return self.source, d / np.linalg.norm(d)
