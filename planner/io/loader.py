"""One entry point that opens whatever the user points at: a DICOM folder or file,
NIfTI or NRRD."""

from __future__ import annotations

import os
from pathlib import Path

from planner.core.volume import Volume
from planner.io.dicom_scan import ScanResult, SeriesInfo, scan
from planner.io.dicom_series import load_series
from planner.io.errors import MultipleSeriesError, SeriesNotFoundError, UnsupportedFormatError
from planner.io.nifti_nrrd import load_nifti, load_nrrd
from planner.io.progress import CancelFn, Progress, ProgressFn

NIFTI_SUFFIXES = (".nii", ".nii.gz")
NRRD_SUFFIXES = (".nrrd", ".nhdr")


def file_kind(path: str | os.PathLike) -> str:
    """'nifti', 'nrrd' or 'dicom' (a folder or any other file)."""
    name = str(path).lower()
    if name.endswith(NIFTI_SUFFIXES):
        return "nifti"
    if name.endswith(NRRD_SUFFIXES):
        return "nrrd"
    return "dicom"


def choose_series(result: ScanResult, series_uid: str | None) -> SeriesInfo:
    if series_uid:
        for s in result.series:
            if s.uid == series_uid:
                return s
        raise SeriesNotFoundError(f"series {series_uid} is not in this folder; it holds: "
                                  + "; ".join(s.uid for s in result.series))
    if len(result.series) > 1:
        raise MultipleSeriesError(
            f"the folder holds {len(result.series)} series; choose one (--series UID): "
            + "; ".join(s.summary() for s in result.series), result.series)
    return result.series[0]


def load_volume(path: str | os.PathLike, series_uid: str | None = None,
                allow_non_ct: bool = False, progress: ProgressFn = None,
                cancel: CancelFn = None) -> Volume:
    """Load a CT volume in LPS from a DICOM folder/file, NIfTI or NRRD."""
    p = Path(path)
    prog = Progress(progress, cancel)
    if not p.exists():
        raise UnsupportedFormatError(f"{p} does not exist")
    kind = file_kind(p)
    if kind == "nifti":
        prog(0.0, "Reading NIfTI")
        vol = load_nifti(p)
    elif kind == "nrrd":
        prog(0.0, "Reading NRRD")
        vol = load_nrrd(p)
    else:
        result = scan(p, prog.sub(0.0, 0.3))
        info = choose_series(result, series_uid)
        vol = load_series(info, allow_non_ct=allow_non_ct, progress=prog.sub(0.3, 1.0))
    vol.meta.setdefault("path", str(p))
    prog(1.0, "Loaded")
    return vol
