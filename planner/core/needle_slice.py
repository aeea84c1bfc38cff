"""An axial slice along a needle: the vertebra's axial plane tilted to contain the needle,
sampled from the CT and shown like an axial image (anterior up, patient's left on the
image's right, as radiologists read it). For reports and exports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.core.volume import Volume


@dataclass
class PlaneImage:
    hu: np.ndarray            # (rows, cols)
    origin: np.ndarray        # LPS of pixel (0, 0)'s centre
    e_col: np.ndarray         # LPS step per column (unit)
    e_row: np.ndarray         # LPS step per row (unit)
    pixel_mm: float

    def to_pixel(self, p: np.ndarray) -> np.ndarray:
        """(n, 3) LPS -> (n, 2) column, row (points off the plane are projected)."""
        d = np.atleast_2d(p) - self.origin
        return np.stack([d @ self.e_col, d @ self.e_row], axis=1) / self.pixel_mm


def needle_axial_plane(frame, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(e_col, e_row): in-plane unit vectors of the vertebra's axial plane tilted about
    the needle's transverse axis until it holds the needle. Columns run toward the
    patient's left, rows toward posterior, so the needle shows at its medial angle."""
    d = np.asarray(direction, float) / np.linalg.norm(direction)
    normal = frame.cranial - (frame.cranial @ d) * d
    normal /= np.linalg.norm(normal)
    e_col = frame.left - (frame.left @ normal) * normal
    e_col /= np.linalg.norm(e_col)
    e_row = np.cross(normal, e_col)
    if e_row @ frame.anterior > 0:
        e_row = -e_row
    return e_col, e_row


def sample_plane(volume: Volume, centre: np.ndarray, e_col: np.ndarray, e_row: np.ndarray,
                 size_mm: float = 100.0, pixel_mm: float = 0.3) -> PlaneImage:
    """HU on a square grid centred on ``centre`` (outside the CT: -1024)."""
    n = int(round(size_mm / pixel_mm))
    half = (n - 1) / 2.0
    origin = np.asarray(centre, float) - half * pixel_mm * (e_col + e_row)
    r, c = np.mgrid[0:n, 0:n]
    pts = origin + (c[..., None] * e_col + r[..., None] * e_row) * pixel_mm
    hu = volume.sample(pts.reshape(-1, 3), outside=-1024.0).reshape(n, n)
    return PlaneImage(hu, origin, e_col, e_row, pixel_mm)


def needle_slice(volume: Volume, frame, entry: np.ndarray, target: np.ndarray,
                 size_mm: float = 100.0, pixel_mm: float = 0.3) -> PlaneImage:
    """The tilted axial slice holding the needle, centred between the needle's midpoint
    and the vertebra's centre projected on that plane (both pedicles in view)."""
    entry, target = np.asarray(entry, float), np.asarray(target, float)
    e_col, e_row = needle_axial_plane(frame, target - entry)
    mid = (entry + target) / 2.0
    normal = np.cross(e_col, e_row)
    centre = frame.origin - ((frame.origin - mid) @ normal) * normal
    return sample_plane(volume, centre, e_col, e_row, size_mm, pixel_mm)


def window(hu: np.ndarray, level: float = 300.0, width: float = 1500.0) -> np.ndarray:
    """HU -> uint8 grey with a window (bone by default: cortex and cancellous bone)."""
    lo = level - width / 2.0
    return (np.clip((hu - lo) / width, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
