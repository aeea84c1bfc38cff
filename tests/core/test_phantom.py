"""The phantom's ground truth must agree with its own voxels."""

import numpy as np
import pytest

from planner.core.phantom import PhantomSpec, SpinePhantom


def _along(a, b, n=25):
    t = np.linspace(0, 1, n)[:, None]
    return np.asarray(a) * (1 - t) + np.asarray(b) * t


def test_canal_reads_as_csf_and_body_as_bone(small_phantom, small_volume):
    for lev in small_phantom.truth()["levels"]:
        canal = small_volume.sample([lev["canal"]["center"]])[0]
        assert -60 < canal < 60, f"{lev['label']} canal centre {canal} HU is not CSF/cord"
        body = small_volume.sample([lev["body_center"]])[0]
        assert 40 < body < 260, f"{lev['label']} body centre {body} HU is not cancellous bone"
        # the anterior cortex point sits on the cortical shell: brighter than the core
        ant = small_volume.sample([lev["body"]["anterior_cortex_point"]])[0]
        assert ant > body + 100


def test_pedicle_axis_runs_through_bone_into_the_body(small_phantom, small_volume):
    for lev in small_phantom.truth()["levels"]:
        for side in ("left", "right"):
            p = lev["pedicles"][side]
            pts = _along(p["axis_start"], p["axis_end"])
            hu = small_volume.sample(pts)
            assert np.all(hu > 40), f"{lev['label']} {side} pedicle axis leaves bone: {hu}"
            # the axis starts inside the body (anterior of the posterior wall)
            ant = np.array(lev["axes"]["anterior"])
            wall = np.array(lev["body"]["posterior_wall_point"]) @ ant
            assert np.array(p["axis_start"]) @ ant > wall
            assert np.array(p["axis_end"]) @ ant < wall
            # the isthmus is lateral to the canal on its own side
            left = np.array(lev["axes"]["left"])
            offset = (np.array(p["isthmus_center"]) - lev["canal"]["center"]) @ left
            assert np.sign(offset) == (1 if side == "left" else -1)
            assert abs(offset) > lev["canal"]["width_mm"] / 2


def test_analytic_shapes_match_truth(small_phantom):
    truth = small_phantom.truth()
    for lev in truth["levels"]:
        lab = lev["label"]
        assert small_phantom.canal_sdf(np.array([lev["canal"]["center"]]), lab)[0] < -5
        assert small_phantom.bone_sdf(np.array([lev["canal"]["center"]]), lab)[0] > 0
        assert small_phantom.body_sdf(np.array([lev["body_center"]]), lab)[0] < -5
        ant_pt = np.array([lev["body"]["anterior_cortex_point"]])
        assert abs(small_phantom.body_sdf(ant_pt, lab)[0]) < 0.2
        for side in ("left", "right"):
            iso = np.array([lev["pedicles"][side]["isthmus_center"]])
            assert small_phantom.pedicle_sdf(iso, lab, side)[0] < -3


def test_anatomy_is_not_axis_aligned_and_has_a_wedge_fracture():
    ph = SpinePhantom(PhantomSpec(levels=("T12", "L1"), spacing=(1.5, 1.5, 2.0)))
    truth = ph.truth()
    by = {lev["label"]: lev for lev in truth["levels"]}
    assert by["L1"]["body"]["genant_grade"] == 2
    assert by["T12"]["body"]["genant_grade"] == 0
    assert abs(by["T12"]["axial_rotation_deg"]) == pytest.approx(8.0)
    for lev in truth["levels"]:
        cran = np.array(lev["axes"]["cranial"])
        assert np.degrees(np.arccos(cran @ [0, 0, 1])) > 1.0     # curved spine
        frame = np.array([lev["axes"]["left"], lev["axes"]["anterior"], cran])
        assert np.allclose(frame @ frame.T, np.eye(3), atol=1e-9)
        # LPS: the body is anterior (smaller y) of the canal
        assert lev["body_center"][1] < lev["canal"]["center"][1]
    # upper level is cranial (larger z)
    assert by["T12"]["body_center"][2] > by["L1"]["body_center"][2]


def test_deterministic_from_seed():
    spec = PhantomSpec(levels=("L1",), spacing=(2.0, 2.0, 2.5), fov_lr_mm=300, fov_ap_mm=230)
    a = SpinePhantom(spec).render().array
    b = SpinePhantom(spec).render().array
    assert np.array_equal(a, b)
    c = SpinePhantom(PhantomSpec(**{**spec.__dict__, "seed": 5})).render().array
    assert not np.array_equal(a, c)


def test_osteoporotic_cancellous_and_thin_cortex(small_phantom, small_volume):
    """Cancellous bone near 100 HU; the blurred cortex does not reach solid-cortex HU."""
    lev = small_phantom.truth()["levels"][0]
    c = np.array(lev["body_center"])
    left = np.array(lev["axes"]["left"])
    core = small_volume.sample(c + np.outer(np.linspace(-8, 8, 9), left))
    assert 60 < np.median(core) < 160
    ant = np.array(lev["axes"]["anterior"])
    profile = small_volume.sample(c + np.outer(np.linspace(0, 25, 120), ant))
    assert 300 < profile.max() < 750
