"""The fluoroscopy widget paints the DRR, outlines and texts once into a background and
the needles over it: the background must follow every change of what it shows."""

import numpy as np

from planner.core.carm import CArm
from planner.core.overlays import Overlay, Polyline
from planner.ui.fluoro_view import FluoroView


def _mean_grey(view) -> float:
    img = view.grab().toImage()
    f = view._frame()
    vals = [img.pixelColor(int(f.left() + f.width() * u), int(f.top() + f.height() * v)).red()
            for u in (0.3, 0.5, 0.7) for v in (0.3, 0.5, 0.7)]
    return float(np.mean(vals))


def test_background_follows_image_overlay_and_size(qtbot):
    view = FluoroView("ap", "AP")
    qtbot.addWidget(view)
    view.resize(240, 240)
    view.show()
    qtbot.waitExposed(view)
    carm = CArm()
    view.carm = carm
    n = carm.pixels
    assert _mean_grey(view) < 10                          # black until the DRR arrives
    view.set_image(carm, np.full((n, n), 200, np.uint8))
    assert _mean_grey(view) > 150
    first = view._background
    view.set_image(carm, np.full((n, n), 60, np.uint8))    # a new DRR replaces the old
    assert 40 < _mean_grey(view) < 80
    assert view._background is not first
    # a moving overlay does not repaint the background; a new static one does
    still = view._background
    line = Polyline(np.array([[0.2 * n, 0.5 * n], [0.8 * n, 0.5 * n]]), (255, 0, 0), 4.0)
    view.set_overlay(view.static_overlay, Overlay([line]), [])
    _mean_grey(view)
    assert view._background is still
    view.set_overlay(Overlay([line]), Overlay(), [])
    img = view.grab().toImage()
    mid = view.to_widget(np.array([[0.5 * n, 0.5 * n]]))[0]
    assert img.pixelColor(int(mid[0]), int(mid[1])).red() > 200
    assert view._background is not still
    resized = view._background
    view.resize(300, 260)
    _mean_grey(view)
    assert view._background is not resized
    assert view._background.width() >= 300
