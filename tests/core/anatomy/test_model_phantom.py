"""The vertebra model against the phantom's known anatomy (the sample case's levels);
real CT against its masks is in test_model_real.py."""

import numpy as np
import pytest

from planner.core.anatomy.model import ModelError, build_model


def _angle(a, b):
    return np.degrees(np.arccos(np.clip(abs(np.dot(a, b)), -1.0, 1.0)))


@pytest.fixture(scope="module")
def lumbar(sample_volume, sample_truth):
    return {lev["label"]: lev for lev in sample_truth["levels"] if lev["label"] in ("L1", "L2")}


@pytest.mark.parametrize("label", ["L1", "L2"])
def test_frame_canal_and_pedicles(sample_volume, lumbar, label):
    lev = lumbar[label]
    m = build_model(sample_volume, np.array(lev["body_center"]) + [2.0, -3.0, 1.5])
    ax = lev["axes"]
    assert _angle(m.frame.anterior, ax["anterior"]) < 2.0
    assert _angle(m.frame.cranial, ax["cranial"]) < 2.0
    assert np.linalg.norm(m.centre - lev["body_center"]) < 2.5
    s = m.summary()
    assert s["canal"]["width_mm"] == pytest.approx(lev["canal"]["width_mm"], abs=1.2)
    assert s["canal"]["depth_mm"] == pytest.approx(lev["canal"]["depth_mm"], abs=1.2)
    for side in ("left", "right"):
        ped, truth = m.pedicles[side], lev["pedicles"][side]
        assert ped.width_mm == pytest.approx(truth["width_mm"], abs=1.0)
        assert ped.height_mm == pytest.approx(truth["height_mm"], abs=1.5)
        assert _angle(ped.axis, truth["axis_direction"]) < 7.0
        # the isthmus centre lies on the true pedicle axis
        off = np.array(ped.isthmus) - truth["isthmus_center"]
        d = np.array(truth["axis_direction"])
        assert np.linalg.norm(off - (off @ d) * d) < 0.6


def test_wedge_level_keeps_the_true_cranial_axis(sample_volume, lumbar):
    """L1's superior endplate is tilted by the fracture: the axis follows the intact one."""
    lev = lumbar["L1"]
    m = build_model(sample_volume, lev["body_center"])
    assert _angle(m.frame.cranial, lev["axes"]["cranial"]) < 2.0


@pytest.mark.parametrize("degrees", [40.0, -40.0])
def test_wedge_level_leaning_40_degrees(sample_volume, lumbar, degrees):
    """The wedge-fractured L1 with the whole scan turned about the left-right axis (a
    spine leaning 40 degrees from the scanner's axis, as the upper thoracic spine of the
    chest CT does): the frame follows the intact endplate and the canal, not the broken
    one. Leaning forward, the endplates followed from the scanner's axis settled 26
    degrees off on the broken endplate, the canal cut obliquely had no closed ring and
    the model had no pedicles."""
    from planner.core.volume import Volume

    lev = lumbar["L1"]
    t = np.radians(degrees)
    turn = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(t), -np.sin(t)],
                     [0.0, np.sin(t), np.cos(t)]])
    centre = np.array(lev["body_center"])
    move = np.eye(4)
    move[:3, :3], move[:3, 3] = turn, centre - turn @ centre
    leaning = Volume(sample_volume.array, move @ sample_volume.affine, sample_volume.meta)
    m = build_model(leaning, centre)
    assert _angle(m.frame.cranial, turn @ np.array(lev["axes"]["cranial"])) < 2.0
    assert sorted(m.pedicles) == ["left", "right"]


def test_click_outside_a_body_is_refused(sample_volume, lumbar):
    lev = lumbar["L2"]
    outside = np.array(lev["body"]["anterior_cortex_point"]) + 40 * np.array(
        lev["axes"]["anterior"])
    with pytest.raises(ModelError):
        build_model(sample_volume, outside)


@pytest.mark.parametrize("upper,lower", [("T11", "T12"), ("T12", "L1"), ("L1", "L2")])
def test_click_in_a_disc_is_refused(sample_volume, sample_truth, upper, lower):
    """Half-way across the disc between two bodies: no model of either neighbour, even
    from the last priors, which lean the axis forward and back; the user is told to click
    inside a body."""
    lev = {x["label"]: x for x in sample_truth["levels"]}
    a, b = (np.array(lev[k]["body_center"]) for k in (upper, lower))
    ha, hb = (lev[k]["body"]["middle_mm"] for k in (upper, lower))
    d = (b - a) / np.linalg.norm(b - a)
    gap = np.linalg.norm(b - a) - (ha + hb) / 2
    with pytest.raises(ModelError, match="click inside a vertebral body"):
        build_model(sample_volume, a + d * (ha / 2 + gap / 2))


@pytest.mark.parametrize("label", ["T11", "T12", "L1", "L2"])
def test_any_click_in_the_body_gives_the_same_model(sample_volume, sample_truth, label):
    """Clicks spread through the body (10 mm left-right, 7 mm front-back, 6 mm up-down)
    give the same model within 0.5 mm: origin, canal and pedicle isthmuses."""
    lev = next(x for x in sample_truth["levels"] if x["label"] == label)
    ax = {k: np.array(v) for k, v in lev["axes"].items()}
    rng = np.random.default_rng(11)
    models = []
    for _ in range(4):
        o = rng.uniform(-1, 1, 3) * [10.0, 7.0, 6.0]
        click = np.array(lev["body_center"]) + o[0] * ax["left"] + o[1] * ax["anterior"] \
            + o[2] * ax["cranial"]
        models.append(build_model(sample_volume, click))
    ref = models[0]
    for m in models[1:]:
        # the frame is a fixed point of its own outline, whatever the click
        assert np.linalg.norm(m.centre - ref.centre) < 0.1
        assert np.linalg.norm(m.canal_centre() - ref.canal_centre()) < 0.1
        assert sorted(m.pedicles) == sorted(ref.pedicles) == ["left", "right"]
        for side in ("left", "right"):
            assert np.linalg.norm(m.pedicles[side].isthmus - ref.pedicles[side].isthmus) < 0.5


@pytest.mark.parametrize("label", ["T12", "L1", "L2"])
def test_a_body_cut_by_the_scans_edge_is_refused_with_that_reason(sample_volume,
                                                                  sample_truth, label):
    """The scan ending 3 mm below a body's superior endplate: the edge read like an
    endplate falling to a disc, and L1 was modelled 1.7 mm short with no word. Now no
    model, and the reason is the scan's edge, not "a click in a disc". With the scan
    ending 4 mm above the endplate the model is whole (height within 0.5 mm)."""
    from planner.core.volume import Volume

    lev = {x["label"]: x for x in sample_truth["levels"]}[label]
    centre, up = np.array(lev["body_center"]), np.array(lev["axes"]["cranial"])
    height = lev["body"]["middle_mm"]

    def cut(above_endplate_mm: float) -> Volume:
        top = centre + (height / 2 + above_endplate_mm) * up
        k_top = int(np.ceil(sample_volume.world_to_index(top[None])[0][2]))
        return Volume(sample_volume.array[:k_top + 1], sample_volume.affine,
                      dict(sample_volume.meta))

    with pytest.raises(ModelError, match="scan's edge|scan ends"):
        build_model(cut(-3.0), centre)
    assert abs(build_model(cut(4.0), centre).height_mm - height) < 0.5


def test_outside_body_agrees_with_the_signed_distance(sample_volume, lumbar):
    """The checks marching along a needle ask only whether points are outside the body;
    the quick answer must be the signed distance's sign, walls and endplates alike."""
    lev = lumbar["L2"]
    m = build_model(sample_volume, np.array(lev["body_center"]))
    rng = np.random.default_rng(0)
    pts = m.centre + rng.normal(0, 15, (5000, 3))
    outside = m.outside_body(pts)
    assert np.array_equal(outside, m.body_signed_distance(pts) > 0)
    assert 0.2 < outside.mean() < 0.8


def test_a_pedicle_found_from_few_of_the_nudged_frames_is_not_trusted(
        sample_volume, lumbar, monkeypatch):
    """A pedicle whose bone sits at the threshold is found from some of the frames a
    quarter millimetre apart and not from others: found from three of seven, it is
    reported missing, and why; from four, kept."""
    import planner.core.anatomy.steady_pedicles as pedicles_module

    real = pedicles_module.find_pedicle
    for kept, expect in ((3, False), (4, True)):
        calls = {"left": 0, "right": 0}

        def flaky(volume, frame, side, *args, kept=kept, calls=calls):
            calls[side] += 1
            if side == "left" and calls[side] > kept:
                return None
            return real(volume, frame, side, *args)

        monkeypatch.setattr(pedicles_module, "find_pedicle", flaky)
        m = build_model(sample_volume, lumbar["L1"]["body_center"])
        assert ("left" in m.pedicles) == expect, m.missing
        assert "right" in m.pedicles
        if not expect:
            assert "not found steadily (from 3 of 7" in m.missing["left_pedicle"]
