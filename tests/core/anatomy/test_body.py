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


def test_two_endplates_with_a_thin_disc_between_them():
    """Thorax T12 on 1.5 mm slices, upward from inside the body: its superior endplate a
    hump of 162 HU at 9 mm, a dip of about 12 HU (the thin disc, blurred), the next
    vertebra's inferior endplate at 227 HU 5.5 mm further. The first hump never falls by
    25 HU, so it was passed over and the height took in the disc and the next endplate."""
    from planner.core.anatomy.body import _first_hump

    radii = np.arange(0.0, 32.0, 0.25)
    # the measured profile's turning points (mm, HU)
    at, hu = zip((0, 113), (5, 120), (9, 162), (11.5, 150), (14.5, 227), (19, 128),
                 (23, 203), (27, 120), (32, 130))
    p = np.interp(radii, at, hu)
    assert abs(radii[_first_hump(p, radii, 113.0, 30.0)] - 9.0) < 0.3
    # a shoulder on the rise to the next endplate, with no dip, is no endplate
    at, hu = zip((0, 113), (5, 120), (9, 162), (11.5, 160), (14.5, 227), (24, 128),
                 (32, 130))
    q = np.interp(radii, at, hu)
    assert abs(radii[_first_hump(q, radii, 113.0, 30.0)] - 14.5) < 0.3
    # in fatty osteoporotic marrow (TPTBox L3, 25 HU inside) a trabecular hump of 62 HU
    # dips before the endplate (179 HU) too: it is no cortex, no endplate
    at, hu = zip((0, 25), (7, 62), (9, 48), (11, 56), (14, 50), (17.5, 179), (22, 60),
                 (32, 40))
    t = np.interp(radii, at, hu)
    assert abs(radii[_first_hump(t, radii, 25.0, 30.0)] - 17.5) < 0.3


def test_the_outline_against_the_lung_lies_on_the_bone_not_in_the_pleura():
    """A round body (14 mm, 1.5 mm cortex) in soft tissue, with lung 1.5 mm beyond its
    surface on one side, blurred as a CT blurs: on the lung's side the half maximum
    against the lung fell 1.2 mm out, in the soft tissue (chest T6 right: the outline
    1.9 mm outside the mask, a tip in fat judged inside the body). Against soft tissue
    on both sides the outline lies on the bone alike."""
    from scipy import ndimage

    from planner.core.anatomy.body import SOFT_TISSUE_FLOOR_HU, body_outline
    from planner.core.anatomy.frame import Frame
    from planner.core.volume import Volume

    v, radius = 0.5, 14.0
    k, j, i = np.indices((40, 120, 120))
    x, y = (i - 60) * v, (j - 60) * v
    r = np.hypot(x, y)
    arr = np.where(r <= radius, np.where(r > radius - 1.5, 400.0, 150.0), 40.0)
    arr[(r > radius + 1.5) & (x > 0)] = -850.0          # lung on the left (+x)
    arr = ndimage.gaussian_filter(arr, 0.8 / v)
    aff = np.diag([v, v, v, 1.0])
    aff[:3, 3] = [-60 * v, -60 * v, -20 * v]
    f = Frame.patient(np.zeros(3))
    out = body_outline(Volume(arr.astype(np.int16), aff), f, np.zeros(3),
                       floor_hu=SOFT_TISSUE_FLOOR_HU)
    side = out.directions @ f.left
    lung, soft = out.radii[side > 0.7].mean(), out.radii[side < -0.7].mean()
    assert abs(lung - radius) < 0.5 and abs(soft - radius) < 0.5
    assert abs(lung - soft) < 0.2
