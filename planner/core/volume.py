"""A CT volume in exact patient geometry.

The voxel array is indexed ``array[k, j, i]`` (slice, row, column). ``affine`` maps the
homogeneous index vector ``(i, j, k, 1)`` to DICOM patient coordinates (LPS, mm). Nothing
here assumes the axes are aligned with the patient: every conversion goes through the
affine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

ArrayLike = Any


@dataclass
class Volume:
    """HU voxels plus the index->LPS affine and the series' descriptive metadata."""

    array: np.ndarray
    affine: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.affine = np.asarray(self.affine, dtype=float)
        if self.array.ndim != 3:
            raise ValueError(f"a volume needs a 3-D array, got shape {self.array.shape}")
        if self.affine.shape != (4, 4) or not np.allclose(self.affine[3], [0, 0, 0, 1]):
            raise ValueError("affine must be a 4x4 homogeneous matrix")
        if abs(np.linalg.det(self.affine[:3, :3])) < 1e-9:
            raise ValueError("affine is singular")

    # --- geometry -------------------------------------------------------------------
    @property
    def shape_ijk(self) -> tuple[int, int, int]:
        """Number of voxels along i (columns), j (rows), k (slices)."""
        k, j, i = self.array.shape
        return i, j, k

    @property
    def spacing(self) -> np.ndarray:
        """Voxel size in mm along i, j, k (length of each affine column)."""
        return np.linalg.norm(self.affine[:3, :3], axis=0)

    @property
    def direction(self) -> np.ndarray:
        """3x3 matrix whose columns are the unit LPS directions of i, j, k."""
        return self.affine[:3, :3] / self.spacing

    @property
    def origin(self) -> np.ndarray:
        """LPS position of voxel (0, 0, 0)'s centre."""
        return self.affine[:3, 3].copy()

    @property
    def inverse_affine(self) -> np.ndarray:
        """Inverted once per affine: every sample of the model's rays goes through it."""
        cached = self.__dict__.get("_inverse")
        if cached is None or cached[0] is not self.affine:
            cached = (self.affine, np.linalg.inv(self.affine))
            self.__dict__["_inverse"] = cached
        return cached[1]

    def index_to_world(self, ijk: ArrayLike) -> np.ndarray:
        """(..., 3) continuous indices (i, j, k) -> (..., 3) LPS mm."""
        p = np.asarray(ijk, dtype=float)
        return p @ self.affine[:3, :3].T + self.affine[:3, 3]

    def world_to_index(self, xyz: ArrayLike) -> np.ndarray:
        """(..., 3) LPS mm -> (..., 3) continuous indices (i, j, k)."""
        inv = self.inverse_affine
        p = np.asarray(xyz, dtype=float)
        return p @ inv[:3, :3].T + inv[:3, 3]

    def corners(self) -> np.ndarray:
        """LPS positions of the 8 corner voxel centres."""
        ni, nj, nk = self.shape_ijk
        c = np.array([[i, j, k] for i in (0, ni - 1) for j in (0, nj - 1) for k in (0, nk - 1)])
        return self.index_to_world(c)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned LPS box (min, max) enclosing every voxel centre."""
        c = self.corners()
        return c.min(axis=0), c.max(axis=0)

    def center(self) -> np.ndarray:
        ni, nj, nk = self.shape_ijk
        return self.index_to_world([(ni - 1) / 2, (nj - 1) / 2, (nk - 1) / 2])

    def contains(self, xyz: ArrayLike) -> np.ndarray:
        """True where an LPS point lies inside the sampled grid (voxel centres' hull)."""
        return self._in_grid(self.world_to_index(xyz))

    def _in_grid(self, ijk: np.ndarray) -> np.ndarray:
        hi = np.array(self.shape_ijk) - 1
        return np.all((ijk >= -1e-6) & (ijk <= hi + 1e-6), axis=-1)

    # --- sampling -------------------------------------------------------------------
    def sample(self, xyz: ArrayLike, order: int = 1, outside: float = np.nan) -> np.ndarray:
        """HU at LPS points by interpolation; ``outside`` where a point leaves the grid."""
        from scipy.ndimage import map_coordinates

        pts = np.asarray(xyz, dtype=float)
        ijk = self.world_to_index(pts.reshape(-1, 3))
        coords = ijk[:, ::-1].T  # array order is (k, j, i)
        vals = map_coordinates(self.array, coords, order=order, mode="nearest", prefilter=False,
                               output=np.float64)
        vals[~self._in_grid(ijk)] = outside
        return vals.reshape(pts.shape[:-1])

    def value_at(self, xyz: ArrayLike) -> float | None:
        """HU of the voxel nearest an LPS point, or None outside the grid."""
        ijk = np.rint(self.world_to_index(xyz)).astype(int)
        ni, nj, nk = self.shape_ijk
        i, j, k = ijk
        if not (0 <= i < ni and 0 <= j < nj and 0 <= k < nk):
            return None
        return float(self.array[k, j, i])

    def resample(self, affine: np.ndarray, shape_ijk: tuple[int, int, int], order: int = 1,
                 fill: float = -1024.0) -> "Volume":
        """Resample onto another grid (any orientation) given by its affine and size."""
        from scipy.ndimage import map_coordinates

        affine = np.asarray(affine, dtype=float)
        ni, nj, nk = shape_ijk
        kk, jj, ii = np.meshgrid(np.arange(nk), np.arange(nj), np.arange(ni), indexing="ij")
        ijk_new = np.stack([ii, jj, kk], axis=-1).reshape(-1, 3).astype(float)
        world = ijk_new @ affine[:3, :3].T + affine[:3, 3]
        src = self.world_to_index(world)
        vals = map_coordinates(self.array, src[:, ::-1].T, order=order, mode="nearest",
                               prefilter=order > 1, output=np.float32)
        hi = np.array(self.shape_ijk) - 1
        outside = np.any((src < -0.5 - 1e-6) | (src > hi + 0.5 + 1e-6), axis=1)
        vals[outside] = fill
        arr = vals.reshape(nk, nj, ni)
        if np.issubdtype(self.array.dtype, np.integer):
            arr = np.rint(arr).astype(self.array.dtype)
        return Volume(arr, affine, dict(self.meta), list(self.warnings))

    def hu_range(self) -> tuple[float, float]:
        return float(self.array.min()), float(self.array.max())


def affine_from_dicom(orientation: ArrayLike, position: ArrayLike, pixel_spacing: ArrayLike,
                      slice_step: ArrayLike) -> np.ndarray:
    """Index->LPS affine from DICOM attributes.

    ``orientation`` is ImageOrientationPatient (row direction, then column direction),
    ``pixel_spacing`` is PixelSpacing (row spacing, column spacing), ``slice_step`` is the
    LPS vector from the first slice's position to the next one's.
    """
    o = np.asarray(orientation, dtype=float)
    row_dir, col_dir = o[:3], o[3:]
    dr, dc = float(pixel_spacing[0]), float(pixel_spacing[1])
    a = np.eye(4)
    a[:3, 0] = row_dir * dc  # i runs along a row: spacing between columns
    a[:3, 1] = col_dir * dr  # j runs down a column: spacing between rows
    a[:3, 2] = np.asarray(slice_step, dtype=float)
    a[:3, 3] = np.asarray(position, dtype=float)
    return a
