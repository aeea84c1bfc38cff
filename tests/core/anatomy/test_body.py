"""The body's outline stack made consistent in height (planner.core.anatomy.body)."""

import numpy as np

from planner.core.anatomy.body import Outline, consistent_outlines


def _stack(radii: np.ndarray, directions: np.ndarray) -> list[Outline]:
    return [Outline(np.array([0.0, 0.0, float(h)]), directions, r.copy(),
                    np.ones(len(r), bool), 200.0, 30.0) for h, r in enumerate(radii)]


def test_a_side_wall_short_on_a_run_of_heights_takes_the_stacks_median():
    ang = np.arange(36) * 2 * np.pi / 36
    directions = np.stack([np.cos(ang), np.sin(ang), np.zeros_like(ang)], axis=1)
    left = np.array([1.0, 0.0, 0.0])
    radii = np.full((11, 36), 20.0)
    radii[:4, 0] = 6.0          # the side wall lost on the four lowest heights
    radii[:4, 9] = 15.0         # the posterior wall (toward the canal) 5 mm in: kept
    radii[5, 18] = 19.0         # within 3 mm: kept
    out = consistent_outlines(_stack(radii, directions), left)
    got = np.array([o.radii for o in out])
    assert np.allclose(got[:, 0], 20.0)
    assert not any(o.trusted[0] for o in out[:4])
    assert np.allclose(got[:4, 9], 15.0) and got[5, 18] == 19.0
