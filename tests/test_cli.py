"""The headless command line: JSON out, one-line errors, no tracebacks."""

import json
import subprocess
import sys

import numpy as np
import pytest

from planner.io.dicom_write import write_ct_series


def run(*args):
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def tiny_series(tmp_path_factory, small_volume):
    folder = tmp_path_factory.mktemp("cli") / "ct"
    write_ct_series(small_volume, folder, patient_name="Cli^Test", patient_position="HFS")
    return folder


def test_info_json(tiny_series, small_volume):
    out = run("info", str(tiny_series), "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["dimensions"] == list(small_volume.shape_ijk)
    assert np.allclose(info["affine"], small_volume.affine, atol=1e-4)
    assert info["modality"] == "CT" and info["patient_position"] == "HFS"
    assert info["series_uid"]
    lo, hi = small_volume.hu_range()
    assert info["hu_range"] == [lo, hi]


@pytest.mark.parametrize("args,needle", [
    (("info", "/no/such/path"), "does not exist"),
    (("info", "__FILE__"), "no DICOM images"),
])
def test_errors_are_one_line_without_traceback(args, needle, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"junk")
    args = tuple(str(junk) if a == "__FILE__" else a for a in args)
    out = run(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in out.stderr


def test_info_lists_series_when_several(tmp_path, small_volume):
    sub = small_volume.resample(small_volume.affine, (20, 20, 5))
    write_ct_series(sub, tmp_path / "a", uid_seed="a")
    write_ct_series(sub, tmp_path / "b", uid_seed="b", series_number=2)
    out = run("info", str(tmp_path), "--json")
    assert out.returncode == 0
    assert len(json.loads(out.stdout)["series"]) == 2
    assert "--series" in out.stderr


def test_sample_writes_dicom_and_truth(tmp_path, sample_case):
    out = run("sample", str(tmp_path / "case"))
    assert out.returncode == 0, out.stderr
    paths = json.loads(out.stdout)
    truth = json.loads(open(paths["truth"]).read())
    assert [lev["label"] for lev in truth["levels"]] == ["T11", "T12", "L1", "L2"]
    info = json.loads(run("info", paths["dicom"], "--json").stdout)
    assert info["series_uid"] == truth["series_uid"]
    assert info["dimensions"] == truth["shape_ijk"]
    # generated deterministically: the same seed gave the cached case the same UIDs and
    # byte-identical files
    cached = json.loads((sample_case / "truth.json").read_text())
    assert cached["series_uid"] == truth["series_uid"]
    mine = sorted((tmp_path / "case" / "dicom").iterdir())
    theirs = sorted((sample_case / "dicom").iterdir())
    assert [p.name for p in mine] == [p.name for p in theirs]
    assert mine[40].read_bytes() == theirs[40].read_bytes()
