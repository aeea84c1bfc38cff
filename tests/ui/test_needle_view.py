"""The views along the selected needle on the sample case: the bull's eye looks down it,
the progression plane contains it, both reslice only the region around it and follow it
when it moves."""

import numpy as np

from planner.core.trajectory import Trajectory
from planner.render.vtk_util import read_pixels
from tests.ui.conftest import render


def _inside(box, point, margin=0.0) -> bool:
    lo, hi = np.minimum(*box), np.maximum(*box)
    return bool(np.all(point >= lo + margin) and np.all(point <= hi - margin))


def test_needle_views_look_down_and_along_the_needle(planned):
    window, _ = planned
    window.set_layout("Along the needle")
    render(window)
    bull, prog = window.needle_views["bullseye"], window.needle_views["progression"]
    t = window.session.levels[0].trajectories[window.planning.side]
    # down the needle: entry and tip fall on the same pixel
    a, b = (np.array(bull.scene.world_to_display(p)) for p in (t.entry, t.target))
    assert np.linalg.norm(a - b) < 1.0
    # the progression plane contains the needle
    for p in (t.entry, t.target):
        assert abs((p - prog.plane_point) @ prog.scene.normal) < 1e-6
    # the CT is drawn in both, resliced from a box around the needle only
    for view in (bull, prog):
        assert view.scene.crop_box is not None
        assert _inside(view.scene.crop_box, t.entry, 20.0)
        assert _inside(view.scene.crop_box, t.target, 20.0)
        assert not _inside(view.scene.crop_box, window.session.volume.corners()[0])
        grey = read_pixels(view.GetRenderWindow()).astype(int)
        h, w, _ = grey.shape
        core = grey[h // 4:3 * h // 4, w // 4:3 * w // 4]
        image = core[(np.abs(core[..., 0] - core[..., 2]) < 8)]      # grey, not overlays
        assert len(image) > 0.5 * core.shape[0] * core.shape[1]
        assert image[:, 0].std() > 15                               # bone and soft tissue


def test_needle_views_follow_a_needle_moved_far(planned):
    window, _ = planned
    window.set_layout("Along the needle")
    render(window)
    prog = window.needle_views["progression"]
    side = window.planning.side
    t = window.session.levels[0].trajectories[side]
    first = prog.scene.crop_box
    shift = np.array([0.0, 0.0, 40.0])                   # one level up
    window.session.set_trajectory(0, side, Trajectory(side, t.entry + shift,
                                                      t.target + shift, t.gauge))
    render(window)
    moved = window.session.levels[0].trajectories[side]
    assert prog.scene.crop_box is not first
    assert _inside(prog.scene.crop_box, moved.entry, 20.0)
    assert _inside(prog.scene.crop_box, moved.target, 20.0)
    for p in (moved.entry, moved.target):
        assert abs((p - prog.plane_point) @ prog.scene.normal) < 1e-6
