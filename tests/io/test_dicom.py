"""DICOM series loading: geometry from the headers, never from file names; every error
typed and readable."""

import os
import shutil

import numpy as np
import pydicom
import pytest

from planner.core.volume import Volume
from planner.io import errors
from planner.io.dicom_write import write_ct_series
from planner.io.loader import load_volume
from tests.conftest import oblique_affine, shared_path


def _volume(affine=None, shape=(6, 8, 10), seed=0):
    rng = np.random.default_rng(seed)
    arr = rng.integers(-1000, 2000, shape).astype(np.int16)
    return Volume(arr, np.diag([0.7, 0.8, 2.5, 1.0]) if affine is None else affine)


def _write(tmp_path, vol=None, name="s", **kw):
    vol = vol or _volume()
    folder = tmp_path / name
    paths = write_ct_series(vol, folder, **kw)
    return vol, folder, paths


def _edit(path, **attrs):
    ds = pydicom.dcmread(path)
    for k, v in attrs.items():
        setattr(ds, k, v)
    ds.save_as(path)


def test_round_trip_exact(tmp_path):
    vol, folder, _ = _write(tmp_path)
    out = load_volume(folder)
    assert out.array.dtype == np.int16
    assert np.array_equal(out.array, vol.array)
    assert np.allclose(out.affine, vol.affine)
    assert out.meta["modality"] == "CT" and out.meta["series_uid"]


def test_shuffled_names_and_reversed_instance_numbers(tmp_path):
    vol = _volume()
    names = [f"{n:03d}.dcm" for n in np.random.default_rng(2).permutation(vol.array.shape[0])]
    _, folder, paths = _write(tmp_path, vol, file_names=names)
    for n, p in enumerate(paths):        # InstanceNumber now runs against position
        _edit(p, InstanceNumber=len(paths) - n)
    out = load_volume(folder)
    assert np.array_equal(out.array, vol.array)
    assert np.allclose(out.affine, vol.affine)


def test_reversed_slice_direction(tmp_path):
    aff = np.diag([0.7, 0.8, -2.5, 1.0])   # slices written head to feet
    aff[2, 3] = 50.0
    vol, folder, _ = _write(tmp_path, _volume(aff))
    out = load_volume(folder)
    # sorted along the normal: same LPS geometry, slices stored feet-first
    assert np.allclose(out.affine[:3, 2], [0, 0, 2.5])
    assert np.array_equal(out.array, vol.array[::-1])
    assert np.allclose(out.index_to_world([3, 4, 0]), vol.index_to_world([3, 4, 5]))


def test_oblique_orientation(tmp_path):
    aff = oblique_affine()
    # slice step along the normal (no gantry tilt)
    normal = np.cross(aff[:3, 0], aff[:3, 1])
    aff[:3, 2] = normal / np.linalg.norm(normal) * 1.6
    vol, folder, _ = _write(tmp_path, _volume(aff))
    out = load_volume(folder)
    assert np.allclose(out.affine, vol.affine, atol=1e-5)
    assert out.warnings == []


def test_gantry_tilt_loads_with_warning_and_exact_geometry(tmp_path):
    aff = np.diag([0.7, 0.8, 2.5, 1.0])
    aff[1, 2] = 2.5 * np.tan(np.radians(12))    # each slice shifted posteriorly
    vol, folder, _ = _write(tmp_path, _volume(aff))
    out = load_volume(folder)
    assert any("tilt" in w for w in out.warnings)
    assert np.allclose(out.affine, vol.affine, atol=1e-5)


def test_enhanced_multiframe_ct(tmp_path):
    from pydicom.dataset import Dataset

    vol, folder, paths = _write(tmp_path)
    base = pydicom.dcmread(paths[0])
    ds = base
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    frames = [pydicom.dcmread(p) for p in paths]
    ds.NumberOfFrames = len(frames)
    per = []
    for f in frames[::-1]:   # frames stored in reverse order on purpose
        g = Dataset()
        pp = Dataset()
        pp.ImagePositionPatient = f.ImagePositionPatient
        g.PlanePositionSequence = [pp]
        per.append(g)
    ds.PerFrameFunctionalGroupsSequence = per
    shared = Dataset()
    po, pm, pv = Dataset(), Dataset(), Dataset()
    po.ImageOrientationPatient = base.ImageOrientationPatient
    pm.PixelSpacing, pm.SliceThickness = base.PixelSpacing, base.SliceThickness
    pv.RescaleSlope, pv.RescaleIntercept, pv.RescaleType = 1, -1024, "HU"
    shared.PlaneOrientationSequence, shared.PixelMeasuresSequence = [po], [pm]
    shared.PixelValueTransformationSequence = [pv]
    ds.SharedFunctionalGroupsSequence = [shared]
    for tag in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing",
                "RescaleSlope", "RescaleIntercept"):
        delattr(ds, tag)
    ds.PixelData = b"".join(f.PixelData for f in frames[::-1])
    mf = tmp_path / "mf"
    mf.mkdir()
    ds.save_as(mf / "enhanced.dcm")
    out = load_volume(mf)
    assert np.array_equal(out.array, vol.array)
    assert np.allclose(out.affine, vol.affine)


def test_localizer_is_dropped(tmp_path):
    vol, folder, paths = _write(tmp_path)
    scout = folder / "scout.dcm"
    shutil.copy(paths[0], scout)
    _edit(scout, ImageType=["ORIGINAL", "PRIMARY", "LOCALIZER"],
          ImagePositionPatient=[0, 0, -500], SOPInstanceUID=pydicom.uid.generate_uid())
    out = load_volume(folder)
    assert out.array.shape == vol.array.shape


def test_no_images(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(errors.NoImagesError, match="no DICOM images"):
        load_volume(tmp_path)


def test_multiple_series_needs_a_choice(tmp_path):
    _write(tmp_path, _volume(seed=1), name="a", uid_seed="a")
    v2, _, _ = _write(tmp_path, _volume(seed=2), name="b", uid_seed="b", series_number=2)
    with pytest.raises(errors.MultipleSeriesError) as exc:
        load_volume(tmp_path)
    assert len(exc.value.series) == 2
    uid = next(s.uid for s in exc.value.series if s.series_number == "2")
    out = load_volume(tmp_path, series_uid=uid)
    assert np.array_equal(out.array, v2.array)
    with pytest.raises(errors.SeriesNotFoundError):
        load_volume(tmp_path, series_uid="1.2.3")


def test_non_ct_is_refused_unless_overridden(tmp_path):
    _, folder, _ = _write(tmp_path, modality="MR")
    with pytest.raises(errors.NonCTModalityError, match="not CT"):
        load_volume(folder)
    out = load_volume(folder, allow_non_ct=True)
    assert any("MR" in w for w in out.warnings)


def test_missing_slice(tmp_path):
    _, folder, paths = _write(tmp_path)
    os.remove(paths[3])
    with pytest.raises(errors.MissingSlicesError, match="1 slice"):
        load_volume(folder)


def test_uneven_spacing(tmp_path):
    _, folder, paths = _write(tmp_path)
    ds = pydicom.dcmread(paths[2])
    _edit(paths[2], ImagePositionPatient=[*ds.ImagePositionPatient[:2],
                                          float(ds.ImagePositionPatient[2]) + 0.9])
    with pytest.raises(errors.UnevenSpacingError):
        load_volume(folder)


def test_mixed_orientations(tmp_path):
    _, folder, paths = _write(tmp_path)
    _edit(paths[1], ImageOrientationPatient=[1, 0, 0, 0, 0, -1])
    with pytest.raises(errors.MixedOrientationError):
        load_volume(folder)


def test_single_slice(tmp_path):
    _, folder, _ = _write(tmp_path, _volume(shape=(1, 8, 10)))
    with pytest.raises(errors.SingleSliceError):
        load_volume(folder)


def test_inconsistent_image_sizes(tmp_path):
    _, folder, paths = _write(tmp_path)
    ds = pydicom.dcmread(paths[2])
    ds.Rows, ds.Columns = 4, 10
    ds.PixelData = np.zeros((4, 10), np.uint16).tobytes()
    ds.save_as(paths[2])
    with pytest.raises(errors.InconsistentSizeError):
        load_volume(folder)


def test_duplicate_positions(tmp_path):
    _, folder, paths = _write(tmp_path)
    dup = folder / "dup.dcm"
    shutil.copy(paths[2], dup)
    _edit(dup, SOPInstanceUID=pydicom.uid.generate_uid())
    with pytest.raises(errors.DuplicateSlicesError):
        load_volume(folder)


def test_truncated_file(tmp_path):
    _, folder, paths = _write(tmp_path)
    data = paths[4].read_bytes()
    paths[4].write_bytes(data[: len(data) - 60])
    with pytest.raises(errors.CorruptFileError, match=paths[4].name):
        load_volume(folder)


def test_garbage_with_dicom_magic(tmp_path):
    _, folder, paths = _write(tmp_path)
    # the same garbage every run: random bytes made the test (and pydicom's warnings on
    # them) differ from run to run
    garbage = np.random.default_rng(0).bytes(300)
    paths[1].write_bytes(b"\0" * 128 + b"DICM" + garbage)
    with pytest.raises(errors.LoadError):
        load_volume(folder)


def test_progress_and_cancel(tmp_path):
    _, folder, _ = _write(tmp_path)
    seen = []
    load_volume(folder, progress=lambda f, m: seen.append(f))
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    with pytest.raises(errors.LoadCancelled):
        load_volume(folder, cancel=lambda: True)


def test_real_jpeg2000_series():
    """TotalSegmentator's JPEG 2000 lossless series decodes through pylibjpeg-openjpeg."""
    folder = shared_path("totalseg-dicom-j2k", "DICOM")
    vol = load_volume(folder)
    assert vol.shape_ijk == (512, 512, 20)
    assert np.allclose(vol.spacing, [0.9765625, 0.9765625, 2.0])
    lo, hi = vol.hu_range()
    assert lo <= -1000 and 1000 < hi < 3100        # air and bone present, in HU
    # body: soft tissue near the middle of the slab, not air
    assert -200 < np.median(vol.array[10, 200:300, 200:300]) < 200
