"""Find DICOM images in a folder and group them into series (headers only)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planner.io.dicom_header import FastHeader, read_header
from planner.io.errors import CorruptFileError, NoImagesError
from planner.io.progress import Progress

LOCALIZER_WORDS = {"LOCALIZER", "SCOUT", "TOPOGRAM", "SURVIEW"}
# What the scan needs from every file; the full header is read once per series.
SCAN_TAGS = ["SOPClassUID", "SeriesInstanceUID", "Modality", "ImageType", "Rows", "Columns",
             "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing",
             "SliceThickness", "RescaleSlope", "RescaleIntercept", "InstanceNumber",
             "NumberOfFrames", "SharedFunctionalGroupsSequence",
             "PerFrameFunctionalGroupsSequence"]
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"


@dataclass
class FrameRef:
    """One 2-D image of a series: a file, or one frame of a multi-frame file."""

    path: str
    frame: int | None
    position: np.ndarray          # ImagePositionPatient
    orientation: np.ndarray       # ImageOrientationPatient (6)
    rows: int
    cols: int
    pixel_spacing: tuple[float, float]
    slope: float
    intercept: float
    instance: int
    thickness: float | None
    pixel_offset: int | None = None   # byte offset of uncompressed pixels, when known


@dataclass
class SeriesInfo:
    """What the series chooser shows, plus the frames to load."""

    uid: str
    modality: str
    patient_name: str
    patient_id: str
    study_description: str
    study_date: str
    series_description: str
    series_number: str
    patient_position: str
    study_uid: str
    frames: list[FrameRef] = field(default_factory=list)
    transfer_syntax: str = ""
    header: Any = None  # one dataset of the series, for metadata

    @property
    def n_images(self) -> int:
        return len(self.frames)

    @property
    def pixel_spacing(self) -> tuple[float, float]:
        return self.frames[0].pixel_spacing if self.frames else (0.0, 0.0)

    def summary(self) -> str:
        ps = self.pixel_spacing
        return (f"{self.modality} #{self.series_number} '{self.series_description}' "
                f"{self.n_images} images {ps[0]:.2f}x{ps[1]:.2f} mm "
                f"(patient {self.patient_name or '?'}, UID {self.uid})")


@dataclass
class ScanResult:
    series: list[SeriesInfo]
    skipped: list[str] = field(default_factory=list)  # non-DICOM or non-image files


def _is_localizer(ds: Any) -> bool:
    image_type = [str(v).upper() for v in (ds.get("ImageType") or [])]
    return any(w in image_type for w in LOCALIZER_WORDS)


def _first(seq: Any, name: str) -> Any:
    try:
        return getattr(seq[0], name)
    except (AttributeError, IndexError, TypeError):
        return None


def _frame_attrs(ds: Any, n: int) -> tuple[Any, Any, Any, Any, Any]:
    """(position, orientation, pixel spacing, slope/intercept, thickness) of frame n."""
    shared = ds.get("SharedFunctionalGroupsSequence")
    shared = shared[0] if shared else None
    per = ds.PerFrameFunctionalGroupsSequence[n]

    def grab(seq_name: str, attr: str) -> Any:
        for group in (per, shared):
            if group is not None and seq_name in group:
                value = _first(group[seq_name].value, attr)
                if value is not None:
                    return value
        return None

    pos = grab("PlanePositionSequence", "ImagePositionPatient")
    ori = grab("PlaneOrientationSequence", "ImageOrientationPatient")
    ps = grab("PixelMeasuresSequence", "PixelSpacing")
    th = grab("PixelMeasuresSequence", "SliceThickness")
    slope = grab("PixelValueTransformationSequence", "RescaleSlope")
    icpt = grab("PixelValueTransformationSequence", "RescaleIntercept")
    return pos, ori, ps, (slope, icpt), th


def _frames_of(path: str, ds: Any) -> list[FrameRef]:
    rows, cols = int(ds.Rows), int(ds.Columns)
    if "PerFrameFunctionalGroupsSequence" in ds:
        frames = []
        for n in range(int(ds.get("NumberOfFrames", 1))):
            pos, ori, ps, (slope, icpt), th = _frame_attrs(ds, n)
            if pos is None or ori is None or ps is None:
                raise CorruptFileError(f"{path}: frame {n + 1} has no position, orientation "
                                       "or pixel spacing")
            frames.append(FrameRef(path, n, np.array(pos, float), np.array(ori, float), rows,
                                   cols, (float(ps[0]), float(ps[1])),
                                   float(slope if slope is not None else 1.0),
                                   float(icpt if icpt is not None else 0.0), n + 1,
                                   float(th) if th is not None else None))
        return frames
    if "ImagePositionPatient" not in ds or "ImageOrientationPatient" not in ds:
        return []
    ps = ds.get("PixelSpacing") or [1.0, 1.0]
    th = ds.get("SliceThickness")
    return [FrameRef(path, None, np.array(ds.ImagePositionPatient, float),
                     np.array(ds.ImageOrientationPatient, float), rows, cols,
                     (float(ps[0]), float(ps[1])), float(ds.get("RescaleSlope", 1.0) or 1.0),
                     float(ds.get("RescaleIntercept", 0.0) or 0.0),
                     int(ds.get("InstanceNumber", 0) or 0),
                     float(th) if th not in (None, "") else None)]


def _candidate_files(root: Path) -> list[str]:
    if root.is_file():
        return [str(root)]
    out = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.upper() == "DICOMDIR" or name.startswith("."):
                continue
            out.append(os.path.join(dirpath, name))
    out.sort()
    return out


def _has_dicm_magic(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            f.seek(128)
            return f.read(4) == b"DICM"
    except OSError:
        return False


def scan(path: str | os.PathLike, progress: Progress | None = None) -> ScanResult:
    """Read every DICOM header below ``path`` once and group images by series UID."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    progress = progress or Progress()
    root = Path(path)
    if not root.exists():
        raise NoImagesError(f"{root} does not exist")
    files = _candidate_files(root)
    by_uid: dict[str, SeriesInfo] = {}
    skipped: list[str] = []
    for n, fp in enumerate(files):
        if n % 16 == 0:
            progress(n / max(len(files), 1), f"Reading headers {n}/{len(files)}")
        ds = read_header(fp)      # fast path for ordinary files; None -> pydicom
        try:
            if ds is None:
                ds = pydicom.dcmread(fp, stop_before_pixels=True, specific_tags=SCAN_TAGS)
        except InvalidDicomError:
            skipped.append(fp)
            continue
        except Exception as exc:  # pydicom raises many types on broken files
            if _has_dicm_magic(fp):
                raise CorruptFileError(f"{fp} is a damaged DICOM file ({exc})") from exc
            skipped.append(fp)
            continue
        if "Rows" not in ds or "SeriesInstanceUID" not in ds or _is_localizer(ds):
            skipped.append(fp)
            continue
        try:
            frames = _frames_of(fp, ds)
        except (ValueError, TypeError, IndexError) as exc:
            raise CorruptFileError(f"{fp} has unreadable geometry attributes ({exc})") from exc
        if not frames:
            skipped.append(fp)
            continue
        if isinstance(ds, FastHeader):
            frames[0].pixel_offset = ds.pixel_offset
        uid = str(ds.SeriesInstanceUID)
        info = by_uid.get(uid)
        if info is None:
            ds = pydicom.dcmread(fp, stop_before_pixels=True)   # whole header, once
            info = by_uid[uid] = SeriesInfo(
                uid=uid, modality=str(ds.get("Modality", "")),
                patient_name=str(ds.get("PatientName", "")),
                patient_id=str(ds.get("PatientID", "")),
                study_description=str(ds.get("StudyDescription", "")),
                study_date=str(ds.get("StudyDate", "")),
                series_description=str(ds.get("SeriesDescription", "")),
                series_number=str(ds.get("SeriesNumber", "")),
                patient_position=str(ds.get("PatientPosition", "")),
                study_uid=str(ds.get("StudyInstanceUID", "")),
                transfer_syntax=str(ds.file_meta.get("TransferSyntaxUID", ""))
                if hasattr(ds, "file_meta") else "",
                header=ds)
        info.frames.extend(frames)
    progress(1.0, "Headers read")
    series = sorted(by_uid.values(), key=lambda s: (s.study_date, s.series_number, s.uid))
    if not series:
        raise NoImagesError(f"no DICOM images found in {root}"
                            + (f" ({len(skipped)} other files skipped)" if skipped else ""))
    return ScanResult(series, skipped)
