"""Segmentation label volumes (NIfTI), in LPS, with the distance to their surface.

Independent ground truth for the vertebra model on real CT (TotalSegmentator-style masks),
and later a way to show or import segmentations."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from planner.io.nifti_nrrd import RAS_TO_LPS

MARGIN_VOXELS = 12


class LabelMask:
    """Voxels of the given labels (all non-zero when none) of a NIfTI label map."""

    def __init__(self, path: str | os.PathLike, labels: Sequence[int] | None = None):
        import nibabel as nib
        from scipy import ndimage

        img = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
        full = np.isin(data, labels) if labels else data > 0
        if not full.any():
            raise ValueError(f"{path}: no voxel carries the labels {labels}")
        # keep the labelled region and a margin: the distance map stays small
        nz = np.argwhere(full)
        lo = np.maximum(nz.min(axis=0) - MARGIN_VOXELS, 0)
        hi = np.minimum(nz.max(axis=0) + MARGIN_VOXELS + 1, full.shape)
        self.mask = full[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        shift = np.eye(4)
        shift[:3, 3] = lo
        self.affine = RAS_TO_LPS @ np.asarray(img.affine, float) @ shift  # (i,j,k) -> LPS
        self._inverse = np.linalg.inv(self.affine)
        spacing = np.linalg.norm(self.affine[:3, :3], axis=0)
        self.spacing = spacing
        surface = self.mask ^ ndimage.binary_erosion(self.mask)
        self._distance = ndimage.distance_transform_edt(~surface, sampling=spacing)
        ijk = np.argwhere(self.mask)
        self.points = ijk @ self.affine[:3, :3].T + self.affine[:3, 3]

    def _index(self, lps: np.ndarray) -> np.ndarray:
        return np.atleast_2d(lps) @ self._inverse[:3, :3].T + self._inverse[:3, 3]

    def surface_distance(self, lps: np.ndarray) -> np.ndarray:
        """Unsigned distance (mm) from LPS points to the mask's surface (points beyond the
        kept margin read the distance at the margin's edge: a lower bound)."""
        from scipy.ndimage import map_coordinates

        return map_coordinates(self._distance, self._index(lps).T, order=1, mode="nearest")

    def depth(self, lps: np.ndarray, reach_mm: float = 6.0) -> np.ndarray:
        """Signed distance (mm) from LPS points to the mask's voxels taken as boxes (the
        region ``contains`` answers for): positive inside, negative outside, clipped to
        +-``reach_mm``. Unlike ``surface_distance`` (to the centres of the surface voxels,
        half a voxel inside the boxes' faces: 1.25 mm across 2.5 mm slices) it is exact
        for orthogonal voxel axes."""
        spacing = self.spacing
        reach = np.ceil(reach_mm / spacing).astype(int)
        offsets = np.stack(np.meshgrid(*[np.arange(-r, r + 1) for r in reach],
                                       indexing="ij"), -1).reshape(-1, 3)
        ijk = self._index(lps)
        inside = self.contains(lps)
        out = np.where(inside, reach_mm, -reach_mm).astype(float)
        for n, (q, own) in enumerate(zip(ijk, inside)):
            idx = np.rint(q).astype(int) + offsets
            ok = np.all((idx >= 0) & (idx < self.mask.shape), axis=1)
            labelled = np.zeros(len(idx), bool)
            labelled[ok] = self.mask[tuple(idx[ok].T)]
            other = idx[labelled != own]
            if len(other):
                gap = np.maximum(np.abs(other - q) * spacing - spacing / 2, 0.0)
                d = min(float(np.sqrt((gap ** 2).sum(axis=1)).min()), reach_mm)
                out[n] = d if own else -d
        return out

    def contains(self, lps: np.ndarray) -> np.ndarray:
        ijk = np.rint(self._index(lps)).astype(int)
        ok = np.all((ijk >= 0) & (ijk < self.mask.shape), axis=1)
        out = np.zeros(len(ijk), bool)
        out[ok] = self.mask[tuple(ijk[ok].T)]
        return out

    def body_seed(self) -> np.ndarray:
        """A point in a vertebra mask's body: the centroid of its anterior third (LPS y
        grows posteriorly)."""
        y = self.points[:, 1]
        return self.points[y <= np.quantile(y, 0.35)].mean(axis=0)


def spine_direction(below: LabelMask | None, own: LabelMask, above: LabelMask | None
                    ) -> np.ndarray:
    """The spine's axis at a vertebra from the masks of its neighbours (either may be
    missing): the unit direction from the lower centroid to the upper one. Ground truth
    for a model's cranial axis that does not depend on the model."""
    lower = (below or own).points.mean(axis=0)
    upper = (above or own).points.mean(axis=0)
    if below is None and above is None:
        raise ValueError("a direction needs at least one neighbouring vertebra")
    d = upper - lower
    return d / np.linalg.norm(d)
