"""Overlay geometry: what each view shows, where the needle lands, which side is left."""

import numpy as np
import pytest

from planner.core.anatomy.model import build_model
from planner.core.checks.judge import judge
from planner.core.overlays import VERDICT_RGB, level_overlay
from planner.core.plan import suggest_plan
from planner.core.standard_views import standard_views, view_isocentre


@pytest.fixture(scope="module")
def level(sample_volume, sample_truth):
    lev = next(x for x in sample_truth["levels"] if x["label"] == "L2")
    model = build_model(sample_volume, lev["body_center"])
    plan = suggest_plan(sample_volume, model)
    trajs = [judge(sample_volume, model, t) for t in plan.trajectories]
    f = model.frame
    needles = {t.side: (t.entry, t.target) for t in plan.trajectories}
    # each view centred as the app centres it: an en face view on its needle, whose
    # central ray then runs along it (a bull's eye, not a line seen in perspective)
    views = {v.name: v.carm(view_isocentre(v.name, model, needles), pixels=256) for v in
             standard_views(f.left, f.anterior, f.cranial,
                            en_face={t.side: t.direction for t in plan.trajectories})}
    return model, trajs, views


def test_ap_view_shows_pedicles_and_needles(level):
    model, trajs, views = level
    ov = level_overlay(views["true AP"], model, trajs)
    kinds = [line.kind for line in ov.lines]
    assert kinds.count("pedicle") == 2 and kinds.count("medial pedicle line") == 2
    assert kinds.count("clock") == 24 and kinds.count("needle") == 2
    assert "anterior cortex" not in kinds
    needles = [line for line in ov.lines if line.kind == "needle"]
    for line, t in zip(needles, trajs):
        assert line.rgb == VERDICT_RGB[t["verdict"]]
        assert np.allclose(line.points[1], views["true AP"].project(np.array(t["target"])))
    # prone PA: the big L sits on the left half of the image
    big_l = next(lab for lab in ov.labels if lab.text == "L")
    assert big_l.at[0] < 128


def test_lateral_view_shows_the_walls(level):
    model, trajs, views = level
    ov = level_overlay(views["true lateral"], model, trajs)
    kinds = [line.kind for line in ov.lines]
    assert "anterior cortex" in kinds and "posterior wall" in kinds
    assert "pedicle" not in kinds
    front = next(line for line in ov.lines if line.kind == "anterior cortex").points
    back = next(line for line in ov.lines if line.kind == "posterior wall").points
    # on a lateral view with the detector at the patient's left the anterior cortex lies
    # to one side of the posterior wall, the tips between them
    tips = np.array([views["true lateral"].project(np.array(t["target"])) for t in trajs])
    lo, hi = sorted([front[:, 0].mean(), back[:, 0].mean()])
    assert np.all((tips[:, 0] > lo) & (tips[:, 0] < hi))


def test_en_face_puts_the_needle_on_end(level):
    model, trajs, views = level
    for t in trajs:
        ov = level_overlay(views[f"en face {t['side']}"], model, trajs)
        needle = [line for line in ov.lines if line.kind == "needle"][
            [x["side"] for x in trajs].index(t["side"])]
        assert np.linalg.norm(needle.points[1] - needle.points[0]) < 1.0   # a dot
