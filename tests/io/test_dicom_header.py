"""The fast header scanner agrees with pydicom, and steps aside when it should."""

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ImplicitVRLittleEndian

from planner.core.volume import Volume
from planner.io.dicom_header import WANTED, read_header
from planner.io.dicom_write import write_ct_series
from tests.conftest import shared_path


@pytest.fixture
def ct_file(tmp_path):
    arr = np.arange(3 * 6 * 5, dtype=np.int16).reshape(3, 6, 5)
    return write_ct_series(Volume(arr, np.diag([0.6, 0.7, 1.25, 1.0])), tmp_path / "s")[1]


def _same_as_pydicom(path, hdr):
    ds = pydicom.dcmread(path)
    for key, _ in WANTED.values():
        if key in ds:
            ours, ref = hdr[key], ds[key].value
            if isinstance(ours, list):
                assert [str(x) for x in ours] == [str(x) for x in ref] or \
                    np.allclose([float(x) for x in ours], [float(x) for x in ref])
            else:
                assert ours == pytest.approx(ref) if isinstance(ours, float) else \
                    str(ours) == str(ref), key
    raw = open(path, "rb").read()
    n = ds.Rows * ds.Columns * 2
    assert raw[hdr.pixel_offset:hdr.pixel_offset + n] == ds.PixelData


def test_explicit_vr(ct_file):
    hdr = read_header(str(ct_file))
    assert hdr is not None and hdr.Rows == 6 and hdr.Columns == 5
    _same_as_pydicom(ct_file, hdr)


def test_implicit_vr_and_undefined_length_sequence(ct_file, tmp_path):
    ds = pydicom.dcmread(ct_file)
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator = "123", "DCM"
    ds.ProcedureCodeSequence = Sequence([item])
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    out = tmp_path / "implicit.dcm"
    ds.save_as(out, implicit_vr=True, little_endian=True)
    hdr = read_header(str(out))
    assert hdr is not None and hdr.transfer_syntax == ImplicitVRLittleEndian
    _same_as_pydicom(out, hdr)


def test_steps_aside_for_compressed_and_non_dicom(tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"not dicom at all" * 20)
    assert read_header(str(junk)) is None
    folder = shared_path("totalseg-dicom-j2k", "DICOM")
    first = sorted(folder.iterdir())[0]
    assert read_header(str(first)) is None      # JPEG 2000: pydicom decodes it
