"""NIfTI and NRRD volumes, converted to LPS at this boundary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from planner.core.volume import Volume
from planner.io.errors import CorruptFileError, UnsupportedFormatError

RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])

# NRRD 'space' names -> sign flips that take that space to LPS
NRRD_SPACES = {
    "left-posterior-superior": np.array([1.0, 1.0, 1.0]),
    "right-anterior-superior": np.array([-1.0, -1.0, 1.0]),
    "left-anterior-superior": np.array([1.0, -1.0, 1.0]),
    "lps": np.array([1.0, 1.0, 1.0]),
    "ras": np.array([-1.0, -1.0, 1.0]),
    "las": np.array([1.0, -1.0, 1.0]),
}


def _compact(data: np.ndarray) -> np.ndarray:
    """int16 when the values are whole HU that fit, float32 otherwise."""
    if np.issubdtype(data.dtype, np.integer):
        if data.min() >= -32768 and data.max() <= 32767:
            return data.astype(np.int16, copy=False)
        return data.astype(np.float32)
    data = data.astype(np.float32, copy=False)
    rounded = np.rint(data)
    if np.allclose(rounded, data) and rounded.min() >= -32768 and rounded.max() <= 32767:
        return rounded.astype(np.int16)
    return data


def _to_kji(data_ijk: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(data_ijk, (2, 1, 0)))


def load_nifti(path: str | Path) -> Volume:
    import nibabel as nib

    try:
        img = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
    except Exception as exc:
        raise CorruptFileError(f"cannot read NIfTI file {path}: {exc}") from exc
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise UnsupportedFormatError(f"{path} holds a {data.ndim}-D image; a 3-D CT is needed")
    affine = RAS_TO_LPS @ np.asarray(img.affine, dtype=float)
    zooms = img.header.get_zooms()
    meta = {"source": "nifti", "path": str(path), "modality": "CT",
            "series_uid": "", "patient_position": "",
            "slice_thickness": float(zooms[2]) if len(zooms) > 2 else None,
            "series_description": Path(path).name}
    return Volume(_compact(_to_kji(data)), affine, meta,
                  ["NIfTI carries no modality: assumed to be CT in HU"])


def load_nrrd(path: str | Path) -> Volume:
    import nrrd

    try:
        data, header = nrrd.read(str(path))
    except Exception as exc:
        raise CorruptFileError(f"cannot read NRRD file {path}: {exc}") from exc
    if data.ndim != 3:
        raise UnsupportedFormatError(f"{path} holds a {data.ndim}-D image; a 3-D CT is needed")
    space = str(header.get("space", "left-posterior-superior")).lower()
    if space not in NRRD_SPACES:
        raise UnsupportedFormatError(f"{path}: NRRD space '{space}' is not supported")
    flip = NRRD_SPACES[space]
    dirs = header.get("space directions")
    origin = header.get("space origin")
    if dirs is None or origin is None:
        raise UnsupportedFormatError(f"{path}: NRRD without 'space directions' and "
                                     "'space origin' has no patient geometry")
    dirs = np.asarray(dirs, dtype=float)
    affine = np.eye(4)
    affine[:3, :3] = (dirs * flip).T   # row n of 'space directions' is axis n's vector
    affine[:3, 3] = np.asarray(origin, dtype=float) * flip
    meta = {"source": "nrrd", "path": str(path), "modality": "CT", "series_uid": "",
            "patient_position": "", "slice_thickness": float(np.linalg.norm(dirs[2])),
            "series_description": Path(path).name}
    return Volume(_compact(_to_kji(data)), affine, meta,
                  ["NRRD carries no modality: assumed to be CT in HU"])
