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


def _level(truth, label):
    return next(lev for lev in truth["levels"] if lev["label"] == label)


def test_plan_json_contract(sample_case, sample_truth):
    lev = _level(sample_truth, "L2")
    point = ",".join(f"{v:.2f}" for v in lev["body_center"])
    out = run("plan", str(sample_case / "dicom"), "--level-point", point, "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["coordinates"] == "LPS mm" and d["series_uid"] == sample_truth["series_uid"]
    assert {"level", "frame", "trajectories"} <= set(d)
    assert np.degrees(np.arccos(np.dot(d["frame"]["anterior"], lev["axes"]["anterior"]))) < 3
    assert [t["side"] for t in d["trajectories"]] == ["left", "right"]
    for t in d["trajectories"]:
        for key in ("side", "entry", "target", "gauge", "diameter_mm", "checks",
                    "medial_clearance_mm", "tip_to_anterior_cortex_mm",
                    "tip_to_cortex_along_needle_mm", "breach_mm", "gr_grade", "skin_entry",
                    "needle_length_mm", "verdict"):
            assert key in t, key
        assert t["gauge"] == "11G" and t["diameter_mm"] == pytest.approx(3.048)
        ids = {c["id"] for c in t["checks"]}
        assert {"medial_wall", "ap_view_rule", "anterior_cortex", "lateral_wall",
                "superior_inferior_wall", "endplate", "pedicle_fit", "entry_clock",
                "lung"} <= ids
        for c in t["checks"]:
            assert c["verdict"] in ("pass", "warn", "fail", "unknown", "n/a")
            assert c["rule"] and "unit" in c
        assert set(t["breach_mm"]) == {"lateral", "superior", "medial", "inferior"}
        assert 7 <= t["tip_to_anterior_cortex_mm"] <= 13


def test_check_with_negative_coordinates_and_errors(sample_case, sample_truth):
    lev = _level(sample_truth, "L1")
    point = ",".join(f"{v:.2f}" for v in lev["body_center"])
    entry = np.array(lev["pedicles"]["right"]["isthmus_center"]) - 20 * np.array(
        lev["axes"]["anterior"])
    target = np.array(lev["body_center"]) - 8 * np.array(lev["axes"]["left"])
    fmt = lambda p: ",".join(f"{v:.2f}" for v in p)   # noqa: E731
    out = run("check", str(sample_case / "dicom"), "--level-point", point,
              "--entry", fmt(entry), "--target", fmt(target), "--gauge", "13G", "--json")
    assert out.returncode == 0, out.stderr
    t = json.loads(out.stdout)["trajectories"][0]
    assert t["side"] == "right" and t["gauge"] == "13G"
    assert np.allclose(t["entry"], entry, atol=0.006)     # printed with 2 decimals
    # a point in the air in front of the body is not a vertebra: one line, exit 2
    air = np.array(lev["body"]["anterior_cortex_point"]) + 60 * np.array(lev["axes"]["anterior"])
    bad = run("plan", str(sample_case / "dicom"), "--level-point", fmt(air))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr


def test_drr_writes_a_png(tiny_series, tmp_path):
    out_png = tmp_path / "ap.png"
    out = run("drr", str(tiny_series), "--primary", "180", "--secondary", "-10",
              "--size", "64", "-o", str(out_png))
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["size"] == 64 and info["primary_deg"] == 180.0
    data = out_png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (64, 64)
    bad = run("drr", str(tiny_series), "--primary", "0", "--secondary", "0", "--size", "4",
              "-o", str(tmp_path / "x.png"))
    assert bad.returncode == 2 and "--size" in bad.stderr


def test_plan_parapedicular_judges_the_rib_head(sample_case, sample_truth):
    lev = _level(sample_truth, "L1")
    point = ",".join(f"{v:.2f}" for v in lev["body_center"])
    out = run("plan", str(sample_case / "dicom"), "--level-point", point, "--approach",
              "parapedicular", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert [t["side"] for t in d["trajectories"]] == ["left", "right"]
    for t in d["trajectories"]:
        assert t["approach"] == "parapedicular"
        checks = {c["id"]: c for c in t["checks"]}
        assert checks["rib_head"]["verdict"] == "pass"
        assert {checks[k]["verdict"] for k in ("lateral_wall", "pedicle_fit",
                                               "entry_clock")} == {"n/a"}
        assert "lateral" not in t["breach_mm"]
    # and the check command judges a given path the same way
    t = d["trajectories"][0]
    out = run("check", str(sample_case / "dicom"), "--level-point", point, "--entry",
              ",".join(map(str, t["entry"])), "--target", ",".join(map(str, t["target"])),
              "--approach", "parapedicular", "--json")
    assert out.returncode == 0, out.stderr
    again = json.loads(out.stdout)
    again = again["trajectories"][0] if "trajectories" in again else again
    assert again["verdict"] == t["verdict"]


def test_drr_standard_view_and_plan_views(sample_case, sample_truth, tmp_path):
    lev = _level(sample_truth, "L2")
    point = ",".join(f"{v:.2f}" for v in lev["body_center"])
    out = run("drr", str(sample_case / "dicom"), "--view", "AP", "--level-point", point,
              "--size", "48", "-o", str(tmp_path / "ap.png"))
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    # the L2 of the sample is barely rotated or tilted: a true AP near prone PA 180/0
    assert abs(abs(d["primary_deg"]) - 180) < 6 and abs(d["secondary_deg"]) < 6
    plan = json.loads(run("plan", str(sample_case / "dicom"), "--level-point", point).stdout)
    names = [v["name"] for v in plan["views"]["views"]]
    assert names == ["true AP", "true lateral", "en face left", "en face right"]
    assert plan["views"]["ct_patient_position"] == "HFS"
    bad = run("drr", str(sample_case / "dicom"), "--view", "AP", "-o", str(tmp_path / "x.png"))
    assert bad.returncode == 2 and "--level-point" in bad.stderr


def test_drr_draws_the_plan_and_refuses_another_series(sample_case, sample_truth, tmp_path,
                                                      tiny_series):
    from PIL import Image

    lev = _level(sample_truth, "L2")
    point = ",".join(f"{v:.2f}" for v in lev["body_center"])
    plan = run("plan", str(sample_case / "dicom"), "--level-point", point)
    (tmp_path / "plan.json").write_text(plan.stdout)
    out = run("drr", str(sample_case / "dicom"), "--view", "AP", "--level-point", point,
              "--size", "128", "--plan", str(tmp_path / "plan.json"),
              "-o", str(tmp_path / "ap.png"))
    assert out.returncode == 0, out.stderr
    rgb = np.asarray(Image.open(tmp_path / "ap.png").convert("RGB")).astype(int)
    colourful = (np.abs(rgb[..., 0] - rgb[..., 1]) > 60) | (np.abs(rgb[..., 1] - rgb[..., 2]) > 60)
    assert colourful.sum() > 30                         # the overlay is there
    other = run("drr", str(tiny_series), "--primary", "180", "--secondary", "0",
                "--size", "32", "--plan", str(tmp_path / "plan.json"),
                "-o", str(tmp_path / "x.png"))
    assert other.returncode == 2 and "another series" in other.stderr
    (tmp_path / "bad.json").write_text('{"level": {}, "trajectories": []}')
    bad = run("drr", str(sample_case / "dicom"), "--view", "AP", "--level-point", point,
              "--size", "32", "--plan", str(tmp_path / "bad.json"), "-o", str(tmp_path / "y.png"))
    assert bad.returncode == 2 and "cannot read the plan" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_report_command_writes_a_pdf_from_a_saved_plan(sample_plan_file, tmp_path):
    from pypdf import PdfReader

    out = run("report", str(sample_plan_file), "-o", str(tmp_path / "r.pdf"))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["levels"] == ["L1", "L2"]
    text = " ".join(p.extract_text() for p in PdfReader(str(tmp_path / "r.pdf")).pages)
    assert "Level L1" in text and "not a certified medical device" in " ".join(text.split())
    html = run("report", str(sample_plan_file), "-o", str(tmp_path / "r.html"),
               "--deidentify", "--no-images")
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "r.html").read_text()
    assert "Sample^Spine" not in page and "Level L2" in page and "<img" not in page


def test_export_command_writes_slicer_markups_and_csv(sample_plan_file, tmp_path):
    out = run("export", str(sample_plan_file), "--format", "slicer",
              "-o", str(tmp_path / "p.mrk.json"))
    assert out.returncode == 0, out.stderr
    plan = json.loads(sample_plan_file.read_text())
    markups = json.loads((tmp_path / "p.mrk.json").read_text())["markups"]
    first = plan["levels"][0]["trajectories"][0]
    line = next(m for m in markups if m["name"] == f"L1 {first['side']}")
    assert line["controlPoints"][0]["position"] == first["entry"]
    assert line["controlPoints"][1]["position"] == first["target"]
    out = run("export", str(sample_plan_file), "--format", "csv", "-o", str(tmp_path / "p.csv"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "p.csv").read_text().count("\n") == 5      # header + 4 needles


def test_report_refuses_another_ct_and_bad_names(sample_plan_file, tiny_series, tmp_path):
    wrong = run("report", str(sample_plan_file), "--ct", str(tiny_series),
                "-o", str(tmp_path / "r.pdf"))
    assert wrong.returncode == 2 and "not the CT the plan" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1 and not (tmp_path / "r.pdf").exists()
    docx = run("report", str(sample_plan_file), "-o", str(tmp_path / "r.docx"))
    assert docx.returncode == 2 and "PDF or HTML" in docx.stderr
    (tmp_path / "junk.json").write_text("{not json")
    junk = run("report", str(tmp_path / "junk.json"), "-o", str(tmp_path / "r.pdf"))
    assert junk.returncode == 2 and "not a plan file" in junk.stderr
    assert "Traceback" not in junk.stderr + docx.stderr + wrong.stderr
