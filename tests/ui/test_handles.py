"""Which needle end a press grabs when ends are drawn on top of each other."""

import numpy as np

from planner.ui.handles import nearest_handle


def _h(side, which="target"):
    return ((0, side), which, np.zeros(3))


def test_coinciding_tips_go_to_the_selected_needle():
    # a true lateral view: the left and right tips on the same pixel, the right drawn last
    hits = [(3.0, _h("left")), (3.0, _h("right"))]
    assert nearest_handle(hits, 10.0, lambda: (0, "left"))[0] == (0, "left")
    assert nearest_handle(hits, 10.0, lambda: (0, "right"))[0] == (0, "right")
    # within a pixel and a half still counts as the same place
    hits = [(2.0, _h("left")), (3.2, _h("right"))]
    assert nearest_handle(hits, 10.0, lambda: (0, "right"))[0] == (0, "right")


def test_a_clearly_nearer_end_wins_and_none_beyond_reach():
    hits = [(1.0, _h("left")), (6.0, _h("right"))]
    assert nearest_handle(hits, 10.0, lambda: (0, "right"))[0] == (0, "left")
    assert nearest_handle(hits, 10.0, lambda: (1, "left"))[0] == (0, "left")
    assert nearest_handle(hits, 10.0, None)[0] == (0, "left")
    assert nearest_handle([(11.0, _h("left"))], 10.0, lambda: (0, "left")) is None
