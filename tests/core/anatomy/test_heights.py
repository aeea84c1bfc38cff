"""Vertebral heights and the Genant grade against the phantom's known endplates."""

from __future__ import annotations

import numpy as np
import pytest

from planner.core.anatomy.heights import (adjacent_seeds, genant, genant_grade,
                                          vertebral_heights)
from planner.core.anatomy.model import build_model
from planner.core.phantom import PhantomSpec, SpinePhantom


@pytest.fixture(scope="module")
def measured(sample_volume):
    """The sample case (0.75 x 0.75 x 1 mm, like a clinical spine CT) and its phantom's
    analytic vertebrae."""
    out = {}
    for v in SpinePhantom(PhantomSpec(seed=0)).vertebrae:
        seed = v.to_world([0.0, (v.derived["pw"] - v.derived["b"]) / 2, 0.0])
        model = build_model(sample_volume, seed)
        out[v.label] = (v, model, vertebral_heights(sample_volume, model))
    return out


@pytest.mark.parametrize("label", ["T11", "T12", "L1", "L2"])
def test_heights_match_the_phantom_at_the_walls(measured, label):
    vert, _, h = measured[label]
    truth = vert.heights()
    for name in ("anterior", "middle", "posterior"):
        assert h.mm[name] == pytest.approx(truth[f"{name}_mm"], abs=0.8), name
        lo, hi = (np.asarray(p) for p in h.points[name])
        assert abs(np.linalg.norm(hi - lo) - h.mm[name]) < 1.5     # drawn where measured


def test_the_wedge_is_graded_and_the_normal_level_is_not(measured):
    _, _, l1 = measured["L1"]
    _, _, t12 = measured["T12"]
    vert = measured["L1"][0]
    wedge = genant(l1.mm, [t12.mm])
    assert wedge["grade"] == 2 and wedge["worst"] == "anterior"
    truth_loss = 1 - vert.heights()["anterior_mm"] / vert.heights()["posterior_mm"]
    assert wedge["loss"] == pytest.approx(truth_loss, abs=0.04)
    assert genant(t12.mm, [l1.mm])["grade"] == 0
    assert genant(t12.mm, [measured["T11"][2].mm, l1.mm])["basis"] == "adjacent levels"
    # the fractured L1 is no reference for T12: the grade falls back on T12's own shape
    assert "own posterior" in genant(t12.mm, [l1.mm])["basis"]


def test_grades_and_unknowns():
    assert [genant_grade(x) for x in (0.0, 0.19, 0.2, 0.25, 0.3, 0.4, 0.41)] == \
        [0, 0, 1, 2, 2, 2, 3]
    unknown = genant({"anterior": None, "middle": None, "posterior": 20.0})
    assert unknown["grade"] is None and unknown["reason"]
    crush = genant({"anterior": 14.0, "middle": 14.0, "posterior": 14.0},
                   [{"anterior": 25.0, "middle": 24.0, "posterior": 25.0}])
    assert crush["grade"] == 3 and crush["basis"] == "adjacent levels"


def test_adjacent_seeds_land_in_the_next_bodies(measured, small_volume):
    _, l1_model, _ = measured["L1"]
    above = adjacent_seeds(l1_model)["above"]
    t12_model = measured["T12"][1]
    assert np.linalg.norm(above - t12_model.centre) < 8.0
