"""The pedicle kept from the frame and the nudged frames
(planner.core.anatomy.steady_pedicles)."""

import numpy as np

from planner.core.anatomy.pedicle import Pedicle
from planner.core.anatomy.steady_pedicles import AGREE_MM, _steady_pedicle


def _at(x: float, width: float = 8.0) -> Pedicle:
    """A pedicle whose isthmus lies ``x`` mm along the first axis."""
    e = np.eye(3)
    return Pedicle("left", np.array([x, 0.0, 0.0]), e[1], np.zeros((4, 3)), width, 12.0,
                   e[0], e[2], np.zeros((4, 3)))


def test_the_pedicle_from_the_frame_is_kept_unless_the_nudged_frames_outvote_it():
    """``_steady_pedicle`` over the frame and six nudged frames: the frame's own pedicle
    while a third of the others agree with it within ``AGREE_MM``; else the one nearest
    all; none where most frames found none."""
    def steady(found):
        return _steady_pedicle(found, len(found))[0]

    base = _at(0.0)
    # two of six agree: kept, though the other four agree among themselves
    found = [base, _at(9.0), _at(9.2), _at(9.4), _at(9.1), _at(0.5), _at(-0.5)]
    assert steady(found) is base
    # one of six agrees: outvoted, one of the four that agree is taken (nearest all)
    found = [base, _at(AGREE_MM + 0.1), _at(0.5), _at(9.0), _at(9.2), _at(9.4), _at(9.1)]
    assert steady(found).isthmus[0] == 9.0
    # the frame found none: the one nearest the others
    assert steady([None] + found[1:]).isthmus[0] == 9.0
    # four frames of seven found none: no pedicle, whatever the frame found
    assert _steady_pedicle([base, _at(0.1), _at(0.2), None, None, None, None], 7) == (None, 3)
    assert steady([base, _at(0.1), _at(0.2), _at(0.3), None, None, None]) is base
    # once the frame's own is sure to be kept, the other frames are not sought
    looked = []

    def lazily():
        for p in [base, _at(0.1), _at(0.2), _at(0.3), _at(9.0), _at(9.0), _at(9.0)]:
            looked.append(p)
            yield p

    assert _steady_pedicle(lazily(), 7) == (base, 4) and len(looked) == 4
