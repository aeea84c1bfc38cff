"""Write a Volume as a DICOM CT image series (used for the sample case and tests)."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import numpy as np

from planner.core.volume import Volume

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


def write_ct_series(volume: Volume, folder: str | os.PathLike, *, patient_name: str = "Anonymous",
                    patient_id: str = "000000", study_description: str = "",
                    series_description: str = "", series_number: int = 1,
                    patient_position: str = "HFS", uid_seed: str | None = None,
                    file_names: list[str] | None = None, modality: str = "CT",
                    extra: dict[str, Any] | None = None) -> list[Path]:
    """One file per slice k, 12-bit unsigned with rescale intercept -1024 (-1024..3071 HU).

    ``uid_seed`` makes the UIDs deterministic (same seed, same UIDs).
    """
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def uid(tag: str) -> str:
        return generate_uid(entropy_srcs=[uid_seed, tag]) if uid_seed else generate_uid()

    study_uid, series_uid, frame_uid = uid("study"), uid("series"), uid("frame")
    a = volume.affine
    sp = volume.spacing
    row_dir, col_dir = a[:3, 0] / sp[0], a[:3, 1] / sp[1]
    step = a[:3, 2]
    normal = np.cross(row_dir, col_dir)
    thickness = float(abs(step @ normal))
    hu = np.rint(volume.array).astype(np.int32)
    stored = np.clip(hu + 1024, 0, 4095).astype(np.uint16)  # 12-bit CT: -1024..3071 HU
    nk = volume.array.shape[0]
    today = _dt.date(2026, 1, 1).strftime("%Y%m%d")
    paths = []
    for k in range(nk):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
        meta.MediaStorageSOPInstanceUID = uid(f"sop{k}")
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        name = file_names[k] if file_names else f"IM{k + 1:04d}.dcm"
        fp = folder / name
        ds = FileDataset(str(fp), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = CT_IMAGE_STORAGE
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.Modality = modality
        ds.PatientName, ds.PatientID = patient_name, patient_id
        ds.PatientPosition = patient_position
        ds.StudyDate = ds.SeriesDate = today
        ds.StudyDescription, ds.SeriesDescription = study_description, series_description
        ds.SeriesNumber, ds.InstanceNumber = series_number, k + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [float(f"{v:.6f}") for v in volume.index_to_world([0, 0, k])]
        ds.ImageOrientationPatient = [float(f"{v:.8f}") for v in (*row_dir, *col_dir)]
        ds.PixelSpacing = [float(sp[1]), float(sp[0])]  # row spacing, column spacing
        ds.SliceThickness = thickness
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = stored.shape[1], stored.shape[2]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
        ds.PixelRepresentation = 0
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.WindowCenter, ds.WindowWidth = 400, 1800
        for key, value in (extra or {}).items():
            setattr(ds, key, value)
        ds.PixelData = stored[k].tobytes()
        ds.save_as(fp, enforce_file_format=True)
        paths.append(fp)
    return paths
