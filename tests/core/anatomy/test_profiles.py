"""Half-maximum wall detection on analytic profiles."""

import numpy as np
import pytest

from planner.core.anatomy.profiles import (circular_median_fill, consistent_in_height,
                                           polygon_centroid, wall_from_inside)


def _cortex_profile(r, inner=100.0, peak=600.0, outside=40.0, wall_at=20.0, thick=1.0):
    """Cancellous core, a cortex of given thickness ending at ``wall_at``, soft tissue."""
    p = np.where(r < wall_at - thick, inner, np.where(r < wall_at, peak, outside))
    return p.astype(float)


def test_outer_surface_at_half_maximum():
    r = np.arange(0, 40, 0.25)
    prof = _cortex_profile(r)[None, :]
    edge = wall_from_inside(prof, r, inside=100.0, min_rise=50.0, start=2.0, outer=True)
    assert edge.found[0]
    # the step from 600 to 40 lies between samples at 19.75 and 20.0
    assert 19.75 <= edge.position[0] <= 20.0
    assert edge.peak[0] == 600.0


def test_cavity_wall_on_the_near_side():
    r = np.arange(0, 20, 0.25)
    prof = np.where(r < 9.0, 10.0, 400.0)[None, :]
    edge = wall_from_inside(prof, r, inside=10.0, min_rise=80.0, start=1.0, outer=False,
                            min_peak=150.0)
    assert 8.75 <= edge.position[0] <= 9.0


def test_no_wall_when_nothing_rises_enough():
    r = np.arange(0, 20, 0.25)
    prof = np.full((1, len(r)), 60.0)
    prof[0, 40] = 120.0        # a bump under min_peak
    edge = wall_from_inside(prof, r, inside=20.0, min_rise=80.0, outer=False, min_peak=150.0)
    assert not edge.found[0] and np.isnan(edge.position[0])


def test_circular_fill_and_polygon_centroid():
    r = np.full(36, 10.0)
    found = np.ones(36, bool)
    found[5] = False
    r[20] = 30.0              # an outlier ray
    fixed, trusted = circular_median_fill(r, found, width=3, max_jump=4.0)
    assert np.allclose(fixed, 10.0) and not trusted[5] and not trusted[20]
    ang = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    square_ish = np.stack([3 + 10 * np.cos(ang), -2 + 10 * np.sin(ang), np.zeros(36)], -1)
    assert np.allclose(polygon_centroid(square_ish), [3, -2, 0], atol=1e-9)
    # rays from an off-centre point sample the near side densely; the centroid does not care
    seed = np.array([6.0, 0.0])
    t = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    circle = np.stack([10 * np.cos(t), 10 * np.sin(t)], -1)
    angles = np.arctan2(circle[:, 1] - seed[1], circle[:, 0] - seed[0])
    pick = circle[np.argsort(angles)][:: 20]
    pts = np.column_stack([pick, np.zeros(len(pick))])
    assert np.linalg.norm(polygon_centroid(pts)[:2]) < 0.3


def test_outliers_in_height_replaced_smooth_walls_kept():
    """A stack of 11 outlines (36 rays): a waisted body (radii 17 -> 15.5 -> 17 mm along
    the height, the wall tilting with the ray's angle) keeps every radius; a ray that
    stopped 11 mm short in two neighbouring sections and one that ran 6 mm long in one
    section take their neighbours' values."""
    h = np.linspace(-1, 1, 11)[:, None]
    ang = np.linspace(0, 2 * np.pi, 36, endpoint=False)[None, :]
    truth = 15.5 + 1.5 * h ** 2 + 0.8 * np.cos(ang) * h
    radii = truth.copy()
    radii[5, 3:7] = 5.0                       # a sclerotic trabecula at mid-height
    radii[6, 4:6] = 5.5
    radii[2, 20] += 6.0                       # through a vein's foramen
    out, odd = consistent_in_height(radii)
    # a replaced radius is a neighbour's: off by the wall's change over two sections
    assert np.abs(out - truth).max() < 0.7
    assert np.abs(out - truth)[~odd].max() == 0.0
    assert odd[5, 3:7].all() and odd[6, 4:6].all() and odd[2, 20]
    assert odd.sum() == 7
    clean, none = consistent_in_height(truth)
    assert not none.any() and np.array_equal(clean, truth)


@pytest.mark.parametrize("outer,floor", [(True, -np.inf), (True, 60.0), (False, -np.inf)])
def test_compiled_wall_search_answers_as_the_plain_function(outer, floor):
    """The first-wall search runs compiled by numba and, without numba, as the plain
    function: both give the same walls on noisy profiles with gaps out of the scan, with
    and without a floor under the value beyond the wall."""
    from planner.core.anatomy import profiles

    rng = np.random.default_rng(3)
    p = rng.normal(100.0, 40.0, (300, 120)) + 250.0 * (rng.random((300, 120)) < 0.05)
    p[rng.random((300, 120)) < 0.03] = np.nan
    thresh = rng.uniform(120.0, 300.0, 300)
    thresh[::37] = np.nan
    compiled = profiles._walls_kernel()(p, 5, thresh, 15, outer, floor)
    plain = profiles._first_walls(p, 5, thresh, 15, outer, floor)
    assert (compiled[0] >= 0).sum() > 100
    for a, b in zip(compiled, plain):
        np.testing.assert_array_equal(a, b)
