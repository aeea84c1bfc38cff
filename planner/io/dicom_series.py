"""Assemble one DICOM series into a Volume: sort, validate geometry, read pixels fast."""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.core.volume import Volume, affine_from_dicom
from planner.io.dicom_scan import FrameRef, SeriesInfo
from planner.io.errors import (CorruptFileError, DuplicateSlicesError, InconsistentSizeError,
                               MissingSlicesError, MixedOrientationError, NonCTModalityError,
                               SingleSliceError, UnevenSpacingError)
from planner.io.progress import Progress

UNCOMPRESSED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}
ORIENTATION_TOL = 1e-3      # difference in direction cosines
SPACING_REL_TOL = 0.05      # step deviation relative to the median step
SPACING_ABS_TOL = 0.02      # mm
TILT_WARN_DEG = 0.5


def _sorted_frames(frames: list[FrameRef]) -> tuple[list[FrameRef], np.ndarray, np.ndarray]:
    """Frames ordered along the slice normal; also returns the normal and positions."""
    ori = frames[0].orientation
    for f in frames:
        if np.max(np.abs(f.orientation - ori)) > ORIENTATION_TOL:
            raise MixedOrientationError(
                "the series mixes slice orientations (for example an axial and a reformatted "
                "stack); choose a series with one orientation")
    shapes = {(f.rows, f.cols) for f in frames}
    if len(shapes) > 1:
        raise InconsistentSizeError(
            f"the series' images have different sizes: {sorted(shapes)}")
    spacings = {tuple(np.round(f.pixel_spacing, 4)) for f in frames}
    if len(spacings) > 1:
        raise InconsistentSizeError(
            f"the series' images have different pixel spacings: {sorted(spacings)}")
    normal = np.cross(ori[:3], ori[3:])
    pos = np.array([f.position @ normal for f in frames])
    order = np.argsort(pos, kind="stable")
    return [frames[i] for i in order], normal, pos[order]


def check_geometry(frames: list[FrameRef]) -> tuple[list[FrameRef], np.ndarray, list[str]]:
    """Validate slice geometry; return sorted frames, the slice step vector and warnings."""
    if len(frames) < 2:
        raise SingleSliceError(
            "the series has a single image: a 3-D CT volume needs at least two slices")
    frames, normal, pos = _sorted_frames(frames)
    steps = np.diff(pos)
    if np.any(steps < SPACING_ABS_TOL):
        n_dup = int(np.sum(steps < SPACING_ABS_TOL))
        raise DuplicateSlicesError(
            f"{n_dup} slices share a position with another slice (several acquisitions in one "
            "series?); cannot build one volume")
    step = float(np.median(steps))
    tol = max(SPACING_ABS_TOL, SPACING_REL_TOL * step)
    bad = np.abs(steps - step) > tol
    if np.any(bad):
        ratios = steps[bad] / step
        if np.all(np.abs(ratios - np.rint(ratios)) * step <= tol) and np.all(ratios > 1.5):
            missing = int(np.sum(np.rint(ratios) - 1))
            first = int(np.argmax(bad))
            raise MissingSlicesError(
                f"{missing} slice(s) missing from the series (first gap after slice "
                f"{first + 1} at {pos[first]:.1f} mm, {steps[first]:.2f} mm instead of "
                f"{step:.2f} mm)")
        raise UnevenSpacingError(
            f"slice spacing is uneven: from {steps.min():.2f} to {steps.max():.2f} mm "
            f"(median {step:.2f} mm)")
    first_pos, last_pos = frames[0].position, frames[-1].position
    step_vec = (last_pos - first_pos) / (len(frames) - 1)
    warnings: list[str] = []
    cos_tilt = abs(step_vec @ normal) / np.linalg.norm(step_vec)
    tilt = float(np.degrees(np.arccos(min(1.0, cos_tilt))))
    if tilt > TILT_WARN_DEG:
        warnings.append(
            f"gantry tilt of {tilt:.1f} degrees: kept exact as a sheared voxel grid")
    return frames, step_vec, warnings


PIXEL_TAG = b"\xe0\x7f\x10\x00"


def _pixel_offset(buf: bytes, nbytes: int) -> int | None:
    """Byte offset of the PixelData value in an uncompressed little-endian file."""
    at = buf.rfind(PIXEL_TAG)
    while at >= 0:
        # Explicit VR: tag, 'OW'/'OB', 2 reserved bytes, 4-byte length
        if buf[at + 4:at + 6] in (b"OW", b"OB"):
            length = int.from_bytes(buf[at + 8:at + 12], "little")
            start = at + 12
        else:  # implicit VR: tag, 4-byte length
            length = int.from_bytes(buf[at + 4:at + 8], "little")
            start = at + 8
        if length in (nbytes, nbytes + 1) and start + nbytes <= len(buf):
            return start
        at = buf.rfind(PIXEL_TAG, 0, at)
    return None


def _read_raw_into(path: str, dest: np.ndarray, offset: int | None = None) -> bool:
    """Read uncompressed pixels straight into ``dest`` (rows x cols, stored dtype).

    ``offset`` is where the scan found them. Otherwise PixelData is looked for just before
    the file's last ``nbytes`` bytes (where it nearly always is), then searched for. False
    if the pixels are not there in full (a truncated file)."""
    nbytes = dest.nbytes
    with open(path, "rb") as fh:
        if offset is not None:
            fh.seek(offset)
            return fh.readinto(memoryview(dest).cast("B")) == nbytes
        size = fh.seek(0, 2)
        for pad in (0, 1):
            start = size - nbytes - pad
            if start < 12:
                break
            fh.seek(start - 12)
            head = fh.read(12)
            explicit = head[:4] == PIXEL_TAG and head[4:6] in (b"OW", b"OB")
            implicit = head[4:8] == PIXEL_TAG
            if explicit or implicit:     # either way the 4-byte length ends the header
                length = int.from_bytes(head[8:12], "little")
                if length in (nbytes, nbytes + 1):
                    fh.seek(start)
                    return fh.readinto(memoryview(dest).cast("B")) == nbytes
        fh.seek(0)
        buf = fh.read()
    off = _pixel_offset(buf, nbytes)
    if off is None:
        return False
    dest[...] = np.frombuffer(buf, dtype=dest.dtype, count=dest.size, offset=off).reshape(
        dest.shape)
    return True


def _decode(path: str, frame: int | None) -> np.ndarray:
    import pydicom

    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
    except Exception as exc:
        raise CorruptFileError(f"cannot decode the pixels of {path}: {exc}") from exc
    return arr[frame] if frame is not None and arr.ndim == 3 else arr


def _stored_dtype(header: Any) -> np.dtype | None:
    if int(header.get("BitsAllocated", 16)) != 16 or int(header.get("SamplesPerPixel", 1)) != 1:
        return None
    return np.dtype("<i2") if int(header.get("PixelRepresentation", 0)) == 1 else np.dtype("<u2")


def _output_dtype(frames: list[FrameRef], header: Any) -> np.dtype:
    slopes = {f.slope for f in frames}
    icpts = {f.intercept for f in frames}
    if slopes == {1.0} and all(float(c).is_integer() for c in icpts):
        bits = int(header.get("BitsStored", 16))
        signed = int(header.get("PixelRepresentation", 0)) == 1
        lo = -(2 ** (bits - 1)) if signed else 0
        hi = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1
        if lo + min(icpts) >= -32768 and hi + max(icpts) <= 32767:
            return np.dtype(np.int16)
    return np.dtype(np.float32)


def load_series(info: SeriesInfo, allow_non_ct: bool = False,
                progress: Progress | None = None) -> Volume:
    """Build the Volume of one scanned series."""
    progress = progress or Progress()
    warnings: list[str] = []
    if info.modality.upper() != "CT":
        if not allow_non_ct:
            raise NonCTModalityError(
                f"the series is {info.modality or 'of unknown modality'}, not CT: its values "
                "are not Hounsfield units", info.modality)
        warnings.append(f"modality is {info.modality or 'unknown'}, not CT: values may not be HU")
    frames, step_vec, geo_warnings = check_geometry(list(info.frames))
    warnings += geo_warnings
    f0 = frames[0]
    header = info.header
    rows, cols = f0.rows, f0.cols
    out_dtype = _output_dtype(frames, header)
    out = np.empty((len(frames), rows, cols), dtype=out_dtype)
    stored = _stored_dtype(header)
    fast = (info.transfer_syntax in UNCOMPRESSED and stored is not None
            and all(f.frame is None for f in frames))
    decoded_file: tuple[str, np.ndarray] | None = None
    staging = np.empty((rows, cols), dtype=stored) if fast else None
    for n, f in enumerate(frames):
        if n % 8 == 0:
            progress(n / len(frames), f"Reading slice {n + 1}/{len(frames)}")
        raw = staging if fast and _read_raw_into(f.path, staging, f.pixel_offset) else None
        if raw is None:
            if f.frame is not None:
                if decoded_file is None or decoded_file[0] != f.path:
                    decoded_file = (f.path, _decode(f.path, None))
                raw = decoded_file[1][f.frame] if decoded_file[1].ndim == 3 else decoded_file[1]
            else:
                raw = _decode(f.path, None)
        if raw.shape != (rows, cols):
            raise CorruptFileError(f"{f.path}: pixel data is {raw.shape}, expected "
                                   f"{(rows, cols)}")
        if f.slope == 1.0 and out_dtype == np.int16:
            np.add(raw, int(f.intercept), out=out[n], dtype=np.int32, casting="unsafe")
        else:
            out[n] = raw.astype(np.float32) * f.slope + f.intercept
    progress(1.0, "Slices read")
    affine = affine_from_dicom(f0.orientation, f0.position, f0.pixel_spacing, step_vec)
    thickness = f0.thickness
    meta = {
        "series_uid": info.uid, "study_uid": info.study_uid, "modality": info.modality,
        "patient_name": info.patient_name, "patient_id": info.patient_id,
        "study_description": info.study_description, "study_date": info.study_date,
        "series_description": info.series_description,
        "patient_position": info.patient_position,
        "slice_thickness": thickness if thickness else float(np.linalg.norm(step_vec)),
        "source": "dicom",
    }
    return Volume(out, affine, meta, warnings)
